#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "operator/document/value.h"
#include "operator/policy/workload_kinds.h"
#include "operator/runtime/cache_reader.h"

namespace bulwark::reconcilers {

using posture::kWorkloadKinds;

// Owner resolution: which workload a pod or an owned object belongs to, by UID.
// The caches of the workload kinds, one per row of kWorkloadKinds, found by kind name.
struct WorkloadCaches {
  // `cache` gives the cache of a table row's resource ("deployments").
  explicit WorkloadCaches(
      const std::function<const runtime::CacheReader&(std::string_view)>& cache);
  // From caches by resource name ("deployments"), one for every row (tests and benchmarks).
  explicit WorkloadCaches(
      const std::map<std::string_view, const runtime::CacheReader*>& by_resource)
      : WorkloadCaches([&by_resource](std::string_view resource) -> const runtime::CacheReader& {
          return *by_resource.at(resource);
        }) {}
  const runtime::CacheReader* of(std::string_view kind) const;  // null for another kind
  const runtime::CacheReader& pods;
  const runtime::CacheReader& replicasets;
  const runtime::CacheReader& jobs;

 private:
  std::array<const runtime::CacheReader*, kWorkloadKinds.size()> by_row_;
};

// Workload keys are "Kind/namespace/name" ("Deployment/shop/cart").
std::string workload_key(std::string_view kind, std::string_view ns, std::string_view name);

// The workload whose template made this object: a Pod of a ReplicaSet of a Deployment resolves to
// the Deployment, a Job of a CronJob to the CronJob; bare Pods, and Pods of controllers Bulwark
// does not know, are their own workload.
std::string top_owner_key(std::string_view kind, const document::Value& object,
                          const WorkloadCaches& caches);

// Whether an object that top_owner_key judges as itself is only waiting for its controller to
// reach the cache: the owner it names makes objects of its kind (pods for a pod, a Deployment for
// a ReplicaSet, a CronJob for a Job), is missing (not there with another UID), and the object is
// less than 30 seconds old. Watches of different resources deliver independently, so a new pod
// can arrive before its ReplicaSet and a new ReplicaSet before its Deployment; judged early, the
// ReplicaSet would be annotated and booked under the policy, and its stale record kept the
// policy's finalizer (a flake of e2e.posture). Past 30 s, an object whose owner does not exist is
// judged itself.
bool awaiting_owner(const document::Value& object, std::string_view kind,
                    const WorkloadCaches& caches, std::chrono::system_clock::time_point now);

}  // namespace bulwark::reconcilers
