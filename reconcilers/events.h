#pragma once

#include <string>

namespace bulwark::kube {
class KubeClient;
}
namespace bulwark::base {
class Clock;
}

namespace bulwark::reconcilers {

// The object an Event is about.
struct ObjectRef {
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;
  std::string uid;
};

// Records Kubernetes Events (API.md section 2: one per change, never one per evaluation).
// Best effort: an Event that cannot be written is logged and dropped, never retried, so a
// reconcile does not fail or repeat its real work over one. Thread-safe implementations.
class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // type is "Normal" or "Warning"; reason a CamelCase word such as "Quarantined".
  virtual void record(const ObjectRef& about, const std::string& type, const std::string& reason,
                      const std::string& message) = 0;
};

// Writes core/v1 Events through the client, as reporting component "bulwark".
class ApiEventRecorder : public EventRecorder {
 public:
  ApiEventRecorder(kube::KubeClient& client, const base::Clock& clock)
      : client_(client), clock_(clock) {}
  void record(const ObjectRef& about, const std::string& type, const std::string& reason,
              const std::string& message) override;

 private:
  kube::KubeClient& client_;
  const base::Clock& clock_;
};

// Records nothing: for callers that do not want Events.
class NoEvents : public EventRecorder {
 public:
  void record(const ObjectRef&, const std::string&, const std::string&,
              const std::string&) override {}
};

}  // namespace bulwark::reconcilers
