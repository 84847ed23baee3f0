#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "operator/rbac/rbac.h"

namespace bulwark::runtime {
class CacheReader;
}

namespace bulwark::reconcilers {

// The caches RbacIndex::apply reads, by name.
inline constexpr std::string_view kRbacCaches[] = {"roles", "clusterroles", "rolebindings",
                                                   "clusterrolebindings", "serviceaccounts"};

// The cluster's RBAC as the posture reconcilers read it: the graph of roles and bindings, kept
// current from the informer caches one changed object at a time, and each ServiceAccount's
// permissions computed on first use and kept until a change affects that account. Also what each
// ServiceAccount says of token automounting, the one field of an account the posture reads.
// Thread-safe.
class RbacIndex {
 public:
  // Applies the object `key` of the cache `cache` (one of kRbacCaches) as the cache holds it
  // now: put when present, removed when not. Returns the accounts whose permissions it may have
  // changed, and forgets their computed permissions.
  rbac::Affected apply(std::string_view cache, const std::string& key,
                       const runtime::CacheReader& reader);

  std::shared_ptr<const rbac::Permissions> permissions_of(const rbac::Account& account) const;
  // Set once before the caches start (rbac::RbacGraph::set_anonymous_requests).
  void set_anonymous_requests(bool allowed) {
    std::lock_guard lock(mu_);
    graph_.set_anonymous_requests(allowed);
    computed_.clear();
  }
  // The account's automountServiceAccountToken; nullopt when the account is unknown or leaves it
  // unset (then a pod gets the token unless it says false itself).
  std::optional<bool> automount_token_of(const rbac::Account& account) const;

  struct Size {
    std::size_t roles = 0, bindings = 0, accounts = 0;  // accounts: permissions held computed
    std::size_t automount_settings = 0;  // accounts that set automountServiceAccountToken
  };
  Size size() const;

 private:
  rbac::Affected apply_service_account(const std::string& key, const runtime::CacheReader& reader);

  mutable std::mutex mu_;
  rbac::RbacGraph graph_;  // guarded by mu_
  mutable std::map<rbac::Account, std::shared_ptr<const rbac::Permissions>> computed_;  // mu_
  // Only the accounts that set the field: most leave it unset. Guarded by mu_.
  std::map<rbac::Account, bool> automount_;
};

}  // namespace bulwark::reconcilers
