#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "operator/document/value.h"
#include "operator/runtime/cache_reader.h"

namespace bulwark::reconcilers {

// Where each SecurityPolicy records the UIDs of the managed NetworkPolicies it wants, in its
// status: namespace users cannot write there (the status subresource).
inline constexpr const char* kOwnedUidsField = "networkPolicyUIDs";

// Which managed NetworkPolicies Bulwark created, by UID (docs/api.md, Ownership). Labels, owner
// references and field managers are hints any writer can remove or forge; a UID is recorded only
// for an object Bulwark created (or adopted, see adoptable()), so a namespace user who strips the
// label from Bulwark's object cannot make it someone else's, and one who creates an object of
// Bulwark's name cannot make it Bulwark's.
// - The record is the union of every policy's status.networkPolicyUIDs (re-read after each policy
//   change: invalidate()) and the UIDs this process created since, which a status write soon
//   carries (the SecurityPolicy reconciler writes what recorded_in() says).
// - A name taken by an object that is not Bulwark's is a conflict, kept here for the posture
//   reconciler, the policy status and the gauge bulwark_conflicting_objects.
// - Listeners hear of each namespace whose conflicts changed, and of the namespace of each UID
//   newly recorded: the watch event of an object Bulwark just created can be judged before its
//   UID is recorded, and the quarantines it holds must be counted again then. Thread-safe.
class OwnershipRecord {
 public:
  using Listener = std::function<void(const std::string& ns)>;
  explicit OwnershipRecord(const runtime::CacheReader& policies) : policies_(policies) {}

  bool owns(const std::string& uid) const;
  // Records a UID Bulwark created or adopted in namespace `ns` (the listeners hear of `ns` when
  // it is new; empty: no one hears).
  void record(const std::string& uid, const std::string& ns = "");
  // Called from the policy cache's handler.
  void invalidate();
  // Whether the policy with `uid` has recorded anything since the upgrade (its status has the
  // field, even empty): objects it owned before are adopted once, by label and owner reference.
  bool recorded_by(const std::string& policy_uid) const;

  // Objects of name `name` in namespace `ns` held by someone else.
  void set_conflict(const std::string& ns, const std::string& name, bool conflict);
  bool conflict(const std::string& ns, const std::string& name) const;
  std::size_t conflicts() const;
  void add_listener(Listener listener);

 private:
  struct FromStatus {
    std::set<std::string> uids;
    std::set<std::string> recording_policies;
  };
  const FromStatus& from_status() const;  // requires mu_

  const runtime::CacheReader& policies_;
  mutable std::mutex mu_;
  mutable std::optional<FromStatus> from_status_;  // guarded by mu_; rebuilt when invalidated
  std::set<std::string> created_;                  // guarded by mu_
  std::set<std::pair<std::string, std::string>> conflicts_;  // guarded by mu_
  std::vector<Listener> listeners_;                          // set before the controllers start
};

// The UIDs a policy's status records (kOwnedUidsField); nullopt when the field is absent.
std::optional<std::vector<std::string>> recorded_uids(const document::Value* status);

}  // namespace bulwark::reconcilers
