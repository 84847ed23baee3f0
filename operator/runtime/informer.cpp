#include "runtime/informer.h"

namespace bulwark::runtime {

using document::Value;

std::string object_key(const Value& object) {
  const Value* meta = object.find("metadata");
  if (meta == nullptr) return "";
  const Value* ns = meta->find("namespace");
  const Value* name = meta->find("name");
  const std::string n(name != nullptr ? name->str() : "");
  return ns != nullptr && !ns->str().empty() ? std::string(ns->str()) + "/" + n : n;
}

namespace {

std::string resource_version(const Value& object) {
  const Value* rv = object.find({"metadata", "resourceVersion"});
  return rv != nullptr ? std::string(rv->str()) : std::string();
}

}  // namespace

Informer::Informer(Projection projection) : projection_(std::move(projection)) {}

void Informer::add_handler(Handler handler) { handlers_.push_back(std::move(handler)); }

void Informer::index_locked(const std::string& key, const Value& object, bool add) {
  const Value* ns = object.find({"metadata", "namespace"});
  const std::string n(ns != nullptr ? ns->str() : "");
  auto& in_ns = by_namespace_[n];
  if (add) {
    in_ns.insert(key);
  } else if (in_ns.erase(key) > 0 && in_ns.empty()) {
    by_namespace_.erase(n);
  }
  for (const auto& ref : document::items_of(object.find({"metadata", "ownerReferences"}))) {
    const Value* uid = ref.find("uid");
    if (uid == nullptr) continue;
    const std::string u(uid->str());
    auto& owned = by_owner_[u];
    if (add) {
      owned.insert(key);
    } else if (owned.erase(key) > 0 && owned.empty()) {
      by_owner_.erase(u);
    }
  }
}

void Informer::replace(std::vector<Value> objects) {
  std::vector<std::string> changed;
  {
    std::unique_lock lock(mu_);
    std::map<std::string, Entry> next;
    for (auto& raw : objects) {
      const std::string key = object_key(raw);
      const std::string rv = resource_version(raw);
      auto old = objects_.find(key);
      if (old != objects_.end() && old->second.resource_version == rv) {
        next.emplace(key, std::move(old->second));  // unchanged: keep, do not notify
        objects_.erase(old);
        continue;
      }
      if (old != objects_.end()) {
        index_locked(key, *old->second.object, false);
        objects_.erase(old);
      }
      auto object = std::make_shared<const Value>(projection_(std::move(raw)));
      index_locked(key, *object, true);
      next.emplace(key, Entry{std::move(object), rv});
      changed.push_back(key);
    }
    // Whatever is left vanished while we were not watching: emit its deletion.
    for (auto& [key, entry] : objects_) {
      index_locked(key, *entry.object, false);
      changed.push_back(key);
    }
    objects_ = std::move(next);
  }
  notify(changed);
}

void Informer::upsert(Value raw) {
  const std::string key = object_key(raw);
  const std::string rv = resource_version(raw);
  auto object = std::make_shared<const Value>(projection_(std::move(raw)));
  {
    std::unique_lock lock(mu_);
    auto it = objects_.find(key);
    if (it != objects_.end()) {
      if (it->second.resource_version == rv) return;
      index_locked(key, *it->second.object, false);
    }
    index_locked(key, *object, true);
    objects_[key] = Entry{std::move(object), rv};
  }
  notify({key});
}

void Informer::remove(const Value& raw) {
  const std::string key = object_key(raw);
  {
    std::unique_lock lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return;
    index_locked(key, *it->second.object, false);
    objects_.erase(it);
  }
  notify({key});
}

void Informer::notify(const std::vector<std::string>& keys) {
  for (const auto& key : keys) {
    for (const auto& handler : handlers_) handler(key);
  }
}

Informer::Object Informer::get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : it->second.object;
}

std::vector<std::string> Informer::keys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [key, entry] : objects_) out.push_back(key);
  return out;
}

std::vector<std::string> Informer::keys_in_namespace(const std::string& ns) const {
  std::shared_lock lock(mu_);
  auto it = by_namespace_.find(ns);
  return it == by_namespace_.end() ? std::vector<std::string>{}
                                   : std::vector<std::string>(it->second.begin(), it->second.end());
}

std::vector<std::string> Informer::keys_owned_by(const std::string& owner_uid) const {
  std::shared_lock lock(mu_);
  auto it = by_owner_.find(owner_uid);
  return it == by_owner_.end() ? std::vector<std::string>{}
                               : std::vector<std::string>(it->second.begin(), it->second.end());
}

std::size_t Informer::size() const {
  std::shared_lock lock(mu_);
  return objects_.size();
}

}  // namespace bulwark::runtime
