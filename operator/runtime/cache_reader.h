#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "operator/document/value.h"

namespace bulwark::runtime {

// What reconcilers read of a cache: immutable snapshots by key ("namespace/name", or "name" for
// cluster-scoped objects), and the two indexes. The Informer is the implementation; tests use
// tests/fakes/fake_cache.h. Thread-safe implementations.
class CacheReader {
 public:
  using Object = std::shared_ptr<const document::Value>;
  virtual ~CacheReader() = default;
  virtual Object get(const std::string& key) const = 0;  // null when absent
  virtual std::vector<std::string> keys() const = 0;     // sorted
  virtual std::vector<std::string> keys_in_namespace(const std::string& ns) const = 0;
  virtual std::vector<std::string> keys_owned_by(const std::string& owner_uid) const = 0;
  virtual std::size_t size() const = 0;
};

}  // namespace bulwark::runtime
