// How the posture reconciler is wired to the Manager: the fan-out loop that routes typed events
// to workload keys, the RBAC index kept on the reflectors' threads, and the pass count.
#include <algorithm>
#include <mutex>
#include <set>

#include "operator/logging/logging.h"
#include "operator/runtime/allocator.h"
#include "reconcilers/caches.h"
#include "reconcilers/fanout_event.h"
#include "reconcilers/input_access.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/posture_pass.h"
#include "reconcilers/workload_judgement.h"
#include "reconcilers/workload_posture.h"

namespace bulwark::reconcilers {

using document::Value;

namespace {

// Each policy's judging state as last routed, so that a policy event re-judges every workload
// only when how the policy judges changed: not for the status writes that follow every change of
// standing. Used by the fan-out worker; locked all the same.
class PolicyChanges {
 public:
  explicit PolicyChanges(const runtime::CacheReader& policies) : policies_(policies) {}
  bool changed(const std::string& name) {
    auto object = policies_.get(name);
    std::lock_guard lock(mu_);
    if (object == nullptr) {
      seen_.erase(name);
      return true;  // deleted: what it held is released
    }
    const PolicyJudgingState state = judging_state(*object);
    auto [it, added] = seen_.try_emplace(name, state);
    if (added) return true;
    if (it->second == state) return false;
    it->second = state;
    return true;
  }

 private:
  const runtime::CacheReader& policies_;
  std::mutex mu_;
  std::map<std::string, PolicyJudgingState> seen_;  // guarded by mu_
};

// Counts each posture reconcile toward the pass it is part of, and logs the pass's end.
class PassCountingReconciler : public runtime::Reconciler {
 public:
  PassCountingReconciler(std::unique_ptr<WorkloadPostureReconciler> inner,
                         std::shared_ptr<PosturePass> pass)
      : inner_(std::move(inner)), pass_(std::move(pass)) {}
  runtime::Result reconcile(const std::string& key) override {
    try {
      const auto result = inner_->reconcile(key);
      finish(key);
      return result;
    } catch (...) {
      finish(key);
      throw;
    }
  }

