#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "reconcilers/events.h"

namespace bulwark::testing {

// One Event a reconciler recorded, as typed values.
struct RecordedEvent {
  reconcilers::ObjectRef about;
  reconcilers::EventType type;
  std::string reason;
  std::string message;
  // "Deployment/cart:PolicyViolation", for compact assertions.
  std::string brief() const { return about.kind + "/" + about.name + ":" + reason; }
};

// The one fake of reconcilers::EventRecorder: records every Event.
class FakeEventRecorder : public reconcilers::EventRecorder {
 public:
  void record(const reconcilers::ObjectRef& about, reconcilers::EventType type,
              std::string_view reason, const std::string& message) override {
    std::lock_guard lock(mu_);
    events_.push_back({about, type, std::string(reason), message});
  }
  std::vector<RecordedEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    events_.clear();
  }
  std::vector<std::string> briefs() const {
    std::vector<std::string> out;
    for (const auto& e : events()) out.push_back(e.brief());
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<RecordedEvent> events_;
};

}  // namespace bulwark::testing
