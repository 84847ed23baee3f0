#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "operator/policy/security_policy.h"
#include "operator/posture/engine.h"

namespace bulwark::reconcilers {

// What one policy found on one workload.
struct PolicyOutcome {
  std::string policy;
  posture::Posture posture = posture::Posture::kCompliant;
  // Violated control IDs, sorted, unique: views of crds::kControlIds (static storage), not copies,
  // since the book keeps one outcome a workload (at 50,000 workloads each copy was 8 MB).
  std::vector<std::string_view> controls;
  crds::Severity worst = crds::Severity::kLow;  // of those controls; meaningless when none
  bool enforced = false;  // this policy quarantined the workload or scaled it to zero
  // "control: message" of the findings whose message is the news (RBAC: the chain that grants
  // the permission), for status and Events; the other controls' messages stay in scan and logs.
  std::vector<std::string> details;
};

// The last verdict written for one top-level workload.
struct WorkloadRecord {
  std::string namespace_name;
  std::string kind;
  std::string name;
  std::vector<PolicyOutcome> outcomes;  // one per selecting policy, sorted by policy
};

// A policy's standing, as its status reports it.
struct PolicySummary {
  int workloads = 0;
  int compliant = 0;
  int violating = 0;
  int exempt = 0;
  int not_evaluated = 0;  // workloads with a control Bulwark could not judge and no violation
  int quarantined = 0;
  int score = 100;  // share of workloads compliant or exempt, rounded down; 100 with none
  struct Entry {
    std::string namespace_name, kind, name;
    std::vector<std::string> controls;
    crds::Severity worst;
    std::vector<std::string> details;  // PolicyOutcome::details
  };
  std::vector<Entry> violations;  // worst first, at most the limit asked for
};

// The verdicts of every workload the posture reconciler has judged, keyed by workload key. It is
// what policy status and metrics aggregate, so neither evaluates anything again. Thread-safe.
class PostureBook {
 public:
  // Told the names of policies whose standing may have changed, after each change.
  using Listener = std::function<void(const std::vector<std::string>& policies)>;
  void set_listener(Listener listener) { listener_ = std::move(listener); }

  // Stores the record; returns whether it differs from the one held.
  bool put(const std::string& key, WorkloadRecord record);
  void erase(const std::string& key);

  PolicySummary summarize(const std::string& policy, std::size_t max_violations) const;
  // Calls `fn` with every record under the lock; `fn` must not call back into the book.
  void for_each(const std::function<void(const std::string&, const WorkloadRecord&)>& fn) const;
  std::size_t size() const;
  // Whether the record of workload `key` has an outcome under `policy`.
  bool judged_by(const std::string& key, const std::string& policy) const;
  // Whether the record of workload `key` has an enforced outcome (quarantined or scaled).
  bool enforced(const std::string& key) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, WorkloadRecord> records_;  // guarded by mu_
  Listener listener_;                              // set before use
};

}  // namespace bulwark::reconcilers
