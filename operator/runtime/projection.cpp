#include "operator/runtime/projection.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace bulwark::runtime {

using document::Value;

namespace {

template <std::size_t N>
bool in(const std::array<std::string_view, N>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Keeps only the members named in `keys`, moving them.
template <std::size_t N>
void keep(Value& map, const std::array<std::string_view, N>& keys) {
  if (!map.is_mapping()) return;
  auto& m = map.members;
  m.erase(std::remove_if(m.begin(), m.end(), [&](const auto& kv) { return !in(keys, kv.first); }),
          m.end());
  m.shrink_to_fit();
}

constexpr std::array<std::string_view, 12> kMetadata = {"name",
                                                        "namespace",
                                                        "uid",
                                                        "resourceVersion",
                                                        "generation",
                                                        "labels",
                                                        "annotations",
                                                        "ownerReferences",
                                                        "deletionTimestamp",
                                                        "finalizers",
                                                        "creationTimestamp",
                                                        "generateName"};
constexpr std::array<std::string_view, 5> kOwnerRef = {"apiVersion", "kind", "name", "uid",
                                                       "controller"};
// nodeName: where the enforcement canary says whether a pod's quarantine holds.
constexpr std::array<std::string_view, 13> kPodSpec = {"hostNetwork",
                                                       "hostPID",
                                                       "hostIPC",
                                                       "hostUsers",
                                                       "os",
                                                       "securityContext",
                                                       "automountServiceAccountToken",
                                                       "serviceAccountName",
                                                       "volumes",
                                                       "initContainers",
                                                       "containers",
                                                       "ephemeralContainers",
                                                       "nodeName"};
constexpr std::array<std::string_view, 9> kContainer = {
    "name",          "image",          "ports",        "securityContext", "resources",
    "livenessProbe", "readinessProbe", "startupProbe", "lifecycle"};
// The statuses' imageID: the digest each container runs, which images.verify judges.
constexpr std::array<std::string_view, 5> kPodStatus = {
    "phase", "reason", "containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"};
constexpr std::array<std::string_view, 2> kContainerStatus = {"name", "imageID"};
constexpr std::array<std::string_view, 4> kWorkloadSpec = {"replicas", "template", "jobTemplate",
                                                           "suspend"};
constexpr std::array<std::string_view, 3> kTemplate = {"metadata", "spec", "template"};

void project_metadata(Value* meta) {
  if (meta == nullptr) return;
  keep(*meta, kMetadata);
  if (Value* refs = const_cast<Value*>(meta->find("ownerReferences"))) {
    for (auto& ref : refs->items) keep(ref, kOwnerRef);
  }
  // The cache never serves kubectl's last-applied copy of the whole object.
  if (Value* annotations = const_cast<Value*>(meta->find("annotations"))) {
    auto& m = annotations->members;
    m.erase(std::remove_if(m.begin(), m.end(),
                           [](const auto& kv) {
                             return kv.first == "kubectl.kubernetes.io/last-applied-configuration";
                           }),
            m.end());
  }
}

// A volume as the checks read it: its name and which sources it sets (hostPath, and the sources
// restricted allows), not what they hold. The service account token's projected volume alone was
// a third of a cached pod (docs/benchmarks.md, operator at scale).
void project_volumes(Value* volumes) {
  if (volumes == nullptr) return;
  for (auto& volume : volumes->items) {
    if (!volume.is_mapping()) continue;
    for (auto& [source, value] : volume.members) {
      if (source != "name" && !value.is_null()) value = Value::object();
    }
  }
}

void project_pod_spec(Value* spec) {
  if (spec == nullptr) return;
  keep(*spec, kPodSpec);
  project_volumes(const_cast<Value*>(spec->find("volumes")));
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    if (Value* containers = const_cast<Value*>(spec->find(list))) {
      for (auto& c : containers->items) keep(c, kContainer);
    }
  }
}

// A pod template: {metadata, spec} (Deployments...) or {spec: {template}} (CronJob's jobTemplate).
void project_template(Value* tmpl) {
  if (tmpl == nullptr) return;
  keep(*tmpl, kTemplate);
  project_metadata(const_cast<Value*>(tmpl->find("metadata")));
  project_pod_spec(const_cast<Value*>(tmpl->find("spec")));
}

}  // namespace

