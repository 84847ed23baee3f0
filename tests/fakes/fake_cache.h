#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "operator/document/reader.h"
#include "operator/runtime/cache_reader.h"
#include "operator/runtime/informer.h"

namespace bulwark::testing {

// The one fake of runtime::CacheReader: objects put in by the test, kept whole and keyed as the
// Informer keys them.
class FakeCache : public runtime::CacheReader {
 public:
  void put(document::Value object) {
    const std::string key = runtime::object_key(object);
    std::lock_guard lock(mu_);
    objects_[key] = std::make_shared<const document::Value>(std::move(object));
  }
  void put_json(std::string_view json) { put(document::parse_json(std::string(json))); }
  void erase(const std::string& key) {
    std::lock_guard lock(mu_);
    objects_.erase(key);
  }

  Object get(const std::string& key) const override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : it->second;
  }
  std::vector<std::string> keys() const override {
    return matching([](const document::Value&) { return true; });
  }
  std::vector<std::string> keys_in_namespace(const std::string& ns) const override {
    return matching([&](const document::Value& o) {
      const document::Value* n = o.find({"metadata", "namespace"});
      return n != nullptr && n->str() == ns;
    });
  }
  std::vector<std::string> keys_owned_by(const std::string& owner_uid) const override {
    return matching([&](const document::Value& o) {
      for (const auto& ref : document::items_of(o.find({"metadata", "ownerReferences"}))) {
        const document::Value* uid = ref.find("uid");
        if (uid != nullptr && uid->str() == owner_uid) return true;
      }
      return false;
    });
  }
  std::size_t size() const override {
    std::lock_guard lock(mu_);
    return objects_.size();
  }

 private:
  template <typename Predicate>
  std::vector<std::string> matching(Predicate keep) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [key, object] : objects_) {
      if (keep(*object)) out.push_back(key);
    }
    return out;
  }

  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;
};

}  // namespace bulwark::testing
