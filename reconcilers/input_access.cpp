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

InputAccess::InputAccess(std::vector<Input> inputs, Ask ask, Current current)
    : inputs_(std::move(inputs)), ask_(std::move(ask)), current_(std::move(current)) {}

bool InputAccess::refresh(const std::function<bool()>& stopping) {
  bool changed = false;
  for (const auto& input : inputs_) {
    if (stopping()) break;  // a replica shutting down does not wait for every question
    std::optional<std::string> reason;
    bool asked = true;
    for (const char* verb : {"list", "watch"}) {
      const auto allowed = ask_(verb, input.type);
      if (!allowed) {
        asked = false;
        break;
      }
      if (!*allowed) {
        reason = "Bulwark's ServiceAccount may not " + std::string(verb) + " " +
                 input.type.resource + (input.type.namespaced ? " in every namespace" : "");
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
  auto it = unreadable_.find(input.cache);
  if (reason) {
    if (it != unreadable_.end() && it->second == *reason) return false;
    logging::warn("input " + input.cache + " unreadable: " + *reason +
                  "; the controls that read it are not evaluated until it is readable again");
    unreadable_[input.cache] = *reason;
    return true;
  }
  if (it == unreadable_.end()) return false;
  if (current_ && current_(input.cache) == false) {
    const std::string waiting = "Bulwark may read " + input.type.resource +
                                " again, but its cache has not heard from the API server since "
                                "it could not";
    if (it->second == waiting) return false;
    logging::info("input " + input.cache + ": " + waiting);
    it->second = waiting;
    return true;
  }
  logging::info("input " + input.cache + " readable again");
  unreadable_.erase(it);
  return true;
}

std::optional<std::string> InputAccess::unreadable(std::string_view cache) const {
  std::lock_guard lock(mu_);
  auto it = unreadable_.find(cache);
  if (it == unreadable_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> InputAccess::unreadable_any(
    std::initializer_list<std::string_view> caches) const {
  for (auto c : caches) {
    if (auto reason = unreadable(c)) return reason;
  }
  return std::nullopt;
}

void add_account_inputs(posture::EvaluationContext& context, const InputAccess* access,
                        const RbacIndex* rbac, const rbac::Account& account,
                        std::shared_ptr<const rbac::Permissions>& held) {
  auto unread = [&](std::initializer_list<std::string_view> caches) {
    return access != nullptr ? access->unreadable_any(caches) : std::nullopt;
  };
  if (auto reason = unread({"roles", "clusterroles", "rolebindings", "clusterrolebindings"})) {
    context.permissions_unread = *reason;
  } else if (rbac != nullptr) {
    held = rbac->permissions_of(account);
    context.permissions = held.get();
  }
  if (auto reason = unread({"serviceaccounts"})) {
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
