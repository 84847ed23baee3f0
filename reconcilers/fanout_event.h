#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bulwark::reconcilers {

// What the fan-out loop routes to the loops that act: an event the caches saw, typed. It travels
// through the work queue as its key() (the queue de-duplicates equal events) and is read back
// with parse(); nothing else spells or reads those keys.
struct FanoutEvent {
  enum class Type {
    kEverything,           // every workload (RBAC that changes every account, a node's enforcement)
    kResync,               // the periodic resync: every workload, unless a pass is under way
    kPolicy,               // a policy object changed: every workload, if how it judges changed
    kNamespace,            // a namespace changed: its workloads
    kWorkload,             // a workload object (of `kind`) changed: its top-level workload
    kVulnerabilityReport,  // a report changed: the workload it is about
    kAccount,              // a ServiceAccount's permissions changed: the workloads running as it
    kSelecting,  // a NetworkPolicy or Service (`kind`) changed: the workloads whose pods it selects
                 // or selected (NetworkIndex)
  };
  Type type = Type::kEverything;
  std::string kind;  // kWorkload, kSelecting: the object's kind ("Pod", "Service")
  // "ns/name" (kAccount: the account's); the namespace's name for kNamespace, the policy's for
  // kPolicy.
  std::string object;

  static FanoutEvent everything() { return {Type::kEverything, "", ""}; }
  static FanoutEvent resync() { return {Type::kResync, "", ""}; }
  static FanoutEvent of_namespace(std::string name) { return {Type::kNamespace, "", name}; }
  static FanoutEvent of_workload(std::string kind, std::string key) {
    return {Type::kWorkload, std::move(kind), std::move(key)};
  }
  static FanoutEvent of_policy(std::string name) { return {Type::kPolicy, "", std::move(name)}; }
  static FanoutEvent of_account(std::string key) { return {Type::kAccount, "", std::move(key)}; }
  static FanoutEvent of_selecting(std::string kind, std::string key) {
    return {Type::kSelecting, std::move(kind), std::move(key)};
  }
  static FanoutEvent of_report(std::string key) {
    return {Type::kVulnerabilityReport, "", std::move(key)};
  }

  std::string key() const;
  static std::optional<FanoutEvent> parse(std::string_view key);
  bool operator==(const FanoutEvent&) const = default;
};

}  // namespace bulwark::reconcilers
