#include "reconcilers/events.h"

#include "operator/base/clock.h"
#include "operator/kube/object_writer.h"
#include "operator/logging/logging.h"
#include "reconcilers/time_format.h"

namespace bulwark::reconcilers {

using document::Value;

std::string_view to_string(EventType type) {
  return type == EventType::kWarning ? "Warning" : "Normal";
}

Value make_event(const ObjectRef& about, EventType type, std::string_view reason,
                 const std::string& message, std::chrono::system_clock::time_point now) {
  const std::string ns = about.namespace_name.empty() ? "default" : about.namespace_name;
  const Value time = Value::string(rfc3339_seconds(now));
  Value event = Value::object();
  event.set("apiVersion", Value::string("v1")).set("kind", Value::string("Event"));
  event.child("metadata")
      .set("generateName", Value::string(about.name + "."))
      .set("namespace", Value::string(ns));
  event.child("involvedObject")
      .set("apiVersion", Value::string(about.api_version))
      .set("kind", Value::string(about.kind))
      .set("namespace", Value::string(about.namespace_name))
      .set("name", Value::string(about.name))
      .set("uid", Value::string(about.uid));
  event.set("type", Value::string(to_string(type)))
      .set("reason", Value::string(reason))
      .set("message", Value::string(message));
  event.child("source").set("component", Value::string("bulwark"));
  event.set("reportingComponent", Value::string("bulwark"))
      .set("firstTimestamp", time)
      .set("lastTimestamp", time)
      .set("count", Value::integer(1));
  return event;
}

void ApiEventRecorder::record(const ObjectRef& about, EventType type, std::string_view reason,
                              const std::string& message) {
  const Value event = make_event(about, type, reason, message, clock_.wall_now());
  const std::string ns(event.find({"metadata", "namespace"})->str());
  try {
    writer_.create(kube::resources::kEvents, ns, event);
  } catch (const std::exception& e) {
    logging::warn("could not record event " + std::string(reason) + " on " + about.kind + " " + ns +
                  "/" + about.name + ": " + e.what());
  }
}

}  // namespace bulwark::reconcilers
