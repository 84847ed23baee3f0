#pragma once

#include <optional>
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

// What reconcilers write to the cluster, as typed bodies. Failures are ApiErrors, classified by
// api_error.h; an object that no longer exists is not a failure: it is reported in the return
// value (it went while we judged it, and its deletion reaches the cache next). Thread-safe
// implementations. The adapter is ClientWriter; tests use tests/fakes/fake_object_writer.h.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual document::Value create(const ResourceType& type, const std::string& ns,
                                 const document::Value& object) = 0;
  // The patched object, or nullopt when it does not exist.
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
