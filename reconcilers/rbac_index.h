#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "operator/rbac/rbac.h"

namespace bulwark::runtime {
class CacheReader;
}

namespace bulwark::reconcilers {

// The caches RbacIndex::apply reads, by name.
inline constexpr std::string_view kRbacCaches[] = {"roles", "clusterroles", "rolebindings",
                                                   "clusterrolebindings"};

// The cluster's RBAC as the posture reconcilers read it: the graph of roles and bindings, kept
// current from the informer caches one changed object at a time, and each ServiceAccount's
// permissions computed on first use and kept until a change affects that account. Thread-safe.
class RbacIndex {
 public:
  // Applies the object `key` of the cache `cache` (one of kRbacCaches) as the cache holds it
  // now: put when present, removed when not. Returns the accounts whose permissions it may have
  // changed, and forgets their computed permissions.
  rbac::Affected apply(std::string_view cache, const std::string& key,
                       const runtime::CacheReader& reader);

  std::shared_ptr<const rbac::Permissions> permissions_of(const rbac::Account& account) const;

  struct Size {
    std::size_t roles = 0, bindings = 0, accounts = 0;  // accounts: permissions held computed
  };
  Size size() const;

 private:
  mutable std::mutex mu_;
  rbac::RbacGraph graph_;  // guarded by mu_
  mutable std::map<rbac::Account, std::shared_ptr<const rbac::Permissions>> computed_;  // mu_
};

}  // namespace bulwark::reconcilers
