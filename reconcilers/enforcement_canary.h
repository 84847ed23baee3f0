#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operator/base/clock.h"
#include "operator/canary/probe.h"
#include "operator/canary/round.h"
#include "operator/canary/targets.h"
#include "operator/canary/verdict.h"
#include "operator/document/value.h"
#include "operator/kube/object_writer.h"
#include "operator/runtime/controller.h"
#include "reconcilers/enforcement_book.h"

namespace bulwark::kube {
class KubeClient;
}
namespace bulwark::runtime {
class Manager;
}

namespace bulwark::reconcilers {

// What one round of the canary reads of the cluster, in the operator's namespace and of the nodes.
struct CanaryInventoryRead {
  std::optional<std::string> daemonset_uid;  // nullopt: no DaemonSet bulwark-canary
  std::vector<canary::NodeNetwork> nodes;
  std::vector<canary::CanaryPod> pods;          // owned by that DaemonSet, by its UID
  std::optional<document::Value> policy;        // the NetworkPolicy bulwark-canary, as it is
  std::vector<document::Value> other_policies;  // every other NetworkPolicy in the namespace
};
// Reads it; throws kube::ApiError when it cannot. The adapter is KubeCanaryInventory.
class CanaryInventory {
 public:
  virtual ~CanaryInventory() = default;
  virtual CanaryInventoryRead read() = 0;
};

class KubeCanaryInventory : public CanaryInventory {
 public:
  KubeCanaryInventory(kube::KubeClient& client, std::string ns,
                      std::vector<std::string> skip_node_annotations)
      : client_(client), ns_(std::move(ns)), skip_(std::move(skip_node_annotations)) {}
  CanaryInventoryRead read() override;

 private:
  kube::KubeClient& client_;
  std::string ns_;
  std::vector<std::string> skip_;
};

// The NetworkPolicy bulwark-canary of round phase `phase` (canary::round_ports): the canary pods
// let in from the operator's pods only on the allowed canary port, out only to the operator's
// pods on the allowed operator port, TCP and UDP each; owned by the DaemonSet (so it goes with
// it) and labelled managed-by bulwark. The fence (deploy/operator/admission-policy.yaml) lets
// Bulwark write exactly this shape.
document::Value canary_network_policy(const std::string& ns, const std::string& daemonset_uid,
                                      int phase);
// Whether `policy` is Bulwark's to change: labelled managed-by bulwark and owned by the
// DaemonSet with `daemonset_uid`.
bool canary_policy_is_ours(const document::Value& policy, const std::string& daemonset_uid);
// The phase a policy of that shape is in: 1 when it lets in on the second canary port, else 0.
int canary_policy_phase(const document::Value& policy);
// Why the canary's ports cannot prove anything whatever the plugin does: its policy's spec is not
// the one Bulwark writes (kChanged: someone changed it), or another NetworkPolicy of the namespace
// selects a canary pod and lets traffic in or out (kOpened: NetworkPolicies add up, so the denied
// port would pass). `read.policy` is set and Bulwark's.
struct CanaryPolicyTrouble {
  enum class Kind { kNone, kChanged, kOpened } kind = Kind::kNone;
  std::string why;
};
CanaryPolicyTrouble canary_policy_trouble(const CanaryInventoryRead& read, const std::string& ns);

// The enforcement canary's prober (docs/architecture.md, The enforcement canary). One key,
// "round"; each reconcile does one step and asks to be called again. Every `interval`: probe each
// node's canary under the policy's phase in place until it is seen holding (skipped where the
// last round ended Enforced on the same canary and phase), flip the policy to the other phase,
// probe until each node's change is seen taking effect or not (canary::DirectionRound), one probe
// each way every `probe_spacing`, and publish the verdicts. The first round only creates the
// policy. Runs only where the controllers run: on the leader.
class EnforcementCanary : public runtime::Reconciler {
 public:
  struct Options {
    std::string ns;      // the operator's, where the DaemonSet and its NetworkPolicy live
    std::string own_ip;  // POD_IP; "" outside a pod
    base::Clock::Duration interval = std::chrono::seconds(60);
    base::Clock::Duration change_timeout = std::chrono::seconds(30);
    base::Clock::Duration probe_spacing = std::chrono::seconds(1);
    // The lag of each node's change found in effect, each way.
    std::function<void(base::Clock::Duration)> lag;
  };
  // `probes` null: the operator is no pod-network endpoint (own_ip ""), and probes nothing.
  EnforcementCanary(CanaryInventory& inventory, kube::ObjectWriter& writer,
                    canary::ProbeTransport* probes, EnforcementBook& book, const base::Clock& clock,
                    Options options);
  runtime::Result reconcile(const std::string& key) override;
  static constexpr const char* kKey = "round";
  static constexpr std::size_t kProbesAtOnce = 8;  // nodes probed at once (one thread each)

 private:
  struct NodeRound {
    std::string node, ip;
    canary::DirectionRound in, out;
  };
  // What the last round ended with on a node, to skip seeing the phase in place again.
  struct Last {
    std::string ip;
    int phase = 0;
    bool in = false, out = false;  // ended Enforced
  };
  runtime::Result start_round();
  // Why this round cannot probe ("" when it can), after writing what must be put back.
  std::pair<EnforcementSnapshot::State, std::string> blocked(const canary::TargetPlan& plan);
  runtime::Result step();
  // One probe of every node that wants one, `after` the change or before it, a few at a time.
  void probe_all(bool after);
  runtime::Result finish_round();
  // Writes the policy of `phase`; "" once written, else why it cannot be.
  std::string write_policy(const CanaryInventoryRead& read, int phase);
  void unavailable(EnforcementSnapshot::State state, std::string why,
                   const std::vector<canary::NodeNetwork>& nodes);

  CanaryInventory& inventory_;
  kube::ObjectWriter& writer_;
  canary::ProbeTransport* probes_;
  EnforcementBook& book_;
  const base::Clock& clock_;
  Options options_;
  enum class Stage { kIdle, kBefore, kAfter } stage_ = Stage::kIdle;
  CanaryInventoryRead read_;  // what this round read
  int phase_ = 0;             // the phase in place (kBefore), then the one written (kAfter)
  std::optional<base::Clock::TimePoint> next_round_;
  std::vector<NodeRound> rounds_;        // nodes being probed this round
  std::vector<NodeEnforcement> others_;  // nodes not probed this round, and why
  std::map<std::string, Last> last_;     // by node
};

struct EnforcementCanarySetup {
  CanaryInventory& inventory;
  kube::ObjectWriter& writer;
  canary::ProbeTransport* probes;  // null: the operator is no pod-network endpoint
  EnforcementBook& book;
  const base::Clock& clock;
  EnforcementCanary::Options options;
};
// Registers the "canary" controller with its one key, queued at once and at every resync (a
// reconcile before the round is due only waits).
void setup_enforcement_canary(runtime::Manager& manager, EnforcementCanarySetup setup);

}  // namespace bulwark::reconcilers
