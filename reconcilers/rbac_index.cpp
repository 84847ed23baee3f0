#include "reconcilers/rbac_index.h"

#include "operator/document/value.h"
#include "operator/runtime/cache_reader.h"

namespace bulwark::reconcilers {

namespace {

// "shop/web" or "web" (cluster-scoped) into namespace and name.
std::pair<std::string, std::string> split_key(const std::string& key) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

std::string_view kind_of(std::string_view cache) {
  if (cache == "roles") return "Role";
  if (cache == "clusterroles") return "ClusterRole";
  if (cache == "rolebindings") return "RoleBinding";
  return "ClusterRoleBinding";
}

}  // namespace

rbac::Affected RbacIndex::apply_service_account(const std::string& key,
                                                const runtime::CacheReader& reader) {
  const auto object = reader.get(key);
  const auto [ns, name] = split_key(key);
  const rbac::Account account{ns, name};
  std::optional<bool> setting;
  if (object != nullptr) {
    if (const auto* v = object->find("automountServiceAccountToken")) setting = v->as_bool();
  }
  std::lock_guard lock(mu_);
  const auto it = automount_.find(account);
  const std::optional<bool> before =
      it != automount_.end() ? std::optional<bool>(it->second) : std::nullopt;
  if (setting == before) return {};  // most updates are token secrets or labels
  if (setting) {
    automount_[account] = *setting;
  } else {
    automount_.erase(account);
  }
  rbac::Affected affected;
  affected.accounts.insert(account);
  return affected;
}

rbac::Affected RbacIndex::apply(std::string_view cache, const std::string& key,
                                const runtime::CacheReader& reader) {
  if (cache == "serviceaccounts") return apply_service_account(key, reader);
  const auto object = reader.get(key);
  const std::string_view kind = kind_of(cache);
  const auto [ns, name] = split_key(key);
  std::lock_guard lock(mu_);
  rbac::Affected affected;
  if (kind == "Role" || kind == "ClusterRole") {
    const auto role_kind = kind == "Role" ? rbac::RoleKind::kRole : rbac::RoleKind::kClusterRole;
    auto role = object != nullptr ? rbac::read_role(*object, kind) : std::nullopt;
    affected = role ? graph_.put_role(std::move(*role)) : graph_.remove_role(role_kind, ns, name);
  } else {
    const bool cluster = kind == "ClusterRoleBinding";
    auto binding = object != nullptr ? rbac::read_binding(*object, kind) : std::nullopt;
    affected = binding ? graph_.put_binding(std::move(*binding))
                       : graph_.remove_binding(cluster, ns, name);
  }
  if (affected.all) {
    computed_.clear();
  } else if (!affected.empty()) {
    for (auto it = computed_.begin(); it != computed_.end();) {
      it = affected.contains(it->first) ? computed_.erase(it) : std::next(it);
    }
  }
  return affected;
}

std::shared_ptr<const rbac::Permissions> RbacIndex::permissions_of(
    const rbac::Account& account) const {
  std::lock_guard lock(mu_);
  auto& slot = computed_[account];
  if (slot == nullptr)
    slot = std::make_shared<const rbac::Permissions>(graph_.permissions_of(account));
  return slot;
}

std::optional<bool> RbacIndex::automount_token_of(const rbac::Account& account) const {
  std::lock_guard lock(mu_);
  const auto it = automount_.find(account);
  return it != automount_.end() ? std::optional<bool>(it->second) : std::nullopt;
}

RbacIndex::Size RbacIndex::size() const {
  std::lock_guard lock(mu_);
  return {graph_.roles(), graph_.bindings(), computed_.size(), automount_.size()};
}

}  // namespace bulwark::reconcilers
