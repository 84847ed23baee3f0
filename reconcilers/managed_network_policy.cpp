#include "reconcilers/managed_network_policy.h"

#include <algorithm>
#include <set>

#include "operator/logging/logging.h"
#include "reconcilers/caches.h"

namespace bulwark::reconcilers {

using document::Value;

// docs/api.md: Audit changes nothing in the cluster, so both are kept in Enforce only; in
// Audit, a namespace without default-deny is a finding (namespace_findings.h) instead.
// Default-deny leaves pods labelled quarantined to bulwark-quarantine (NetworkPolicies add up, so
// selecting them too would give them its DNS egress): wherever it is kept, bulwark-quarantine is
// kept as well, or a pod labelled by hand would escape both.
bool wants_managed(ManagedPolicyKind kind, const crds::SecurityPolicySpec& spec) {
  const bool default_deny =
      spec.enforcement.mode == crds::EnforcementMode::kEnforce && spec.network.default_deny;
  if (kind == ManagedPolicyKind::kQuarantine) {
    return enforces(spec, crds::EnforcementAction::kQuarantine) || default_deny;
  }
  return default_deny;
}

ManagedNetworkPolicyReconciler::ManagedNetworkPolicyReconciler(
    ManagedPolicyKind kind, kube::ObjectWriter& writer, Sources sources, OwnershipRecord& ownership,
    EventRecorder& events, const base::Clock& clock, std::vector<std::string> never_touch)
    : kind_(kind),
      writer_(writer),
      sources_(sources),
      ownership_(ownership),
      events_(events),
      clock_(clock),
      never_touch_(std::move(never_touch)) {}

const char* ManagedNetworkPolicyReconciler::name_of(ManagedPolicyKind kind) {
  return kind == ManagedPolicyKind::kDefaultDeny ? kDefaultDenyName : kQuarantinePolicyName;
}

Value ManagedNetworkPolicyReconciler::desired(ManagedPolicyKind kind, const std::string& ns,
                                              bool allow_dns, const Owners& owners) {
  Value object = Value::object();
  object.set("apiVersion", Value::string("networking.k8s.io/v1"))
      .set("kind", Value::string("NetworkPolicy"));
  Value& meta = object.child("metadata");
  meta.set("name", Value::string(name_of(kind))).set("namespace", Value::string(ns));
  meta.child("labels").set(kManagedByLabel, Value::string(kBulwarkName));
  Value refs = Value::array();
  for (const auto& [name, uid] : owners) {
    refs.push(Value::object()
                  .set("apiVersion", Value::string(kSecurityPolicyApiVersion))
                  .set("kind", Value::string("SecurityPolicy"))
                  .set("name", Value::string(name))
                  .set("uid", Value::string(uid)));
  }
  meta.set("ownerReferences", std::move(refs));
  // ingress: [] and the whole podSelector are set explicitly: both are atomic, so a forced apply
  // also takes back rules a user added, not only fields Bulwark set before.
  Value& spec = object.child("spec");
  Value& selector = spec.child("podSelector");
  if (kind == ManagedPolicyKind::kQuarantine) {
    selector.child("matchLabels").set(kQuarantineLabel, Value::string("true"));
  } else {
    // Every pod but the quarantined. NotIn rather than DoesNotExist: a pod labelled
    // bulwark.dev/quarantine=false by hand stays under default-deny.
    Value expressions = Value::array();
    expressions.push(Value::object()
                         .set("key", Value::string(kQuarantineLabel))
                         .set("operator", Value::string("NotIn"))
                         .set("values", Value::array({"true"})));
    selector.set("matchExpressions", std::move(expressions));
  }
  spec.set("policyTypes", Value::array({"Ingress", "Egress"})).set("ingress", Value::array());
  Value egress = Value::array();
  if (kind == ManagedPolicyKind::kDefaultDeny && allow_dns) {
    Value ports = Value::array();
    for (const char* protocol : {"UDP", "TCP"}) {
      ports.push(
          Value::object().set("protocol", Value::string(protocol)).set("port", Value::integer(53)));
    }
    egress.push(Value::object().set("ports", std::move(ports)));
  }
  spec.set("egress", std::move(egress));
  return object;
}

bool ManagedNetworkPolicyReconciler::up_to_date(ManagedPolicyKind kind, const Value& current,
                                                bool allow_dns, const Owners& owners) {
  const Value* managed = current.find({"metadata", "labels", kManagedByLabel});
  if (managed == nullptr || managed->str() != kBulwarkName) return false;
  std::set<std::string> want, have;
  for (const auto& o : owners) want.insert(o.second);
  for (const auto& ref : document::items_of(current.find({"metadata", "ownerReferences"}))) {
    if (const Value* uid = ref.find("uid")) have.emplace(uid->str());
  }
  return want == have && in_shape(kind, current, allow_dns);
}

bool ManagedNetworkPolicyReconciler::in_shape(ManagedPolicyKind kind, const Value& current,
                                              bool allow_dns) {
  const Value* spec = current.find("spec");
  if (spec == nullptr) return false;
  const Value* selector = spec->find("podSelector");
  if (kind == ManagedPolicyKind::kDefaultDeny) {
    // Objects from before the quarantine exclusion selected every pod: they are applied again.
    if (selector == nullptr || selector->find("matchLabels") != nullptr) return false;
    const auto& expressions = document::items_of(selector->find("matchExpressions"));
    if (expressions.size() != 1) return false;
    const Value& e = expressions[0];
    const auto& values = document::items_of(e.find("values"));
    if (e.find("key") == nullptr || e.find("key")->str() != kQuarantineLabel ||
        e.find("operator") == nullptr || e.find("operator")->str() != "NotIn" ||
        values.size() != 1 || values[0].str() != "true") {
      return false;
    }
  } else {
    if (selector == nullptr || selector->find("matchExpressions") != nullptr) return false;
    const auto& labels = document::members_of(selector->find("matchLabels"));
    if (labels.size() != 1 || labels[0].first != kQuarantineLabel ||
        labels[0].second.str() != "true") {
      return false;
    }
  }
  std::set<std::string> types;
  for (const auto& t : document::items_of(spec->find("policyTypes"))) types.emplace(t.str());
  if (types != std::set<std::string>{"Ingress", "Egress"}) return false;
  if (!document::items_of(spec->find("ingress")).empty()) return false;
  const auto& egress = document::items_of(spec->find("egress"));
  if (kind == ManagedPolicyKind::kQuarantine || !allow_dns) return egress.empty();
  if (egress.size() != 1 || egress[0].find("to") != nullptr) return false;
  std::set<std::string> ports;
  for (const auto& p : document::items_of(egress[0].find("ports"))) {
    // Exactly a protocol and a port: an endPort added would open a range.
    if (std::any_of(p.members.begin(), p.members.end(),
                    [](const auto& m) { return m.first != "protocol" && m.first != "port"; })) {
      return false;
    }
    const Value* proto = p.find("protocol");
    const Value* port = p.find("port");
    ports.insert(std::string(proto ? proto->str() : "TCP") + "/" +
                 std::string(port ? port->str() : ""));
  }
  return ports == std::set<std::string>{"UDP/53", "TCP/53"};
}

namespace {

bool labelled(const Value& object) {
  const Value* managed = object.find({"metadata", "labels", kManagedByLabel});
  return managed != nullptr && managed->str() == kBulwarkName;
}

}  // namespace

bool ManagedNetworkPolicyReconciler::ours(const Value& current, bool allow_dns) {
  const std::string uid = document::text_at(current, {"metadata", "uid"});
  if (ownership_.owns(uid)) return true;
  // Adopted once (docs/api.md, Ownership). An object labelled, of exactly Bulwark's shape (DNS
  // either way), whose owners are all policies denies what Bulwark would deny: its creator keeps
  // nothing by it, whoever that was (a crash between a create and its status write leaves one,
  // its owners perhaps changed since). And one an earlier release made: labelled, owned by a
  // policy that has recorded no UID yet.
  const auto snapshot = sources_.policies.current();
  const auto& refs = document::items_of(current.find({"metadata", "ownerReferences"}));
  const auto is_policy = [&](const Value& ref, bool unrecorded) {
    const std::string policy_uid = document::text_at(ref, {"uid"});
    return std::any_of(snapshot->begin(), snapshot->end(), [&](const LoadedPolicy& p) {
      return p.uid == policy_uid && (!unrecorded || !ownership_.recorded_by(p.uid));
    });
  };
  bool adopt = labelled(current) && !refs.empty() &&
               (in_shape(kind_, current, allow_dns) || in_shape(kind_, current, !allow_dns)) &&
               std::all_of(refs.begin(), refs.end(),
                           [&](const Value& ref) { return is_policy(ref, false); });
  if (!adopt && labelled(current)) {
    adopt = std::any_of(refs.begin(), refs.end(),
                        [&](const Value& ref) { return is_policy(ref, true); });
  }
  if (!adopt) return false;
  ownership_.record(uid, document::text_at(current, {"metadata", "namespace"}));
  logging::info("adopted " + document::text_at(current, {"metadata", "namespace"}) + "/" +
                name_of(kind_) + " (uid " + uid + ") as Bulwark's");
  return true;
}

void ManagedNetworkPolicyReconciler::squatted(const std::string& ns, const Value& current,
                                              bool wanted) {
  const std::string name = name_of(kind_);
  ownership_.set_conflict(ns, name, wanted);
  if (!wanted) return;
  const std::string uid = document::text_at(current, {"metadata", "uid"});
  const std::string rv = document::text_at(current, {"metadata", "resourceVersion"});
  {
    std::lock_guard lock(mu_);
    if (!told_.insert(uid + "/" + rv).second) return;
  }
  logging::warn("namespace " + ns + " has a NetworkPolicy " + name +
                " that Bulwark did not create; leaving it alone, and not enforcing there");
  events_.record({"networking.k8s.io/v1", "NetworkPolicy", ns, name, uid, rv}, EventType::kWarning,
                 event_reasons::kNameConflict,
                 "Bulwark did not create this NetworkPolicy but a SecurityPolicy needs its name: "
                 "Bulwark leaves it alone and does not count the namespace as enforced; delete "
                 "or rename it and Bulwark creates its own");
}

std::optional<crds::LabelSelector> pod_selector_of(const Value& network_policy) {
  crds::LabelSelector out;
  const Value* selector = network_policy.find({"spec", "podSelector"});
  for (const auto& [key, value] :
       document::members_of(selector ? selector->find("matchLabels") : nullptr)) {
    out.match_labels[key] = value.str();
  }
  using Op = crds::LabelSelector::Requirement::Operator;
  const std::map<std::string_view, Op> ops{{"In", Op::kIn},
                                           {"NotIn", Op::kNotIn},
                                           {"Exists", Op::kExists},
                                           {"DoesNotExist", Op::kDoesNotExist}};
  for (const auto& e :
       document::items_of(selector ? selector->find("matchExpressions") : nullptr)) {
    const auto op = ops.find(document::text_at(e, {"operator"}));
    if (op == ops.end()) return std::nullopt;
    crds::LabelSelector::Requirement r{document::text_at(e, {"key"}), op->second, {}};
    for (const auto& v : document::items_of(e.find("values"))) r.values.emplace_back(v.str());
    out.match_expressions.push_back(std::move(r));
  }
  return out;
}

void ManagedNetworkPolicyReconciler::remove(const std::string& ns, const Value* current) {
  {
    std::lock_guard lock(mu_);
    held_.erase(ns);
    applied_.erase(ns);
  }
  if (current == nullptr) return;
  const std::string name = name_of(kind_);
  if (!labelled(*current)) {
    // Its label was taken away: the fence deletes only labelled objects, so it gets it back first.
    Value intent = desired(kind_, ns, false, {});
    intent.child("metadata")
        .set("uid", Value::string(document::text_at(*current, {"metadata", "uid"})));
    writer_.apply(kube::resources::kNetworkPolicies, ns, name, intent, kBulwarkName, true);
  }
  const Value* uid = current->find({"metadata", "uid"});
  const kube::Preconditions only_this{
      uid != nullptr ? std::optional<std::string>(uid->str()) : std::nullopt, std::nullopt};
  if (writer_.remove(kube::resources::kNetworkPolicies, ns, name, only_this)) {
    logging::info("removed " + ns + "/" + name + ": no policy selects the namespace");
    if (on_write_) on_write_(kind_, Write::kDelete);
  }
}

ManagedNetworkPolicyReconciler::Owners ManagedNetworkPolicyReconciler::wanted_by(
    const std::string& ns, bool& allow_dns) const {
  Owners owners;
  auto namespace_object = sources_.namespaces.get(ns);
  if (namespace_object == nullptr ||
      namespace_object->find({"metadata", "deletionTimestamp"}) != nullptr) {
    return owners;
  }
  const auto labels = labels_of(*namespace_object);
  for (const auto& p : *sources_.policies.current()) {
    if (!p.active() || !wants_managed(kind_, p.policy.spec)) continue;
    if (!selects_namespace(p.policy.spec, ns, labels)) continue;
    owners.emplace_back(p.policy.name, p.uid);
    allow_dns = allow_dns && p.policy.spec.network.allow_dns_egress;  // the strictest wins
  }
  std::sort(owners.begin(), owners.end());
  return owners;
}

ManagedNetworkPolicyReconciler::Owners ManagedNetworkPolicyReconciler::held_by_unreadable(
    const Value& current) const {
  Owners held;
  const auto snapshot = sources_.policies.current();
  for (const auto& ref : document::items_of(current.find({"metadata", "ownerReferences"}))) {
    const Value* uid = ref.find("uid");
    if (uid == nullptr) continue;
    for (const auto& p : *snapshot) {
      if (!p.valid() && !p.deleting && p.uid == uid->str()) held.emplace_back(p.policy.name, p.uid);
    }
  }
  return held;
}

runtime::Result ManagedNetworkPolicyReconciler::reconcile(const std::string& ns) {
  bool repaired = false;
  const runtime::Result result = keep(ns, repaired);
  if (on_judged_) on_judged_(kind_, ns, repaired);
  return result;
}

runtime::Result ManagedNetworkPolicyReconciler::keep(const std::string& ns, bool& repaired) {
  if (never_touched(never_touch_, ns)) return {};
  const std::string name = name_of(kind_);
  bool allow_dns = true;
  Owners owners = wanted_by(ns, allow_dns);

  auto current = sources_.network_policies.get(ns + "/" + name);
  if (current != nullptr && !ours(*current, allow_dns)) {
    squatted(ns, *current, !owners.empty());  // never rewritten or deleted
    return {};
  }
  ownership_.set_conflict(ns, name, false);
  // docs/api.md: a policy that cannot be read keeps what it holds. Its owner reference on
  // the object says it holds it; the object is then neither removed nor loosened (its owners
  // stay, and DNS stays closed if it is closed), whatever the readable policies want.
  const Owners held = current != nullptr ? held_by_unreadable(*current) : Owners{};
  if (!held.empty()) {
    if (owners.empty()) {
      logging::debug(ns + "/" + name + " is held by an unreadable policy; left as it is");
      return {};
    }
    owners.insert(owners.end(), held.begin(), held.end());
    std::sort(owners.begin(), owners.end());
    allow_dns = allow_dns && !document::items_of(current->find({"spec", "egress"})).empty();
  }
  if (owners.empty()) {
    remove(ns, current.get());
    return {};
  }
  {
    std::lock_guard lock(mu_);
    if (current != nullptr) {
      held_.insert(ns);
      applied_.erase(ns);
    } else if (auto it = applied_.find(ns); it != applied_.end()) {
      // This process created it and the watch has not brought it back yet: applying again
      // would be a second write and, after a user's delete, a second DriftRepaired. The watch
      // normally answers in milliseconds; past the window, the object is judged afresh.
      constexpr auto kWindow = std::chrono::seconds(10);
      const auto waited = clock_.now() - it->second;
      if (waited < kWindow) return {kWindow - waited};
      applied_.erase(it);
    }
  }
  if (current != nullptr && up_to_date(kind_, *current, allow_dns, owners)) {
    logging::debug(ns + "/" + name + " is up to date");  // no write
    return {};
  }
  // A managed object that exists but differs, or one this process saw and a user then deleted,
  // is drift; the first creation is not.
  bool repair = current != nullptr;
  {
    std::lock_guard lock(mu_);
    repair = repair || held_.count(ns) > 0;
  }
  write(ns, current.get(), owners, allow_dns, repair);
  repaired = repair;
  return {};
}

void ManagedNetworkPolicyReconciler::write(const std::string& ns, const Value* current,
                                           const Owners& owners, bool allow_dns, bool repair) {
  const std::string name = name_of(kind_);
  Value intent = desired(kind_, ns, allow_dns, owners);
  if (current != nullptr) {
    // The object judged, not one a user created in its place meanwhile: a UID in an apply is a
    // precondition (409 otherwise), so a squatter is never rewritten. A first create cannot say
    // "only if absent" with apply; a squatter created in that instant is taken over and made
    // exactly Bulwark's deny-only shape, which gives its creator nothing.
    intent.child("metadata")
        .set("uid", Value::string(document::text_at(*current, {"metadata", "uid"})));
  }
  const Value applied =
      writer_.apply(kube::resources::kNetworkPolicies, ns, name, intent, kBulwarkName, true);
  logging::info(std::string(repair ? "repaired " : "created ") + ns + "/" + name);
  ownership_.record(document::text_at(applied, {"metadata", "uid"}), ns);
  if (current == nullptr) {
    std::lock_guard lock(mu_);
    applied_[ns] = clock_.now();
  }
  if (on_write_) on_write_(kind_, repair ? Write::kRepair : Write::kCreate);
  if (!repair) return;
  // Named by the repaired object as it now is: a drift repaired twice is two Events.
  events_.record({"networking.k8s.io/v1", "NetworkPolicy", ns, name,
                  document::text_at(applied, {"metadata", "uid"}),
                  document::text_at(applied, {"metadata", "resourceVersion"})},
                 EventType::kNormal, event_reasons::kDriftRepaired,
                 "Bulwark restored " + name + " to what its SecurityPolicies require");
}

void setup_managed_network_policies(runtime::Manager& manager,
                                    const ManagedNetworkPolicySetup& setup) {
  const runtime::CacheReader& namespaces = setup.caches.namespaces;
  runtime::Informer& network_policies = setup.caches.network_policies;
  for (auto kind : {ManagedPolicyKind::kDefaultDeny, ManagedPolicyKind::kQuarantine}) {
    auto r = std::make_unique<ManagedNetworkPolicyReconciler>(
        kind, setup.writer,
        ManagedNetworkPolicyReconciler::Sources{namespaces, network_policies, setup.policies},
        setup.ownership, setup.events, setup.clock, setup.never_touch);
    r->set_write_observer(setup.hooks.on_write);
    r->set_judged_observer(setup.hooks.on_judged);
    runtime::WorkQueue& queue = manager.add_controller(
        kind == ManagedPolicyKind::kDefaultDeny ? "default-deny" : "quarantine-policy",
        std::move(r), 1);
    auto every_namespace = [&queue, &namespaces] {
      for (const auto& ns : namespaces.keys()) queue.add(ns);
    };
    setup.caches.namespaces.add_handler([&queue](const std::string& ns) { queue.add(ns); });
    network_policies.add_handler([&queue, seen = setup.hooks.event_seen,
                                  name = std::string(ManagedNetworkPolicyReconciler::name_of(
                                      kind))](const std::string& key) {
      const auto slash = key.find('/');
      if (key.substr(slash + 1) != name) return;
      if (seen) seen(key);
      queue.add(key.substr(0, slash));
    });
    setup.caches.policies.add_handler([every_namespace](const std::string&) { every_namespace(); });
    manager.on_resync(every_namespace);
  }
}

}  // namespace bulwark::reconcilers
