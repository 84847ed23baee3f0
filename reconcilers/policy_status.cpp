#include "reconcilers/policy_status.h"

#include <ctime>

#include "document/json_writer.h"
#include "server/logging.h"

namespace bulwark::reconcilers {

using document::Value;

namespace {

std::string rfc3339_seconds(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string field(const Value* node, std::string_view key) {
  const Value* v = node != nullptr ? node->find(key) : nullptr;
  return v != nullptr ? std::string(v->str()) : std::string();
}

}  // namespace

PolicyStatusReconciler::PolicyStatusReconciler(kube::KubeClient& client,
                                               const runtime::Informer& policies,
                                               const runtime::Clock& clock)
    : client_(client), policies_(policies), clock_(clock) {}

PolicyStatusReconciler::Condition PolicyStatusReconciler::ready_condition(
    const std::vector<crds::FieldError>& errors) {
  if (errors.empty()) return {"True", "Reconciled", ""};
  std::string message;
  for (const auto& e : errors) {
    if (!message.empty()) message += "; ";
    message += e.field + ": " + e.message;
  }
  if (message.size() > 1000) message = message.substr(0, 1000) + "...";
  return {"False", "InvalidSpec", message};
}

runtime::Result PolicyStatusReconciler::reconcile(const std::string& name) {
  auto object = policies_.get(name);
  if (object == nullptr) return {};  // deleted: nothing to report on
  const auto parsed = crds::parse_security_policy(*object);
  const Condition want = ready_condition(parsed.errors);
  const std::string generation = field(object->find("metadata"), "generation");

  const Value* status = object->find("status");
  const Value* current = nullptr;
  for (const auto& c :
       document::items_of(status != nullptr ? status->find("conditions") : nullptr)) {
    if (field(&c, "type") == "Ready") current = &c;
  }
  const bool same_status = current != nullptr && field(current, "status") == want.status;
  if (same_status && field(current, "reason") == want.reason &&
      field(current, "message") == want.message &&
      field(current, "observedGeneration") == generation &&
      field(status, "observedGeneration") == generation) {
    logging::debug("policy " + name + ": status is up to date");
    return {};
  }

  using document::json_quote;
  const std::string transition =
      same_status ? field(current, "lastTransitionTime") : rfc3339_seconds(clock_.wall_now());
  std::string conditions;
  for (const auto& c :
       document::items_of(status != nullptr ? status->find("conditions") : nullptr)) {
    if (field(&c, "type") != "Ready") conditions += document::to_json(c) + ",";
  }
  conditions += R"({"type":"Ready","status":)" + json_quote(want.status) + R"(,"reason":)" +
                json_quote(want.reason) + R"(,"message":)" + json_quote(want.message) +
                R"(,"observedGeneration":)" + (generation.empty() ? "0" : generation) +
                R"(,"lastTransitionTime":)" + json_quote(transition) + "}";
  std::string body = R"({"observedGeneration":)" + (generation.empty() ? "0" : generation) +
                     R"(,"conditions":[)" + conditions + "]";
  for (const auto& [key, value] : document::members_of(status)) {
    if (key != "observedGeneration" && key != "conditions") {
      body += "," + json_quote(key) + ":" + document::to_json(value);
    }
  }
  body += "}";
  const std::string resource_version = field(object->find("metadata"), "resourceVersion");
  client_.update_status(kube::resources::kSecurityPolicies, "", name,
                        R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy",)"
                        R"("metadata":{"name":)" +
                            json_quote(name) + R"(,"resourceVersion":)" +
                            json_quote(resource_version) + R"(},"status":)" + body + "}");
  logging::info("wrote status of policy " + name + ": Ready=" + want.status + " " + want.reason +
                (want.message.empty() ? "" : ": " + want.message));
  return {};
}

}  // namespace bulwark::reconcilers
