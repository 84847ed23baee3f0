#include "reconcilers/events.h"

#include "operator/base/clock.h"
#include "operator/document/json_writer.h"
#include "operator/kube/client.h"
#include "operator/logging/logging.h"
#include "reconcilers/time_format.h"

namespace bulwark::reconcilers {

void ApiEventRecorder::record(const ObjectRef& about, const std::string& type,
                              const std::string& reason, const std::string& message) {
  using document::json_quote;
  // Events about cluster-scoped objects live in "default", as kubectl looks for them there.
  const std::string ns = about.namespace_name.empty() ? "default" : about.namespace_name;
  const std::string now = rfc3339_seconds(clock_.wall_now());
  const std::string body =
      R"({"apiVersion":"v1","kind":"Event","metadata":{"generateName":)" +
      json_quote(about.name + ".") + R"(,"namespace":)" + json_quote(ns) +
      R"(},"involvedObject":{"apiVersion":)" + json_quote(about.api_version) + R"(,"kind":)" +
      json_quote(about.kind) + R"(,"namespace":)" + json_quote(about.namespace_name) +
      R"(,"name":)" + json_quote(about.name) + R"(,"uid":)" + json_quote(about.uid) +
      R"(},"type":)" + json_quote(type) + R"(,"reason":)" + json_quote(reason) + R"(,"message":)" +
      json_quote(message) +
      R"(,"source":{"component":"bulwark"},"reportingComponent":"bulwark","firstTimestamp":)" +
      json_quote(now) + R"(,"lastTimestamp":)" + json_quote(now) + R"(,"count":1})";
  try {
    client_.create(kube::resources::kEvents, ns, body);
  } catch (const std::exception& e) {
    logging::warn("could not record event " + reason + " on " + about.kind + " " + ns + "/" +
                  about.name + ": " + e.what());
  }
}

}  // namespace bulwark::reconcilers
