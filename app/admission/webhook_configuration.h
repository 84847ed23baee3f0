#pragma once

#include <optional>
#include <string>

#include "operator/policy/written_names.h"

namespace bulwark::kube {
class KubeClient;
}

namespace bulwark::admission {

// What Bulwark sets on its one webhook of the configuration; the rest is the cluster's.
struct ConfigurationPatch {
  std::string ca_bundle;       // PEM
  std::string url;             // empty: the clientConfig's service stays
  std::string failure_policy;  // empty: the configuration's stays
  int timeout_seconds = 0;     // 0: the configuration's stays
};

// What the configuration's webhook says once patched or read.
struct ConfigurationState {
  bool found = false;          // false: no configuration `bulwark` (the API server calls nobody)
  std::string failure_policy;  // "Ignore", "Fail"; empty when the webhook has none
  std::string ca_bundle;       // the webhook's clientConfig.caBundle, base64 as in the object
  std::string url;             // its clientConfig.url; empty when it names a service
};

// The ValidatingWebhookConfiguration `bulwark`, the one object of its kind Bulwark writes: merged
// by webhook name, never created. The kube adapter is KubeWebhookConfiguration; tests use
// tests/admission/fake_webhook_configuration.h.
class WebhookConfiguration {
 public:
  virtual ~WebhookConfiguration() = default;
  // Throws on any failure but a missing configuration (found: false).
  virtual ConfigurationState apply(const ConfigurationPatch& patch) = 0;
  virtual ConfigurationState read() = 0;
};

// Over the API server: a strategic merge patch of the one webhook's fields, a GET.
class KubeWebhookConfiguration : public WebhookConfiguration {
 public:
  explicit KubeWebhookConfiguration(kube::KubeClient& client) : client_(client) {}
  ConfigurationState apply(const ConfigurationPatch& patch) override;
  ConfigurationState read() override;

 private:
  kube::KubeClient& client_;
};

}  // namespace bulwark::admission
