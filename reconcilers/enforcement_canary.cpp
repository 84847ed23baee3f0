#include "reconcilers/enforcement_canary.h"

#include <algorithm>
#include <future>

#include "operator/document/json_writer.h"
#include "operator/kube/api_error.h"
#include "operator/kube/client.h"
#include "operator/kube/resource_type.h"
#include "operator/policy/written_names.h"
#include "operator/runtime/manager.h"
#include "reconcilers/managed_network_policy.h"

namespace bulwark::reconcilers {

using canary::Enforcement;
using document::Value;
using State = EnforcementSnapshot::State;

namespace {

std::vector<std::string> texts(const Value* list) {
  std::vector<std::string> out;
  for (const auto& v : document::items_of(list)) out.emplace_back(v.str());
  return out;
}

canary::NodeNetwork node_of(const Value& node, const std::vector<std::string>& skip) {
  canary::NodeNetwork n;
  n.name = document::text_at(node, {"metadata", "name"});
  n.pod_cidrs = texts(node.find({"spec", "podCIDRs"}));
  const std::string single = document::text_at(node, {"spec", "podCIDR"});
  if (n.pod_cidrs.empty() && !single.empty()) n.pod_cidrs.push_back(single);
  for (const auto& a : document::items_of(node.find({"status", "addresses"}))) {
    n.addresses.push_back(document::text_at(a, {"address"}));
  }
  const Value* annotations = node.find({"metadata", "annotations"});
  for (const auto& key : skip) {
    n.simulated = n.simulated || (annotations != nullptr && annotations->find(key) != nullptr);
  }
  return n;
}

bool owned_by_uid(const Value& object, const std::string& uid) {
  const auto& refs = document::items_of(object.find({"metadata", "ownerReferences"}));
  return std::any_of(refs.begin(), refs.end(),
                     [&](const Value& r) { return document::text_at(r, {"uid"}) == uid; });
}

std::optional<canary::CanaryPod> pod_of(const Value& pod, const std::string& daemonset_uid) {
  if (!owned_by_uid(pod, daemonset_uid)) return std::nullopt;  // not the chart's canary
  canary::CanaryPod p;
  p.name = document::text_at(pod, {"metadata", "name"});
  p.node = document::text_at(pod, {"spec", "nodeName"});
  p.ip = document::text_at(pod, {"status", "podIP"});
  for (const auto& [k, v] : document::members_of(pod.find({"metadata", "labels"}))) {
    p.labels.emplace(k, v.str());
  }
  for (const auto& c : document::items_of(pod.find({"status", "conditions"}))) {
    if (document::text_at(c, {"type"}) == "Ready")
      p.ready = document::text_at(c, {"status"}) == "True";
  }
  p.ready = p.ready && pod.find({"metadata", "deletionTimestamp"}) == nullptr;
  return p;
}

Value list_of(Value item) {
  Value list = Value::array();
  list.push(std::move(item));
  return list;
}

Value ports_of(std::uint16_t port) {
  Value list = Value::array();
  for (const char* protocol : {"TCP", "UDP"}) {
    Value entry = Value::object();
    entry.set("port", Value::integer(port)).set("protocol", Value::string(protocol));
    list.push(std::move(entry));
  }
  return list;
}

Value peer_pods(const char* app_name) {
  Value peer = Value::object();
  peer.child("podSelector").child("matchLabels").set(kAppNameLabel, Value::string(app_name));
  return list_of(std::move(peer));
}

}  // namespace

CanaryInventoryRead KubeCanaryInventory::read() {
  CanaryInventoryRead out;
  kube::ListOptions nodes;
  nodes.limit = 500;
  client_.list(kube::resources::kNodes, "", nodes,
               [&](Value&& node) { out.nodes.push_back(node_of(node, skip_)); });
  try {
    const Value ds = client_.get(kube::resources::kDaemonSets, ns_, kCanaryName);
    out.daemonset_uid = document::text_at(ds, {"metadata", "uid"});
  } catch (const kube::ApiError& e) {
    if (e.error_class() != kube::ErrorClass::kNotFound) throw;
    return out;
  }
  kube::ListOptions pods;
  pods.label_selector = std::string(kAppNameLabel) + "=" + kCanaryName;
  client_.list(kube::resources::kPods, ns_, pods, [&](Value&& pod) {
    if (auto p = pod_of(pod, *out.daemonset_uid)) out.pods.push_back(std::move(*p));
  });
  client_.list(kube::resources::kNetworkPolicies, ns_, {}, [&](Value&& np) {
    if (document::text_at(np, {"metadata", "name"}) == kCanaryName) {
      out.policy = std::move(np);
    } else {
      out.other_policies.push_back(std::move(np));
    }
  });
  return out;
}

Value canary_network_policy(const std::string& ns, const std::string& daemonset_uid, int phase) {
  const canary::RoundPorts ports = canary::round_ports(phase);
  Value np = Value::object();
  np.set("apiVersion", Value::string("networking.k8s.io/v1"))
      .set("kind", Value::string("NetworkPolicy"));
  Value& meta = np.child("metadata");
  meta.set("name", Value::string(kCanaryName)).set("namespace", Value::string(ns));
  meta.child("labels")
      .set(kAppNameLabel, Value::string(kCanaryName))
      .set(kManagedByLabel, Value::string(kBulwarkName));
  Value owner = Value::object();
  owner.set("apiVersion", Value::string("apps/v1"))
      .set("kind", Value::string("DaemonSet"))
      .set("name", Value::string(kCanaryName))
      .set("uid", Value::string(daemonset_uid));
  meta.set("ownerReferences", list_of(std::move(owner)));
  Value& spec = np.child("spec");
  spec.child("podSelector").child("matchLabels").set(kAppNameLabel, Value::string(kCanaryName));
  spec.set("policyTypes", Value::array({"Ingress", "Egress"}));
  Value in = Value::object(), out = Value::object();
  in.set("from", peer_pods(kBulwarkName)).set("ports", ports_of(ports.in_allowed));
  out.set("to", peer_pods(kBulwarkName)).set("ports", ports_of(ports.out_allowed));
  spec.set("ingress", list_of(std::move(in))).set("egress", list_of(std::move(out)));
  return np;
}

int canary_policy_phase(const Value& policy) {
  const Value* ingress = policy.find({"spec", "ingress"});
  if (ingress == nullptr || !ingress->is_sequence() || ingress->items.empty()) return 0;
  const Value* ports = ingress->items[0].find("ports");
  if (ports == nullptr || !ports->is_sequence() || ports->items.empty()) return 0;
  const Value* port = ports->items[0].find("port");
  return port != nullptr && port->as_int() == canary::kCanaryPorts[1] ? 1 : 0;
}

namespace {

// A value's JSON with every mapping's keys sorted: equal for the same content in any order.
std::string canonical(const Value& v) {
  if (v.is_mapping()) {
    std::vector<std::pair<std::string, std::string>> members;
    for (const auto& [k, m] : v.members) members.emplace_back(k, canonical(m));
    std::sort(members.begin(), members.end());
    std::string out = "{";
    for (const auto& [k, m] : members) out += document::json_quote(k) + ":" + m + ",";
    return out + "}";
  }
  if (v.is_sequence()) {
    std::string out = "[";
    for (const auto& item : v.items) out += canonical(item) + ",";
    return out + "]";
  }
  return document::to_json(v);
}

}  // namespace

CanaryPolicyTrouble canary_policy_trouble(const CanaryInventoryRead& read, const std::string& ns) {
  using Kind = CanaryPolicyTrouble::Kind;
  const Value want =
      canary_network_policy(ns, *read.daemonset_uid, canary_policy_phase(*read.policy));
  const Value* have = read.policy->find("spec");
  if (have == nullptr || canonical(*have) != canonical(*want.find("spec"))) {
    return {Kind::kChanged, "NetworkPolicy " + std::string(kCanaryName) + " in " + ns +
                                " was changed by someone: put back; probes resume with the next "
                                "round"};
  }
  for (const auto& np : read.other_policies) {
    if (document::items_of(np.find({"spec", "ingress"})).empty() &&
        document::items_of(np.find({"spec", "egress"})).empty()) {
      continue;  // allows nothing
    }
    const auto selector = pod_selector_of(np);
    for (const auto& pod : read.pods) {
      if (selector && !selector->matches(pod.labels)) continue;
      return {Kind::kOpened,
              "NetworkPolicy " + document::text_at(np, {"metadata", "name"}) + " in " + ns +
                  " also selects the canary's pods and lets traffic in or out (NetworkPolicies "
                  "add up), so its denied ports may pass whatever the network plugin does"};
    }
  }
  return {};
}

bool canary_policy_is_ours(const Value& policy, const std::string& daemonset_uid) {
  return document::text_at(policy, {"metadata", "labels", kManagedByLabel}) == kBulwarkName &&
         owned_by_uid(policy, daemonset_uid);
}

EnforcementCanary::EnforcementCanary(CanaryInventory& inventory, kube::ObjectWriter& writer,
                                     canary::ProbeTransport* probes, EnforcementBook& book,
                                     const base::Clock& clock, Options options)
    : inventory_(inventory),
      writer_(writer),
      probes_(probes),
      book_(book),
      clock_(clock),
      options_(std::move(options)) {
  if (probes_ == nullptr) options_.own_ip.clear();
}

runtime::Result EnforcementCanary::reconcile(const std::string&) {
  if (stage_ != Stage::kIdle) return step();
  const auto now = clock_.now();
  if (next_round_ && now < *next_round_) return {*next_round_ - now};
  return start_round();
}

void EnforcementCanary::unavailable(State state, std::string why,
                                    const std::vector<canary::NodeNetwork>& nodes) {
  EnforcementSnapshot s;
  s.state = state;
  s.why = std::move(why);
  for (const auto& n : nodes) {
    if (!n.simulated) {
      s.nodes.push_back({n.name, Enforcement::kUnknown, Enforcement::kUnknown, s.why});
    }
  }
  last_.clear();
  book_.publish(std::move(s));
}

std::string EnforcementCanary::write_policy(const CanaryInventoryRead& read, int phase) {
  const Value want = canary_network_policy(options_.ns, *read.daemonset_uid, phase);
  if (!read.policy) {
    writer_.create(kube::resources::kNetworkPolicies, options_.ns, want);
    return "";
  }
  Value intent = want;
  // Only the object judged: a UID in an apply is a precondition.
  intent.child("metadata")
      .set("uid", Value::string(document::text_at(*read.policy, {"metadata", "uid"})));
  writer_.apply(kube::resources::kNetworkPolicies, options_.ns, kCanaryName, intent, kBulwarkName,
                true);
  return "";
}

std::pair<State, std::string> EnforcementCanary::blocked(const canary::TargetPlan& plan) {
  const std::string policy = "NetworkPolicy " + std::string(kCanaryName) + " in " + options_.ns;
  if (!plan.probe_from_node.empty()) return {State::kProbeFromNode, plan.probe_from_node};
  if (!read_.daemonset_uid) {
    return {State::kCanaryUnavailable,
            "DaemonSet " + std::string(kCanaryName) + " is not in namespace " + options_.ns};
  }
  if (read_.policy && !canary_policy_is_ours(*read_.policy, *read_.daemonset_uid)) {
    return {State::kCanaryUnavailable,
            policy + " is not Bulwark's (no managed-by label, or another owner): left as it is"};
  }
  const auto trouble =
      read_.policy ? canary_policy_trouble(read_, options_.ns) : CanaryPolicyTrouble{};
  // The first round only creates the policy, and one changed by someone is put back: probes start
  // from a phase in place, seen holding again.
  if (!read_.policy || trouble.kind == CanaryPolicyTrouble::Kind::kChanged) {
    try {
      write_policy(read_, read_.policy ? canary_policy_phase(*read_.policy) : 0);
    } catch (const kube::ApiError& e) {
      return {State::kCanaryUnavailable, "cannot write " + policy + ": " + e.what()};
    }
    if (!read_.policy) return {State::kProbing, policy + " was just created; probes start from it"};
  }
  return {State::kCanaryUnavailable, trouble.why};
}

runtime::Result EnforcementCanary::start_round() {
  next_round_ = clock_.now() + options_.interval;
  try {
    read_ = inventory_.read();
  } catch (const kube::ApiError& e) {
    unavailable(State::kCanaryUnavailable, std::string("cannot read the canary: ") + e.what(), {});
    return {options_.interval};
  }
  const canary::TargetPlan plan = canary::plan_targets(read_.nodes, read_.pods, options_.own_ip);
  if (const auto [state, why] = blocked(plan); !why.empty()) {
    if (state == State::kProbing) {
      // Just created: the next round starts now, its first half waiting for it to hold.
      unavailable(state, why, {});
      next_round_ = clock_.now();
      return {options_.probe_spacing};
    }
    unavailable(state, why, read_.nodes);
    return {options_.interval};
  }
  phase_ = canary_policy_phase(*read_.policy);
  const auto now = clock_.now();
  others_.clear();
  for (const auto& t : plan.targets) {
    if (!t.unavailable.empty()) {
      others_.push_back({t.node, Enforcement::kUnknown, Enforcement::kUnknown, t.unavailable});
      continue;
    }
    const auto last = last_.find(t.node);
    const bool same =
        last != last_.end() && last->second.ip == t.ip && last->second.phase == phase_;
    rounds_.push_back(
        {t.node, t.ip,
         canary::DirectionRound(same && last->second.in, now, options_.change_timeout),
         canary::DirectionRound(same && last->second.out, now, options_.change_timeout)});
  }
  stage_ = Stage::kBefore;
  return step();
}

void EnforcementCanary::probe_all(bool after) {
  const canary::RoundPorts ports = canary::round_ports(phase_);
  auto probe = [&](NodeRound& r) {
    for (auto [round, ingress] : {std::pair{&r.in, true}, std::pair{&r.out, false}}) {
      if (after ? !round->probing_change() : !round->confirming()) continue;
      const Enforcement e = ingress ? canary::probe_ingress(*probes_, r.ip, ports)
                                    : canary::probe_egress(*probes_, r.ip, ports);
      if (after) {
        round->record_after(clock_.now(), e);
      } else {
        round->record_before(clock_.now(), e);
      }
    }
  };
  // A few nodes at a time: a plugin that drops makes each blocked probe wait out its timeout.
  for (std::size_t first = 0; first < rounds_.size(); first += kProbesAtOnce) {
    std::vector<std::future<void>> batch;
    for (std::size_t i = first; i < rounds_.size() && i < first + kProbesAtOnce; ++i) {
      batch.push_back(std::async(std::launch::async, probe, std::ref(rounds_[i])));
    }
    for (auto& f : batch) f.get();
  }
}

runtime::Result EnforcementCanary::step() {
  if (stage_ == Stage::kBefore) {
    probe_all(false);
    const bool confirming = std::any_of(rounds_.begin(), rounds_.end(), [](const NodeRound& r) {
      return r.in.confirming() || r.out.confirming();
    });
    if (confirming) return {options_.probe_spacing};
    try {
      write_policy(read_, 1 - phase_);
    } catch (const kube::ApiError& e) {
      rounds_.clear();
      stage_ = Stage::kIdle;
      unavailable(State::kCanaryUnavailable,
                  "cannot write NetworkPolicy " + std::string(kCanaryName) + ": " + e.what(),
                  read_.nodes);
      return {options_.interval};
    }
    phase_ = 1 - phase_;
    const auto changed = clock_.now();
    for (auto& r : rounds_) {
      r.in.changed(changed);
      r.out.changed(changed);
    }
    stage_ = Stage::kAfter;
  }
  probe_all(true);
  const bool going_on = std::any_of(rounds_.begin(), rounds_.end(), [](const NodeRound& r) {
    return !r.in.outcome() || !r.out.outcome();
  });
  if (going_on) return {options_.probe_spacing};
  return finish_round();
}

runtime::Result EnforcementCanary::finish_round() {
  EnforcementSnapshot s;
  s.state = State::kProbed;
  s.nodes = others_;
  s.simulated = static_cast<int>(std::count_if(read_.nodes.begin(), read_.nodes.end(),
                                               [](const auto& n) { return n.simulated; }));
  last_.clear();
  for (const auto& r : rounds_) {
    NodeEnforcement n{r.node, *r.in.outcome(), *r.out.outcome(), ""};
    if (n.in == Enforcement::kUnknown || n.out == Enforcement::kUnknown) {
      n.unknown = "the canary on node " + r.node +
                  " answered no probes that prove enforcement or its absence within the change "
                  "timeout";
    }
    for (const auto* round : {&r.in, &r.out}) {
      if (round->lag() && options_.lag) options_.lag(*round->lag());
    }
    last_[r.node] = {r.ip, phase_, n.in == Enforcement::kEnforced, n.out == Enforcement::kEnforced};
    s.nodes.push_back(std::move(n));
  }
  std::sort(s.nodes.begin(), s.nodes.end(),
            [](const NodeEnforcement& a, const NodeEnforcement& b) { return a.node < b.node; });
  rounds_.clear();
  stage_ = Stage::kIdle;
  book_.publish(std::move(s));
  const auto now = clock_.now();
  return {next_round_ && *next_round_ > now ? *next_round_ - now : base::Clock::Duration::zero()};
}

void setup_enforcement_canary(runtime::Manager& manager, EnforcementCanarySetup setup) {
  auto reconciler =
      std::make_unique<EnforcementCanary>(setup.inventory, setup.writer, setup.probes, setup.book,
                                          setup.clock, std::move(setup.options));
  runtime::WorkQueue& queue = manager.add_controller("canary", std::move(reconciler), 1);
  queue.add(EnforcementCanary::kKey);
  manager.on_resync([&queue] { queue.add(EnforcementCanary::kKey); });
}

}  // namespace bulwark::reconcilers