 private:
  void finish(const std::string& key) {
    if (const auto line = pass_->done(key); !line.empty()) {
      logging::info(line);
      runtime::release_free_memory();
    }
  }
  std::unique_ptr<WorkloadPostureReconciler> inner_;
  std::shared_ptr<PosturePass> pass_;
};

// What the fan-out worker routes with.
struct Routing {
  Routing(const WorkloadPostureReconciler& posture, const runtime::CacheReader* reports,
          runtime::WorkQueue& posture_queue, const runtime::CacheReader& policies,
          std::shared_ptr<PosturePass> pass)
      : posture(posture),
        reports(reports),
        posture_queue(posture_queue),
        policy_changes(policies),
        pass(std::move(pass)) {}
  const WorkloadPostureReconciler& posture;
  const runtime::CacheReader* reports;
  runtime::WorkQueue& posture_queue;
  PolicyChanges policy_changes;
  NetworkIndex network;
  std::shared_ptr<PosturePass> pass;
  std::once_flag first;  // the first event routed begins the start's pass
};

// The fan-out loop's worker: routes one typed event to posture keys.
void route(const FanoutEvent& e, Routing& r, const PostureHooks& hooks) {
  using Type = FanoutEvent::Type;
  const WorkloadPostureReconciler& posture = r.posture;
  runtime::WorkQueue& posture_queue = r.posture_queue;
  // Controllers start once every cache has synced: every workload is judged now.
  std::call_once(r.first, [&] { r.pass->begin("start", posture.all_keys()); });
  if (e.type == Type::kPolicy && !r.policy_changes.changed(e.object)) return;
  // A resync while a pass is under way would judge again what the pass judged moments ago (at
  // 50,000 workloads a pass outlasts a short resync period): the pass is the resync.
  if (e.type == Type::kResync && r.pass->under_way()) {
    logging::debug("resync: a posture pass is under way, which judges every workload");
    return;
  }
  if (e.type == Type::kEverything || e.type == Type::kResync || e.type == Type::kPolicy) {
    const auto keys = posture.all_keys();
    r.pass->begin(e.type == Type::kPolicy ? "policy " + e.object : "resync", keys);
    for (const auto& k : keys) posture_queue.add(k);
    return;
  }
  auto route_to = [&](const std::vector<std::string>& keys) {
    for (const auto& k : keys) {
      if (hooks.event_routed) hooks.event_routed(e.key(), k);
      posture_queue.add(k);
    }
  };
  if (e.type == Type::kAccount) {
    route_to(posture.keys_running_as(e.object));
    return;
  }
  if (e.type == Type::kSelecting) {
    if (const auto kind = selecting_kind(e.kind)) {
      const auto selection = r.network.take(*kind, e.object);
      if (!posture.judges_network()) return;
      route_to(posture.keys_selected(e.object.substr(0, e.object.find('/')), selection));
    }
    return;
  }
  std::string kind = e.type == Type::kNamespace ? "Namespace" : e.kind, object = e.object;
  if (e.type == Type::kVulnerabilityReport) {
    auto report = r.reports != nullptr ? r.reports->get(e.object) : nullptr;
    if (report == nullptr) return;  // the next resync judges without it
    const auto about = report_subject(*report);
    if (!about) return;
    kind = about->first;
    object = object.substr(0, object.find('/') + 1) + about->second;
  }
  route_to(posture.keys_for(kind, object));
}

// The RBAC caches update the index on the reflector's thread, before anything they enqueue can be
// reconciled (as the policy set is invalidated first), so a reconcile never reads permissions from
// before the change; each change re-judges exactly the workloads running as the accounts it
// affects.
void watch_rbac(const Caches& caches, RbacIndex& index, runtime::WorkQueue& fanout) {
  for (const auto& [resource, cache] : caches.rbac()) {
    cache.add_handler([&index, &cache = cache, &fanout, name = resource](const std::string& key) {
      const rbac::Affected affected = index.apply(name, key, cache);
      if (affected.all) {
        fanout.add(FanoutEvent::everything().key());
        return;
      }
      for (const auto& ns : affected.namespaces) fanout.add(FanoutEvent::of_namespace(ns).key());
      for (const auto& a : affected.accounts) {
        fanout.add(FanoutEvent::of_account(a.namespace_name + "/" + a.name).key());
      }
    });
  }
}

// A NetworkPolicy or Service judges the network controls and the quarantine hold of the
// workloads whose pods it selects: the index records what it selected on the reflector's thread,
// before the fan-out loop routes the event and takes that.
void watch_selecting(const Caches& caches, NetworkIndex& network, runtime::WorkQueue& fanout) {
  const std::pair<runtime::Informer*, SelectingKind> caches_by_kind[] = {
      {&caches.network_policies, SelectingKind::kNetworkPolicy},
      {&caches.services, SelectingKind::kService}};
  for (const auto& [cache, kind] : caches_by_kind) {
    cache->add_handler([&network, &fanout, &cache = *cache, kind = kind](const std::string& key) {
      network.apply(kind, key, cache);
      fanout.add(FanoutEvent::of_selecting(std::string(to_string(kind)), key).key());
    });
  }
}

// A report edited or deleted by someone else is judged again now, not at the next resync:
// "ns/kind-name" names its workload (policy_reports::report_name; a cut, hashed name is left to the
// resync). The echo of the keeper's own apply is no news (PolicyReportKeeper::own_echo).
void watch_policy_reports(runtime::Informer& reports, PolicyReportKeeper* keeper,
                          runtime::WorkQueue& fanout, const PostureHooks& hooks) {
  auto route = [&fanout](const std::string& key) {
    const auto slash = key.find('/'), dash = key.find('-', slash);
    if (slash == std::string::npos || dash == std::string::npos) return;
    const std::string lower = key.substr(slash + 1, dash - slash - 1);
    for (const auto& w : kWorkloadKinds) {
      std::string kind(w.kind);
      std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
      if (kind != lower) continue;
      fanout.add(FanoutEvent::of_workload(std::string(w.kind),
                                          key.substr(0, slash) + "/" + key.substr(dash + 1))
                     .key());
    }
  };
  if (keeper != nullptr) {
    keeper->set_change_router(route);
    keeper->set_echo_observer(hooks.echo_skipped);
  }
  reports.add_change_handler([route, keeper, hooks](const runtime::Informer::Change& change) {
    const auto seen = keeper != nullptr ? keeper->own_echo(change) : Expectations::Seen::kChange;
    if (seen == Expectations::Seen::kEcho && hooks.echo_skipped) hooks.echo_skipped();
    if (seen == Expectations::Seen::kChange) route(change.key);  // kHeld: the answer says
  });
}

// The events the fan-out loop follows, from every cache posture reads.
void route_cache_events(const WorkloadPostureSetup& setup, const WorkloadPostureReconciler& posture,
                        NetworkIndex& network, runtime::WorkQueue& fanout) {
  const Caches& caches = setup.caches;
  for (std::size_t i = 0; i < kWorkloadKinds.size(); ++i) {
    caches.workload_rows[i]->add_change_handler(
        [&fanout, &posture, hooks = setup.hooks,
         kind = std::string(kWorkloadKinds[i].kind)](const runtime::Informer::Change& change) {
          switch (posture.own_echo(kind, change)) {
            case Expectations::Seen::kEcho:  // judged when it was written
              if (hooks.echo_skipped) hooks.echo_skipped();
              return;
            case Expectations::Seen::kHeld:  // the write's answer says (set_change_router)
              return;
            case Expectations::Seen::kChange:
              break;
          }
          const auto event = FanoutEvent::of_workload(kind, change.key);
          if (hooks.event_seen) hooks.event_seen(event.key());
          fanout.add(event.key());
        });
  }
  caches.namespaces.add_handler(
      [&fanout](const std::string& ns) { fanout.add(FanoutEvent::of_namespace(ns).key()); });
  if (setup.ownership != nullptr) {
    // A name taken or freed changes whether the namespace's workloads can be quarantined, and
    // any NetworkPolicy of the namespace whether a quarantine holds (quarantine_not_held): news
    // only where a quarantine may be wanted (judges_network; not Bulwark's own default-denies
    // under policies that do not quarantine).
    setup.ownership->add_listener([&fanout, &posture](const std::string& ns) {
      if (posture.judges_network()) fanout.add(FanoutEvent::of_namespace(ns).key());
    });
  }
  watch_selecting(caches, network, fanout);
  caches.policies.add_handler(
      [&fanout](const std::string& name) { fanout.add(FanoutEvent::of_policy(name).key()); });
  if (caches.policy_reports != nullptr) {
    watch_policy_reports(*caches.policy_reports, setup.reports, fanout, setup.hooks);
  }
  if (caches.vulnerability_reports != nullptr) {
    caches.vulnerability_reports->add_handler(
        [&fanout](const std::string& key) { fanout.add(FanoutEvent::of_report(key).key()); });
  }
  if (setup.rbac != nullptr) watch_rbac(caches, *setup.rbac, fanout);
}

}  // namespace

PostureProgress setup_workload_posture(runtime::Manager& manager, WorkloadPostureSetup setup) {
  const Caches& caches = setup.caches;
  const WorkloadPostureReconciler::Sources sources{
      caches.workloads(), caches.namespaces, setup.policies,   setup.vulnerabilities,
      setup.rbac,         setup.reports,     setup.ownership,  &caches.network_policies,
      setup.access,       setup.enforcement, &caches.services, setup.images};
  auto r = std::make_unique<WorkloadPostureReconciler>(
      setup.writer, sources, setup.book, setup.events, setup.clock, std::move(setup.never_touch));
  WorkloadPostureReconciler& posture = *r;
  auto pass = std::make_shared<PosturePass>(setup.clock);
  r->set_action_observer(setup.hooks.on_action);
  r->set_verdict_observer(
      [pass, on_verdict = setup.hooks.on_verdict](const std::string& key, bool changed) {
        if (changed) pass->changed(key);
        if (on_verdict) on_verdict(key, changed);
      });
  r->set_quiet([pass](const std::string& key) { return pass->in_pass(key); });
  runtime::WorkQueue& posture_queue = manager.add_controller(
      "posture", std::make_unique<PassCountingReconciler>(std::move(r), pass), setup.workers);
  auto routing = std::make_shared<Routing>(posture, caches.vulnerability_reports, posture_queue,
                                           caches.policies, pass);
  runtime::WorkQueue& fanout =
      manager.add_controller("fan-out",
                             std::make_unique<runtime::FunctionReconciler>(
                                 [routing, hooks = setup.hooks](const std::string& key) {
                                   if (auto e = FanoutEvent::parse(key)) route(*e, *routing, hooks);
                                   return runtime::Result{};
                                 }),
                             1);
  posture.set_change_router(
      [&fanout, hooks = setup.hooks](const std::string& kind, const std::string& key) {
        const auto event = FanoutEvent::of_workload(kind, key);
        if (hooks.event_seen) hooks.event_seen(event.key());  // its detection is timed from now
        fanout.add(event.key());
      });
  posture.set_echo_observer(setup.hooks.echo_skipped);
  route_cache_events(setup, posture, routing->network, fanout);
  manager.on_resync([&fanout] { fanout.add(FanoutEvent::resync().key()); });
  // A node that stops or starts enforcing NetworkPolicy changes which quarantines hold.
  if (setup.enforcement != nullptr) {
    setup.enforcement->add_listener([&fanout] { fanout.add(FanoutEvent::everything().key()); });
  }
  // Latched by the caller; checked in this order, as the fan-out loop feeds the posture loop.
  return {[&fanout, &posture_queue] { return fanout.idle() && posture_queue.idle(); },
          [pass](base::Clock::Duration d) { return pass->under_way_for(d); }};
}

}  // namespace bulwark::reconcilers
