#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "operator/document/value.h"
#include "operator/kube/merge_patch.h"
#include "operator/kube/resource_type.h"

namespace bulwark::kube {

// Deletes only the object that was judged: the API server refuses (409) when the uid or
// resourceVersion no longer match.
struct Preconditions {
  std::optional<std::string> uid;
  std::optional<std::string> resource_version;
};

// Whether this replica may write now, and for how long. With leader election the elector is the
// fence: a replica may write only while it can prove it leads, i.e. until the renew deadline has
// passed since the start of its last successful renew, by its own monotonic clock (a replica
// frozen past that, or whose renew hangs, writes nothing more). Thread-safe implementations.
class WriteFence {
 public:
  virtual ~WriteFence() = default;
  // Time left to write in; zero or less: no write may be sent.
  virtual std::chrono::milliseconds time_left() const = 0;
};

// A write refused before it was sent, because the fence is closed.
class NotLeadingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What reconcilers write to the cluster, as typed bodies. Failures are ApiErrors, classified by
// api_error.h; an object that no longer exists is not a failure: it is reported in the return
// value (it went while we judged it, and its deletion reaches the cache next). Behind a
// WriteFence, a write is refused (NotLeadingError) once the fence is closed, and a write sent
// must be answered within the time the fence has left. Thread-safe
// implementations. The adapter is ClientWriter; tests use tests/fakes/fake_object_writer.h.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual document::Value create(const ResourceType& type, const std::string& ns,
                                 const document::Value& object) = 0;
  // The patched object's metadata (at least; the adapter asks for nothing more), or nullopt when
  // it does not exist.
  virtual std::optional<document::Value> merge_patch(const ResourceType& type,
                                                     const std::string& ns, const std::string& name,
                                                     const MergePatch& patch) = 0;
  // Server-side apply: `intent` is the whole of what `field_manager` wants of the object; `force`
  // takes fields back from other managers.
  virtual document::Value apply(const ResourceType& type, const std::string& ns,
                                const std::string& name, const document::Value& intent,
                                const std::string& field_manager, bool force) = 0;
  // False when there was nothing to delete.
  virtual bool remove(const ResourceType& type, const std::string& ns, const std::string& name,
                      const Preconditions& preconditions) = 0;
};

// The status subresource, written whole (PUT) with the resourceVersion it was judged at, so a
// stale status is refused with 409 rather than overwriting a newer one.
class StatusWriter {
 public:
  virtual ~StatusWriter() = default;
  // The updated object, or nullopt when it does not exist.
  virtual std::optional<document::Value> update_status(const ResourceType& type,
                                                       const std::string& ns,
                                                       const std::string& name,
                                                       const document::Value& object) = 0;
};

}  // namespace bulwark::kube
