#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "operator/document/value.h"
#include "operator/policy/label_selector.h"

namespace bulwark::posture {

// A workload as the engine judges it: identity, labels, and where its pod template lives.
// Borrows from the document it was read from, which must outlive it.
struct Workload {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string namespace_name;                     // empty when the manifest names none
  crds::Labels labels;                            // the workload's own metadata.labels
  const document::Value* pod_metadata = nullptr;  // the template's metadata; may be null
  const document::Value* pod_spec = nullptr;      // never null
  std::string pod_path;  // where the pod template sits: "" for a Pod, "spec.template", ...
};

// The workload a document describes, or nullopt when its kind carries no pod template
// (ConfigMap, Service, ...). Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// ReplicationController, Job and CronJob are read.
std::optional<Workload> workload_from(const document::Value& doc);
// As above, for a document whose kind is known from elsewhere: items of a Kubernetes list carry
// no kind of their own.
std::optional<Workload> workload_from(const document::Value& doc, std::string_view kind);

}  // namespace bulwark::posture