Value project_spec(Value&& object) {
  Value out = std::move(object);
  keep(out, std::array<std::string_view, 5>{"apiVersion", "kind", "metadata", "spec", "status"});
  project_metadata(const_cast<Value*>(out.find("metadata")));
  return out;
}

Value project_vulnerability_report(Value&& object) {
  Value out = std::move(object);
  keep(out, std::array<std::string_view, 4>{"apiVersion", "kind", "metadata", "report"});
  project_metadata(const_cast<Value*>(out.find("metadata")));
  if (Value* report = const_cast<Value*>(out.find("report"))) {
    keep(*report, std::array<std::string_view, 1>{"summary"});
  }
  return out;
}

Value project_rbac(Value&& object) {
  Value out = std::move(object);
  keep(out, std::array<std::string_view, 6>{"apiVersion", "kind", "metadata", "rules", "roleRef",
                                            "subjects"});
  project_metadata(const_cast<Value*>(out.find("metadata")));
  if (Value* meta = const_cast<Value*>(out.find("metadata"))) {
    keep(*meta, std::array<std::string_view, 4>{"name", "namespace", "uid", "resourceVersion"});
  }
  return out;
}

Value project_service_account(Value&& object) {
  Value out = std::move(object);
  keep(out, std::array<std::string_view, 4>{"apiVersion", "kind", "metadata",
                                            "automountServiceAccountToken"});
  if (Value* meta = const_cast<Value*>(out.find("metadata"))) {
    keep(*meta, std::array<std::string_view, 4>{"name", "namespace", "uid", "resourceVersion"});
  }
  return out;
}

Value project_report_metadata(Value&& object) {
  Value out = std::move(object);
  keep(out, std::array<std::string_view, 3>{"apiVersion", "kind", "metadata"});
  project_metadata(const_cast<Value*>(out.find("metadata")));
  if (Value* meta = const_cast<Value*>(out.find("metadata"))) {
    keep(*meta, std::array<std::string_view, 6>{"name", "namespace", "uid", "resourceVersion",
                                                "labels", "annotations"});
  }
  return out;
}

Value project_workload(Value&& object) {
  Value out = std::move(object);
  keep(out, std::array<std::string_view, 5>{"apiVersion", "kind", "metadata", "spec", "status"});
  project_metadata(const_cast<Value*>(out.find("metadata")));
  const Value* kind = out.find("kind");
  Value* spec = const_cast<Value*>(out.find("spec"));
  Value* status = const_cast<Value*>(out.find("status"));
  // List items carry no kind; a pod spec is recognised by its containers.
  const bool pod = (kind != nullptr && kind->str() == "Pod") ||
                   (spec != nullptr && spec->find("containers") != nullptr);
  if (pod) {
    project_pod_spec(spec);
    if (status != nullptr) {
      keep(*status, kPodStatus);
      for (auto& [list, statuses] : status->members) {
        for (auto& s : statuses.items) {
          if (list != "phase" && list != "reason") keep(s, kContainerStatus);
        }
      }
    }
  } else {
    if (spec != nullptr) {
      keep(*spec, kWorkloadSpec);
      project_template(const_cast<Value*>(spec->find("template")));
      if (Value* job = const_cast<Value*>(spec->find("jobTemplate"))) {
        keep(*job, std::array<std::string_view, 2>{"metadata", "spec"});
        if (Value* job_spec = const_cast<Value*>(job->find("spec"))) {
          keep(*job_spec, std::array<std::string_view, 1>{"template"});
          project_template(const_cast<Value*>(job_spec->find("template")));
        }
      }
    }
    if (status != nullptr)
      keep(*status, std::array<std::string_view, 2>{"replicas", "readyReplicas"});
  }
  return out;
}

}  // namespace bulwark::runtime
