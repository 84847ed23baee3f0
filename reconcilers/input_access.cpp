#include "reconcilers/input_access.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <thread>

#include "operator/logging/logging.h"
#include "operator/posture/engine.h"
#include "operator/runtime/manager.h"
#include "reconcilers/rbac_index.h"

namespace bulwark::reconcilers {

const kube::ResourceType& resource_of(ControlInput input) {
  namespace r = kube::resources;
  switch (input) {
    case ControlInput::kRoles:
      return r::kRoles;
    case ControlInput::kClusterRoles:
      return r::kClusterRoles;
    case ControlInput::kRoleBindings:
      return r::kRoleBindings;
    case ControlInput::kClusterRoleBindings:
      return r::kClusterRoleBindings;
    case ControlInput::kServiceAccounts:
      return r::kServiceAccounts;
    case ControlInput::kNetworkPolicies:
      return r::kNetworkPolicies;
    case ControlInput::kServices:
      return r::kServices;
    case ControlInput::kNamespaces:
      return r::kNamespaces;
    case ControlInput::kVulnerabilityReports:
      return r::kVulnerabilityReports;
  }
  return r::kNamespaces;  // unreachable: every input is a case
}

InputAccess::InputAccess(std::vector<Input> inputs, Ask ask, Current current)
    : inputs_(std::move(inputs)), ask_(std::move(ask)), current_(std::move(current)) {}

bool InputAccess::refresh(const std::function<bool()>& stopping) {
  bool changed = false;
  for (const auto& input : inputs_) {
    if (stopping()) break;  // a replica shutting down does not wait for every question
    std::optional<std::string> reason;
    bool asked = true;
    for (const char* verb : {"list", "watch"}) {
      const kube::ResourceType& type = resource_of(input.input);
      const auto allowed = ask_(verb, type);
      if (!allowed) {
        asked = false;
        break;
      }
      if (!*allowed) {
        reason = "Bulwark's ServiceAccount may not " + std::string(verb) + " " + type.resource +
                 (type.namespaced ? " in every namespace" : "");
        break;
      }
    }
    if (!asked) continue;  // no answer: what was known stands
    std::lock_guard lock(mu_);
    changed = settle(input, reason) || changed;
  }
  return changed;
}

bool InputAccess::settle(const Input& input, const std::optional<std::string>& reason) {
  const std::string& name = resource_of(input.input).resource;
  auto it = unreadable_.find(input.input);
  if (reason) {
    if (it != unreadable_.end() && it->second == *reason) return false;
    logging::warn("input " + name + " unreadable: " + *reason +
                  "; the controls that read it are not evaluated until it is readable again");
    unreadable_[input.input] = *reason;
    return true;
  }
  if (it == unreadable_.end()) return false;
  if (current_ && input.cache != nullptr && current_(*input.cache) == false) {
    const std::string waiting = "Bulwark may read " + name +
                                " again, but its cache has not heard from the API server since "
                                "it could not";
    if (it->second == waiting) return false;
    logging::info("input " + name + ": " + waiting);
    it->second = waiting;
    return true;
  }
  logging::info("input " + name + " readable again");
  unreadable_.erase(it);
  return true;
}

std::optional<std::string> InputAccess::unreadable(ControlInput input) const {
  std::lock_guard lock(mu_);
  auto it = unreadable_.find(input);
  if (it == unreadable_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> InputAccess::unreadable_any(
    std::initializer_list<ControlInput> inputs) const {
  for (auto i : inputs) {
    if (auto reason = unreadable(i)) return reason;
  }
  return std::nullopt;
}
void add_account_inputs(posture::EvaluationContext& context, const InputAccess* access,
                        const RbacIndex* rbac, const rbac::Account& account,
                        std::shared_ptr<const rbac::Permissions>& held) {
  auto unread = [&](std::initializer_list<ControlInput> inputs) {
    return access != nullptr ? access->unreadable_any(inputs) : std::nullopt;
  };
  if (auto reason = unread({ControlInput::kRoles, ControlInput::kClusterRoles,
                            ControlInput::kRoleBindings, ControlInput::kClusterRoleBindings})) {
    context.permissions_unread = *reason;
  } else if (rbac != nullptr) {
    held = rbac->permissions_of(account);
    context.permissions = held.get();
  }
  if (auto reason = unread({ControlInput::kServiceAccounts})) {
    context.account_unread = *reason;
  } else if (rbac != nullptr) {
    context.account_automount_token = rbac->automount_token_of(account);
  }
}

void watch_input_access(runtime::Manager& manager, InputAccess& access,
                        std::chrono::seconds period) {
  struct Loop {
    std::thread thread;
    std::mutex mu;
    std::condition_variable wake;
    bool stopping = false;
  };
  auto loop = std::make_shared<Loop>();
  manager.add_runnable({"input-access",
                        [loop, &access, &manager, period] {
                          loop->thread = std::thread([loop, &access, &manager, period] {
                            std::unique_lock lock(loop->mu);
                            while (!loop->stopping) {
                              lock.unlock();
                              const auto stopping = [&loop] {
                                std::lock_guard guard(loop->mu);
                                return loop->stopping;
                              };
                              if (access.refresh(stopping)) manager.resync_now();
                              lock.lock();
                              loop->wake.wait_for(lock, period, [&] { return loop->stopping; });
                            }
                          });
                          return true;
                        },
                        [loop] {
                          {
                            std::lock_guard lock(loop->mu);
                            loop->stopping = true;
                          }
                          loop->wake.notify_all();
                          if (loop->thread.joinable()) loop->thread.join();
                        },
                        {}});
}

}  // namespace bulwark::reconcilers
