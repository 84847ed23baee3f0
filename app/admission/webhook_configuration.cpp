#include "app/admission/webhook_configuration.h"

#include "operator/document/json_writer.h"
#include "operator/kube/api_error.h"
#include "operator/kube/client.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/resource_type.h"

namespace bulwark::admission {

using document::Value;

namespace {

ConfigurationState state_of(const Value& configuration) {
  ConfigurationState state;
  state.found = true;
  for (const auto& hook : document::items_of(configuration.find("webhooks"))) {
    const Value* name = hook.find("name");
    if (name == nullptr || name->str() != kWebhookName) continue;
    if (const Value* policy = hook.find("failurePolicy")) {
      state.failure_policy = std::string(policy->str());
    }
    if (const Value* ca = hook.find({"clientConfig", "caBundle"})) state.ca_bundle = ca->str();
    if (const Value* url = hook.find({"clientConfig", "url"})) state.url = url->str();
  }
  return state;
}

}  // namespace

// A strategic merge patch: the one webhook's fields, merged by name, nothing else of the object.
ConfigurationState KubeWebhookConfiguration::apply(const ConfigurationPatch& p) {
  Value hook = Value::object();
  hook.set("name", Value::string(kWebhookName));
  if (!p.failure_policy.empty()) hook.set("failurePolicy", Value::string(p.failure_policy));
  if (p.timeout_seconds > 0) hook.set("timeoutSeconds", Value::integer(p.timeout_seconds));
  Value& client = hook.child("clientConfig");
  client.set("caBundle", Value::string(kube::base64_encode(p.ca_bundle)));
  if (!p.url.empty()) {
    client.set("url", Value::string(p.url));
    client.set("service", Value::null());
  }
  Value patch = Value::object();
  patch.child("webhooks").push(std::move(hook));
  try {
    return state_of(client_.strategic_merge_patch(kube::resources::kValidatingWebhookConfigurations,
                                                  "", kConfigurationName,
                                                  document::to_json(patch)));
  } catch (const kube::ApiError& e) {
    if (e.error_class() == kube::ErrorClass::kNotFound) return {};
    throw;
  }
}

ConfigurationState KubeWebhookConfiguration::read() {
  try {
    return state_of(
        client_.get(kube::resources::kValidatingWebhookConfigurations, "", kConfigurationName));
  } catch (const kube::ApiError& e) {
    if (e.error_class() == kube::ErrorClass::kNotFound) return {};
    throw;
  }
}

}  // namespace bulwark::admission
