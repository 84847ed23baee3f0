#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/kube/resource_type.h"

namespace bulwark::runtime {
class CacheReader;
class Manager;
}  // namespace bulwark::runtime
namespace bulwark::posture {
struct EvaluationContext;
}
namespace bulwark::rbac {
struct Account;
struct Permissions;
}  // namespace bulwark::rbac

namespace bulwark::reconcilers {

class RbacIndex;

// The caches controls read beyond the workloads themselves (docs/api.md, Not evaluated).
enum class ControlInput {
  kRoles,
  kClusterRoles,
  kRoleBindings,
  kClusterRoleBindings,
  kServiceAccounts,
  kNetworkPolicies,
  kServices,
  kNamespaces,
  kVulnerabilityReports,
};
// The resource each input is a cache of, in the enum's order.
const kube::ResourceType& resource_of(ControlInput input);

// Whether Bulwark may still read the caches its controls judge from. Its ServiceAccount's RBAC
// can change while it runs; an open watch goes on delivering, but the next list is refused and
// the cache's data may be stale from then on, so the controls that read it are not evaluated
// (posture::NotEvaluated) rather than judged on what may be old. Asked with one
// SelfSubjectAccessReview per verb (list, watch) and cache. Thread-safe.
class InputAccess {
 public:
  struct Input {
    ControlInput input;
    const runtime::CacheReader* cache;  // what `current` is asked about
  };
  // Whether this client may `verb` the resource everywhere; nullopt when it could not ask (the
  // answer stays what it was).
  using Ask =
      std::function<std::optional<bool>(const std::string& verb, const kube::ResourceType&)>;

  // Whether a cache's reflector has heard from the API server since its last failure
  // (runtime::Manager::heard_since_failure); nullopt when not known.
  using Current = std::function<std::optional<bool>(const runtime::CacheReader& cache)>;

  // With `current`, an input that may be read again stays unreadable until its cache is current:
  // a cache whose lists or watches were refused meanwhile holds what it held then, and its
  // reflector may still be backing off (up to 30 s).
  InputAccess(std::vector<Input> inputs, Ask ask, Current current = {});

  // Asks again for every input, until `stopping` says to stop; true when any input became
  // readable or unreadable.
  bool refresh(const std::function<bool()>& stopping = [] { return false; });
  // Why the input cannot be read ("Bulwark's ServiceAccount may not list rolebindings"), or
  // nullopt while it can (or was never asked about).
  std::optional<std::string> unreadable(ControlInput input) const;
  // The first reason among `inputs`, or nullopt when all can be read.
  std::optional<std::string> unreadable_any(std::initializer_list<ControlInput> inputs) const;

 private:
  // Records one input's answer (`reason`: why it may not be read; none: it may); mu_ held.
  bool settle(const Input& input, const std::optional<std::string>& reason);

  std::vector<Input> inputs_;
  Ask ask_;
  mutable std::mutex mu_;
  std::map<ControlInput, std::string> unreadable_;  // input -> reason; guarded by mu_
  Current current_;
};

// Fills what `context`'s controls read of the workload's ServiceAccount, as the reconcilers and
// admission both read it: its permissions (kept alive by `held`, which the context points into)
// and its token setting, or, for an input Bulwark may no longer read, why not (the controls are
// then not evaluated). `access` null: every input is readable; `rbac` null: not known.
void add_account_inputs(posture::EvaluationContext& context, const InputAccess* access,
                        const RbacIndex* rbac, const rbac::Account& account,
                        std::shared_ptr<const rbac::Permissions>& held);

// Asks every `period` on a thread of its own, on every replica (a new leader starts knowing), and
// judges everything again when an input's readability changes. Before manager.run().
void watch_input_access(runtime::Manager& manager, InputAccess& access,
                        std::chrono::seconds period);

}  // namespace bulwark::reconcilers
