#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/network/reach.h"
#include "operator/rbac/rbac.h"

namespace bulwark::document {
struct Value;
}

namespace bulwark::cli {

// What `bulwark scan` judges workloads against beyond themselves, from the scanned files:
// roles and bindings (spec.permissions), ServiceAccounts (serviceAccount.forbidAutomountToken),
// NetworkPolicies, Services and Namespaces (spec.network.forbid, -o reach), each read only where
// wanted and resolved among themselves once every file is read. Objects without a namespace are in
// "default", as kubectl would create them there. Not thread-safe.
class ScanInputs {
 public:
  struct Wanted {
    bool rbac = false;
    bool accounts = false;
    bool network = false;
  };
  // `anonymous_requests`: the target cluster takes requests without credentials.
  ScanInputs(Wanted wanted, bool anonymous_requests);

  // Takes the object when it is an input wanted here (true: it is no workload to judge);
  // `problems` gets what is wrong with it ("NetworkPolicy x: spec.ingress[0]...: ..."), each an
  // error for its document.
  bool take(const document::Value& object, std::vector<std::string>& problems);

  // Once every file is read: adds the pinned release's built-in ClusterRoles the files do not
  // define and aggregates; returns notes for standard error (the built-in roles used, no
  // NetworkPolicy in the files).
  std::vector<std::string> resolve();

  // What an account may do; nullopt when RBAC is not wanted.
  std::optional<rbac::Permissions> permissions_of(const rbac::Account& account) const;
  // What the account says of token automounting, when the files hold it and it says.
  std::optional<bool> automount_of(const rbac::Account& account) const;
  const network::NetworkModel& network() const { return network_; }

 private:
  bool read_rbac(const document::Value& object);
  bool read_service_account(const document::Value& object);
  bool read_network(const document::Value& object, std::vector<std::string>& problems);
  std::string add_bootstrap_roles();

  Wanted wanted_;
  rbac::RbacGraph rbac_;
  bool resolved_ = false;
  std::map<rbac::Account, bool> automount_;  // accounts that set automountServiceAccountToken
  network::NetworkModel network_;
  std::size_t network_policies_ = 0;
};

}  // namespace bulwark::cli
