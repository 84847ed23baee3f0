#include "reconcilers/events.h"

#include <cstdint>
#include <cstdio>

#include "operator/base/clock.h"
#include "operator/kube/api_error.h"
#include "operator/kube/object_writer.h"
#include "operator/logging/logging.h"
#include "reconcilers/time_format.h"

namespace bulwark::reconcilers {

using document::Value;

std::string_view to_string(EventType type) {
  return type == EventType::kWarning ? "Warning" : "Normal";
}

std::string event_name(const ObjectRef& about, std::string_view reason) {
  // FNV-1a, 64 bits: stable across builds and processes, unlike std::hash.
  std::uint64_t h = 14695981039346656037ull;
  for (std::string_view part :
       {std::string_view(about.uid), reason, std::string_view(about.resource_version)}) {
    for (unsigned char c : part) h = (h ^ c) * 1099511628211ull;
    h = (h ^ '|') * 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  // 253 characters at most, as any object name.
  return about.name.substr(0, 253 - 17) + "." + hex;
}

Value make_event(const ObjectRef& about, EventType type, std::string_view reason,
                 const std::string& message, std::chrono::system_clock::time_point now) {
  const std::string ns = about.namespace_name.empty() ? "default" : about.namespace_name;
  const Value time = Value::string(rfc3339_seconds(now));
  Value event = Value::object();
  event.set("apiVersion", Value::string("v1")).set("kind", Value::string("Event"));
  event.child("metadata")
      .set("name", Value::string(event_name(about, reason)))
      .set("namespace", Value::string(ns));
  event.child("involvedObject")
      .set("apiVersion", Value::string(about.api_version))
      .set("kind", Value::string(about.kind))
      .set("namespace", Value::string(about.namespace_name))
      .set("name", Value::string(about.name))
      .set("uid", Value::string(about.uid))
      .set("resourceVersion", Value::string(about.resource_version));
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
  } catch (const kube::ApiError& e) {
    if (e.error_class() == kube::ErrorClass::kConflict) {
      logging::debug("event " + std::string(reason) + " on " + about.kind + " " + ns + "/" +
                     about.name + " was recorded already");
      return;
    }
    logging::warn("could not record event " + std::string(reason) + " on " + about.kind + " " + ns +
                  "/" + about.name + ": " + e.what());
  } catch (const kube::NotLeadingError& e) {
    logging::debug(e.what());
  } catch (const std::exception& e) {
    logging::warn("could not record event " + std::string(reason) + " on " + about.kind + " " + ns +
                  "/" + about.name + ": " + e.what());
  }
}

}  // namespace bulwark::reconcilers
