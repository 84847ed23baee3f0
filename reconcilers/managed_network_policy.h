#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "operator/base/clock.h"
#include "operator/kube/object_writer.h"
#include "operator/policy/written_names.h"
#include "operator/runtime/cache_reader.h"
#include "operator/runtime/controller.h"
#include "operator/runtime/manager.h"
#include "reconcilers/events.h"
#include "reconcilers/ownership.h"
#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {

struct Caches;

// The NetworkPolicies Bulwark keeps in namespaces (docs/api.md, what Bulwark writes):
// - kDefaultDeny, bulwark-default-deny: every pod, all ingress and egress denied, cluster DNS
//   allowed unless a selecting policy forbids it; wanted by policies in Enforce mode with
//   network.defaultDeny (in Audit a namespace without one is only reported).
// - kQuarantine, bulwark-quarantine: pods labelled bulwark.dev/quarantine=true, all ingress and
//   egress denied; wanted by policies in Enforce mode with the Quarantine action.
enum class ManagedPolicyKind { kDefaultDeny, kQuarantine };

// Whether a policy with `spec` wants the NetworkPolicy of `kind` in the namespaces it selects
// (Enforce only; docs/api.md).
bool wants_managed(ManagedPolicyKind kind, const crds::SecurityPolicySpec& spec);

// Keeps one managed NetworkPolicy in every namespace that an active SecurityPolicy wanting it
// selects, and only there. Restores it when a user deletes or edits it, its labels included (an
// Event DriftRepaired says so); removes it when no policy selects the namespace any more. Writes
// with server-side apply and only when the object differs from what it should be; owner
// references to the selecting policies let garbage collection remove it with them. Whether an
// object is Bulwark's is decided by its UID (OwnershipRecord), never by its labels: a
// NetworkPolicy of that name that Bulwark did not create is never edited or deleted, and where a
// policy wants the name it is a conflict (Warning Event NameConflict on it, the record's
// conflicts). Keys are namespace names.
class ManagedNetworkPolicyReconciler : public runtime::Reconciler {
 public:
  struct Sources {
    const runtime::CacheReader& namespaces;
    const runtime::CacheReader& network_policies;
    const PolicySet& policies;
  };
  using Owners = std::vector<std::pair<std::string, std::string>>;  // (name, uid), sorted
  // What a write did.
  enum class Write { kCreate, kRepair, kDelete };
  // Called after each write, for metrics.
  using WriteObserver = std::function<void(ManagedPolicyKind, Write)>;
  // Called after each reconcile that ended without an error: `repaired` when it wrote a repair.
  using JudgedObserver =
      std::function<void(ManagedPolicyKind, const std::string& ns, bool repaired)>;

  ManagedNetworkPolicyReconciler(ManagedPolicyKind kind, kube::ObjectWriter& writer,
                                 Sources sources, OwnershipRecord& ownership, EventRecorder& events,
                                 const base::Clock& clock, std::vector<std::string> never_touch);
  void set_write_observer(WriteObserver observer) { on_write_ = std::move(observer); }
  void set_judged_observer(JudgedObserver observer) { on_judged_ = std::move(observer); }

  runtime::Result reconcile(const std::string& ns) override;

  static const char* name_of(ManagedPolicyKind kind);
  // The NetworkPolicy to apply.
  static document::Value desired(ManagedPolicyKind kind, const std::string& ns, bool allow_dns,
                                 const Owners& owners);
  // Whether an existing NetworkPolicy already is what desired() describes.
  static bool up_to_date(ManagedPolicyKind kind, const document::Value& current, bool allow_dns,
                         const Owners& owners);
  // Whether its spec is: its selector, both directions, nothing in, and nothing out but DNS when
  // `allow_dns` (labels and owners aside).
  static bool in_shape(ManagedPolicyKind kind, const document::Value& current, bool allow_dns);

 private:
  // The active policies that want the object in namespace `ns` (none when it is going), and
  // whether all of them allow DNS egress.
  Owners wanted_by(const std::string& ns, bool& allow_dns) const;
  // The reconcile itself; `repaired` set when it wrote a repair.
  runtime::Result keep(const std::string& ns, bool& repaired);
  // Whether `current` (of this kind's name) is Bulwark's: its UID is recorded, or it is adopted now
  // (docs/api.md, Ownership). `allow_dns`: what the object should allow.
  bool ours(const document::Value& current, bool allow_dns);
  // An object of Bulwark's name that is not Bulwark's: a conflict where a policy wants the name
  // (`wanted`), told once per version of it.
  void squatted(const std::string& ns, const document::Value& current, bool wanted);
  // Applies the object (over `current`, when there is one; a repair when `repair`), records its
  // UID, and tells of a repair.
  void write(const std::string& ns, const document::Value* current, const Owners& owners,
             bool allow_dns, bool repair);
  // Deletes the object (when there is one) and forgets the namespace.
  void remove(const std::string& ns, const document::Value* current);
  // The owners of `current` that are policies which cannot be read now (and are not going).
  Owners held_by_unreadable(const document::Value& current) const;

  ManagedPolicyKind kind_;
  kube::ObjectWriter& writer_;
  Sources sources_;
  OwnershipRecord& ownership_;
  EventRecorder& events_;
  const base::Clock& clock_;
  std::vector<std::string> never_touch_;
  WriteObserver on_write_;
  JudgedObserver on_judged_;
  std::mutex mu_;
  // Guarded by mu_: namespaces where the object was seen in the cache; namespaces where this
  // process created it, and when, while the cache does not show it yet.
  std::set<std::string> held_;
  std::map<std::string, base::Clock::TimePoint> applied_;
  std::set<std::string> told_;  // guarded by mu_: "uid/resourceVersion" of conflicts told
};

// A NetworkPolicy's podSelector; nullopt when it cannot be read (an unknown operator).
std::optional<crds::LabelSelector> pod_selector_of(const document::Value& network_policy);

// What the managed NetworkPolicy controllers tell metrics.
struct NetworkPolicyHooks {
  ManagedNetworkPolicyReconciler::WriteObserver on_write;
  ManagedNetworkPolicyReconciler::JudgedObserver on_judged;
  // A watch event about a managed object ("ns/name"), seen before its namespace is enqueued.
  std::function<void(const std::string& key)> event_seen;
};
// What the managed NetworkPolicy controllers need. They read the caches of namespaces,
// NetworkPolicies and SecurityPolicies.
struct ManagedNetworkPolicySetup {
  const Caches& caches;
  kube::ObjectWriter& writer;
  const PolicySet& policies;
  OwnershipRecord& ownership;
  EventRecorder& events;
  const base::Clock& clock;
  std::vector<std::string> never_touch;
  NetworkPolicyHooks hooks;
};
// Registers both managed NetworkPolicy controllers ("default-deny", "quarantine-policy") and the
// events they follow, all keyed by namespace: a namespace's own changes, their objects' changes,
// any policy change and every resync (every namespace).
void setup_managed_network_policies(runtime::Manager& manager,
                                    const ManagedNetworkPolicySetup& setup);

}  // namespace bulwark::reconcilers
