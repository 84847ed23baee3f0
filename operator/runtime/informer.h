#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "operator/document/value.h"
#include "operator/runtime/cache_codec.h"
#include "operator/runtime/cache_reader.h"

namespace bulwark::runtime {

// "namespace/name", or "name" for cluster-scoped objects: the key of the cache and the workqueue.
std::string object_key(const document::Value& object);

// What a reflector writes into. Not for reconcilers, which read through CacheReader.
class Store {
 public:
  virtual ~Store() = default;
  // A full list, delivered item by item as the pages arrive, so 10,000 raw objects are never held
  // at once: after end_list() the store holds exactly the items given since begin_list().
  virtual void begin_list() = 0;
  virtual void list_item(document::Value&& raw) = 0;
  virtual void end_list() = 0;
  virtual void upsert(document::Value object) = 0;
  virtual void remove(const document::Value& object) = 0;
};

// Keeps only what checks and reconcilers read of an object (see projection.h), so the cache of
// 10,000 pods stays small.
using Projection = std::function<document::Value(document::Value&&)>;

// A cache of one resource kind, fed by a Reflector, indexed by owner uid (a namespace's objects lie
// together in key order).
// Handlers are called with the key of every object that was added, changed or removed; they must
// only enqueue (they run on the reflector's thread). Reads are thread-safe and return immutable
// snapshots. Objects are kept as minified JSON of their projection, about a tenth of the memory
// of a parsed tree, compressed once the cache is large enough (CacheCodec), and parsed again on
// get(): a cache is read far less often than it is held.
class Informer : public Store, public CacheReader {
 public:
  using Handler = std::function<void(const std::string& key)>;
  // A change with the versions it went between, for a handler that must tell one write from
  // another: `before` is the version the cache held ("" when it held none, and after a relist,
  // where versions between may have been missed); `after` the one it holds now ("" once removed).
  // A watch delivers every version of an object in order, so a change from `before` to `after`
  // seen here is one write, with nothing between.
  struct Change {
    std::string key, before, after;
  };
  using ChangeHandler = std::function<void(const Change& change)>;

  explicit Informer(Projection projection);

  void add_handler(Handler handler);
  void add_change_handler(ChangeHandler handler);

  void begin_list() override;
  void list_item(document::Value&& raw) override;
  void end_list() override;
  void upsert(document::Value object) override;
  void remove(const document::Value& object) override;

  Object get(const std::string& key) const override;
  std::vector<std::string> keys() const override;
  std::vector<std::string> keys_in_namespace(const std::string& ns) const override;
  std::vector<std::string> keys_owned_by(const std::string& owner_uid) const override;
  std::size_t size() const override;
  // The bytes its objects take as kept (their projected JSON, packed by the codec), for metrics
  // and benchmarks.
  std::size_t cached_bytes() const;

 private:
  struct Entry {
    std::string packed;  // the projected object's JSON, as codec_ packed it
    std::string resource_version;
    std::vector<std::string> owners;  // ownerReferences' uids
  };
  Entry make_entry(const document::Value& compacted) const;
  void index_locked(const std::string& key, const Entry& entry, bool add);
  // Once the cache holds enough JSON for a dictionary to save more than it costs, a dictionary
  // trained on a spread of its objects, then every object packed with it, a batch at a time so
  // that readers are never held up long (CacheCodec). The reflector's thread, without mu_: the
  // only thread that changes objects_, so no entry changes between the batches.
  void maybe_train();
  void notify(const std::vector<Change>& changes);

  Projection projection_;
  CacheCodec codec_;  // packs on the reflector's thread, unpacks on any
  // The JSON held while there is no dictionary, and what it must reach for the next try (1 MiB:
  // a trained cache keeps a few hundred KiB of codec state); the reflector's thread.
  std::size_t held_bytes_ = 0;
  std::size_t next_training_ = 1 << 20;
  std::vector<ChangeHandler> handlers_;  // set before the reflector starts
  mutable std::shared_mutex mu_;
  std::map<std::string, Entry> listing_;  // the list in progress; the reflector's thread only
  // Guarded by mu_.
  std::map<std::string, Entry> objects_;
  std::map<std::string, std::set<std::string>> by_owner_;
};

}  // namespace bulwark::runtime
