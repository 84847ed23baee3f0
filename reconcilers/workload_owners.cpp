#include "reconcilers/workload_owners.h"

#include "operator/base/time_text.h"
#include "operator/policy/security_policy.h"

namespace bulwark::reconcilers {

using document::Value;

namespace {

// The ownerReference with controller: true.
const Value* controller_of(const Value& object) {
  for (const auto& ref : document::items_of(object.find({"metadata", "ownerReferences"}))) {
    const Value* c = ref.find("controller");
    if (c != nullptr && c->str() == "true") return &ref;
  }
  return nullptr;
}

}  // namespace

WorkloadCaches::WorkloadCaches(
    const std::function<const runtime::CacheReader&(std::string_view)>& cache)
    : pods(cache("pods")), replicasets(cache("replicasets")), jobs(cache("jobs")) {
  for (std::size_t i = 0; i < kWorkloadKinds.size(); ++i) {
    by_row_[i] = &cache(kWorkloadKinds[i].resource);
  }
}

const runtime::CacheReader* WorkloadCaches::of(std::string_view kind) const {
  for (std::size_t i = 0; i < kWorkloadKinds.size(); ++i) {
    if (kWorkloadKinds[i].kind == kind) return by_row_[i];
  }
  return nullptr;
}

std::string workload_key(std::string_view kind, std::string_view ns, std::string_view name) {
  return std::string(kind) + "/" + std::string(ns) + "/" + std::string(name);
}

std::string top_owner_key(std::string_view kind, const Value& object,
                          const WorkloadCaches& caches) {
  const std::string ns = document::text_at(object, {"metadata", "namespace"});
  std::string current_kind(kind);
  std::string name = document::text_at(object, {"metadata", "name"});
  runtime::CacheReader::Object parent;  // keeps the object `current` points into alive
  const Value* current = &object;
  // At most two steps: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob.
  for (int step = 0; step < 2; ++step) {
    const Value* owner = controller_of(*current);
    if (owner == nullptr) break;
    const std::string owner_kind = document::text_at(*owner, {"kind"});
    const std::string owner_name = document::text_at(*owner, {"name"});
    const posture::WorkloadKind* owner_row = posture::find_workload_kind(owner_kind);
    const posture::WorkloadKind* current_row = posture::find_workload_kind(current_kind);
    const bool known =
        owner_row != nullptr && current_row != nullptr &&
        (current_kind == "Pod" ? owner_row->owns_pods : current_row->controlled_by == owner_kind);
    if (!known) break;
    // The owner is the object with that UID, not whatever now has that kind and name: a pod
    // whose controller reference names a compliant Job it does not belong to is judged itself.
    auto found = caches.of(owner_kind)->get(ns + "/" + owner_name);
    if (found == nullptr ||
        document::text_at(*found, {"metadata", "uid"}) != document::text_at(*owner, {"uid"}))
      break;
    parent = std::move(found);
    current = parent.get();
    current_kind = owner_kind;
    name = owner_name;
  }
  return workload_key(current_kind, ns, name);
}

bool awaiting_owner(const Value& object, std::string_view kind, const WorkloadCaches& caches,
                    std::chrono::system_clock::time_point now) {
  const Value* owner = controller_of(object);
  if (owner == nullptr) return false;
  const std::string owner_kind = document::text_at(*owner, {"kind"});
  const posture::WorkloadKind* row = posture::find_workload_kind(owner_kind);
  if (row == nullptr) return false;
  // Only an owner whose controller makes objects of this kind: pods for a pod, a Deployment for
  // a ReplicaSet, a CronJob for a Job.
  const posture::WorkloadKind* self = posture::find_workload_kind(kind);
  const bool makes_it =
      kind == "Pod" ? row->owns_pods : self != nullptr && self->controlled_by == owner_kind;
  if (!makes_it) return false;
  const std::string key = document::text_at(object, {"metadata", "namespace"}) + "/" +
                          document::text_at(*owner, {"name"});
  if (caches.of(owner_kind)->get(key) != nullptr) return false;  // there, another UID: forged
  const auto created =
      base::parse_rfc3339(document::text_at(object, {"metadata", "creationTimestamp"}));
  return created && now - *created < std::chrono::seconds(30);
}

}  // namespace bulwark::reconcilers
