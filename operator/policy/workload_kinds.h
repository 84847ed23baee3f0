#pragma once

#include <array>
#include <string_view>
#include <vector>

namespace bulwark::posture {

// The workload kinds Bulwark judges: one table for the engine's template lookup, the
// SecurityPolicy's match.kinds (and the CRD's enum, held equal by a unit test), the operator's
// caches, its owner resolution, ScaleToZero, the kinds admission judges and the admission
// metrics' kind label.
struct WorkloadKind {
  std::string_view kind;           // "Deployment"
  std::string_view group;          // "apps"; "" for the core group
  std::string_view version;        // "v1"
  std::string_view resource;       // "deployments": the REST resource and the cache's name
  std::string_view template_path;  // the pod template: "" for a Pod itself
  std::string_view controlled_by;  // the kind whose controller makes these ("Deployment" for
                                   // ReplicaSets); "" when none
  bool owns_pods = false;          // its controller makes pods
  bool scales = false;             // ScaleToZero sets its spec.replicas to 0 (and back)
  // The labels its controllers set on each pod beyond the template's, comma-separated (the
  // network controls judge the template: a selector on these cannot be judged from it).
  std::string_view pod_labels = "";
};

inline constexpr std::string_view kJobPodLabels =
    "batch.kubernetes.io/controller-uid,batch.kubernetes.io/job-name,controller-uid,job-name,"
    "batch.kubernetes.io/job-completion-index";

inline constexpr std::array<WorkloadKind, 8> kWorkloadKinds = {{
    {"Deployment", "apps", "v1", "deployments", "spec.template", "", false, true,
     "pod-template-hash"},
    {"StatefulSet", "apps", "v1", "statefulsets", "spec.template", "", true, true,
     "controller-revision-hash,statefulset.kubernetes.io/pod-name,apps.kubernetes.io/pod-index"},
    {"DaemonSet", "apps", "v1", "daemonsets", "spec.template", "", true, false,
     "controller-revision-hash,pod-template-generation"},
    {"ReplicaSet", "apps", "v1", "replicasets", "spec.template", "Deployment", true},
    {"ReplicationController", "", "v1", "replicationcontrollers", "spec.template", "", true},
    {"Job", "batch", "v1", "jobs", "spec.template", "CronJob", true, false, kJobPodLabels},
    {"CronJob", "batch", "v1", "cronjobs", "spec.jobTemplate.spec.template", "", false, false,
     kJobPodLabels},
    {"Pod", "", "v1", "pods", "", "", false},
}};

// The table's row for `kind`; nullptr for a kind Bulwark does not judge.
constexpr const WorkloadKind* find_workload_kind(std::string_view kind) {
  for (const auto& k : kWorkloadKinds) {
    if (k.kind == kind) return &k;
  }
  return nullptr;
}

// The labels `kind`'s controllers set on each pod beyond the template's (its pod_labels, split).
inline std::vector<std::string_view> controller_pod_labels(std::string_view kind) {
  std::vector<std::string_view> out;
  const WorkloadKind* row = find_workload_kind(kind);
  std::string_view keys = row != nullptr ? row->pod_labels : std::string_view{};
  while (!keys.empty()) {
    const auto comma = keys.find(',');
    out.push_back(keys.substr(0, comma));
    keys = comma == std::string_view::npos ? std::string_view{} : keys.substr(comma + 1);
  }
  return out;
}

// Whether ScaleToZero scales `kind`: a kind of the table whose `scales` is set.
constexpr bool kind_scales(std::string_view kind) {
  const WorkloadKind* k = find_workload_kind(kind);
  return k != nullptr && k->scales;
}

}  // namespace bulwark::posture
