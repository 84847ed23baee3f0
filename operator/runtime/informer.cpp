#include "operator/runtime/informer.h"

#include <algorithm>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"

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

void Informer::add_handler(Handler handler) {
  handlers_.push_back([handler = std::move(handler)](const Change& c) { handler(c.key); });
}

void Informer::add_change_handler(ChangeHandler handler) {
  handlers_.push_back(std::move(handler));
}

Informer::Entry Informer::make_entry(const Value& compacted) const {
  Entry e;
  e.packed = codec_.pack(document::to_json(compacted));
  e.packed.shrink_to_fit();
  e.resource_version = resource_version(compacted);
  for (const auto& ref : document::items_of(compacted.find({"metadata", "ownerReferences"}))) {
    if (const Value* uid = ref.find("uid")) e.owners.emplace_back(uid->str());
  }
  return e;
}

void Informer::index_locked(const std::string& key, const Entry& entry, bool add) {
  for (const auto& uid : entry.owners) {
    auto& owned = by_owner_[uid];
    if (add) {
      owned.insert(key);
    } else if (owned.erase(key) > 0 && owned.empty()) {
      by_owner_.erase(uid);
    }
  }
}

void Informer::maybe_train() {
  if (codec_.trained() || held_bytes_ < next_training_) return;
  next_training_ = held_bytes_ * 2;  // too few or too alike now: try again with twice as much
  // A spread of the objects, not the first namespace's, of at most 1 MiB and 16 KiB each (a
  // larger object is no sample of the rest).
  constexpr std::size_t kSampleBytes = 1 << 20, kLargestSample = 16 * 1024;
  std::vector<std::string> samples;
  {
    std::shared_lock lock(mu_);
    const std::size_t step = std::max<std::size_t>(1, held_bytes_ / kSampleBytes);
    std::size_t i = 0, taken = 0;
    for (const auto& [key, entry] : objects_) {
      if (i++ % step != 0 || entry.packed.size() > kLargestSample) continue;
      if (taken + entry.packed.size() > kSampleBytes) break;
      taken += entry.packed.size();
      samples.push_back(entry.packed);  // JSON as it is: nothing is packed before the dictionary
    }
  }
  if (!codec_.train({samples.begin(), samples.end()})) return;
  const std::vector<std::string> all = keys();
  constexpr std::size_t kBatch = 500;
  for (std::size_t from = 0; from < all.size(); from += kBatch) {
    std::vector<std::pair<std::string, std::string>> batch;  // key, its JSON, then packed
    {
      std::shared_lock lock(mu_);
      for (std::size_t i = from; i < std::min(all.size(), from + kBatch); ++i) {
        if (auto it = objects_.find(all[i]); it != objects_.end()) {
          batch.emplace_back(all[i], it->second.packed);
        }
      }
    }
    for (auto& [key, json] : batch) json = codec_.pack(std::move(json));
    std::unique_lock lock(mu_);
    for (auto& [key, json] : batch) {
      if (auto it = objects_.find(key); it != objects_.end()) it->second.packed = std::move(json);
    }
  }
  held_bytes_ = 0;
}

void Informer::begin_list() { listing_.clear(); }

void Informer::list_item(Value&& raw) {
  std::string key = object_key(raw);
  listing_[std::move(key)] = make_entry(projection_(std::move(raw)));
}

void Informer::end_list() {
  // (key, version now); the version before is told as unknown: versions between may have been
  // missed while not watching.
  std::vector<std::pair<std::string, std::string>> changed;
  {
    std::unique_lock lock(mu_);
    for (auto& [key, entry] : listing_) {
      auto old = objects_.find(key);
      if (old != objects_.end() && old->second.resource_version == entry.resource_version) {
        objects_.erase(old);  // unchanged: no event
        index_locked(key, entry, true);
        continue;
      }
      if (old != objects_.end()) {
        index_locked(key, old->second, false);
        objects_.erase(old);
      }
      index_locked(key, entry, true);
      changed.emplace_back(key, entry.resource_version);
    }
    // Whatever is left vanished while we were not watching: announce its deletion.
    for (auto& [key, entry] : objects_) {
      index_locked(key, entry, false);
      changed.emplace_back(key, "");
    }
    objects_ = std::move(listing_);
    listing_ = {};
    held_bytes_ = 0;
    if (!codec_.trained()) {
      for (const auto& [key, entry] : objects_) held_bytes_ += entry.packed.size();
    }
  }
  maybe_train();
  std::vector<Change> changes;
  changes.reserve(changed.size());
  for (auto& [key, now] : changed) changes.push_back({key, "", std::move(now)});
  notify(changes);
}

void Informer::upsert(Value raw) {
  const std::string key = object_key(raw);
  const std::string rv = resource_version(raw);
  {
    std::shared_lock lock(mu_);
    auto it = objects_.find(key);
    if (it != objects_.end() && it->second.resource_version == rv) return;
  }
  Entry entry = make_entry(projection_(std::move(raw)));
  std::string before;
  {
    std::unique_lock lock(mu_);
    auto it = objects_.find(key);
    if (it != objects_.end()) {
      if (it->second.resource_version == rv) return;
      before = it->second.resource_version;
      index_locked(key, it->second, false);
      held_bytes_ -= std::min(held_bytes_, it->second.packed.size());
    }
    index_locked(key, entry, true);
    if (!codec_.trained()) held_bytes_ += entry.packed.size();
    objects_[key] = std::move(entry);
  }
  maybe_train();
  notify({{key, std::move(before), rv}});
}

void Informer::remove(const Value& raw) {
  const std::string key = object_key(raw);
  std::string before;
  {
    std::unique_lock lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return;
    before = std::move(it->second.resource_version);
    index_locked(key, it->second, false);
    held_bytes_ -= std::min(held_bytes_, it->second.packed.size());
    objects_.erase(it);
  }
  notify({{key, std::move(before), ""}});
}

void Informer::notify(const std::vector<Change>& changes) {
  for (const auto& change : changes) {
    for (const auto& handler : handlers_) handler(change);
  }
}

Informer::Object Informer::get(const std::string& key) const {
  std::string packed;
  {
    std::shared_lock lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) return nullptr;
    packed = it->second.packed;
  }
  // Our own output, unpacked and parsed outside the lock.
  auto object = std::make_shared<Value>(document::parse_json(codec_.unpack(std::move(packed))));
  return object;
}

std::vector<std::string> Informer::keys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(objects_.size());
  for (const auto& [key, entry] : objects_) out.push_back(key);
  return out;
}

// A namespace's keys ("ns/name") lie together in the ordered map: no index of their own (one was
// 64 bytes a cached pod, 3 MiB at 50,000 pods). Cluster-scoped keys have no "/".
std::vector<std::string> Informer::keys_in_namespace(const std::string& ns) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  if (ns.empty()) {
    for (const auto& [key, entry] : objects_) {
      if (key.find('/') == std::string::npos) out.push_back(key);
    }
    return out;
  }
  const std::string prefix = ns + "/";
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    out.push_back(it->first);
  }
  return out;
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

namespace bulwark::runtime {

std::size_t Informer::cached_bytes() const {
  std::shared_lock lock(mu_);
  std::size_t n = 0;
  for (const auto& [key, entry] : objects_) n += entry.packed.size();
  return n;
}

}  // namespace bulwark::runtime
