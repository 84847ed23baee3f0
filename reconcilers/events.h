#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "operator/document/value.h"

namespace bulwark::kube {
class ObjectWriter;
}
namespace bulwark::base {
class Clock;
}

namespace bulwark::reconcilers {

// The object an Event is about, as it was when the change the Event tells of was judged.
struct ObjectRef {
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;
  std::string uid;
  std::string resource_version;  // the version judged; names the Event (see make_event)
};

enum class EventType { kNormal, kWarning };
std::string_view to_string(EventType type);

// The reasons Bulwark records (docs/api.md, Events): one CamelCase word per kind of change.
namespace event_reasons {
inline constexpr std::string_view kPolicyViolation = "PolicyViolation";
inline constexpr std::string_view kQuarantined = "Quarantined";
inline constexpr std::string_view kReleased = "Released";
inline constexpr std::string_view kDriftRepaired = "DriftRepaired";
}  // namespace event_reasons

// Records Kubernetes Events (docs/api.md: one per change, never one per evaluation).
// Best effort: an Event that cannot be written is logged and dropped, never retried, so a
// reconcile does not fail or repeat its real work over one. Thread-safe implementations; tests
// use tests/fakes/fake_event_recorder.h.
class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  virtual void record(const ObjectRef& about, EventType type, std::string_view reason,
                      const std::string& message) = 0;
};

// The core/v1 Event about `about`, from reporting component "bulwark". Events about
// cluster-scoped objects live in "default", where kubectl looks for them. Its name is
// deterministic: the object's name and a hash of (uid, reason, resourceVersion judged), so the
// same change recorded twice (a retry, a restart that judges the same version again) is refused
// by the API server with 409 instead of becoming a duplicate.
std::string event_name(const ObjectRef& about, std::string_view reason);
document::Value make_event(const ObjectRef& about, EventType type, std::string_view reason,
                           const std::string& message, std::chrono::system_clock::time_point now);

// Writes core/v1 Events through an ObjectWriter.
class ApiEventRecorder : public EventRecorder {
 public:
  ApiEventRecorder(kube::ObjectWriter& writer, const base::Clock& clock)
      : writer_(writer), clock_(clock) {}
  void record(const ObjectRef& about, EventType type, std::string_view reason,
              const std::string& message) override;

 private:
  kube::ObjectWriter& writer_;
  const base::Clock& clock_;
};

// Records nothing: for callers that do not want Events.
class NoEvents : public EventRecorder {
 public:
  void record(const ObjectRef&, EventType, std::string_view, const std::string&) override {}
};

}  // namespace bulwark::reconcilers
