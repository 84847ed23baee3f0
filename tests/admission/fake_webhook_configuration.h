#pragma once

#include <mutex>
#include <vector>

#include "app/admission/webhook_configuration.h"
#include "operator/kube/cluster_config.h"

namespace bulwark::testing {

// The ValidatingWebhookConfiguration as a value: records each patch, answers `state`.
class FakeWebhookConfiguration : public admission::WebhookConfiguration {
 public:
  // As the API server would: the patched CA bundle and url are what it holds next.
  admission::ConfigurationState apply(const admission::ConfigurationPatch& patch) override {
    std::lock_guard lock(mu_);
    patches.push_back(patch);
    if (state.found) {
      state.ca_bundle = kube::base64_encode(patch.ca_bundle);
      if (!patch.url.empty()) state.url = patch.url;
    }
    return state;
  }
  admission::ConfigurationState read() override {
    std::lock_guard lock(mu_);
    ++reads;
    return state;
  }

  // Someone else changing the CA bundle while the webhook runs.
  void tamper(const std::string& ca_bundle) {
    std::lock_guard lock(mu_);
    state.ca_bundle = ca_bundle;
  }
  std::size_t patch_count() {
    std::lock_guard lock(mu_);
    return patches.size();
  }

  // Set before the webhook starts; read after it stops.
  admission::ConfigurationState state{true, "Ignore", "", ""};
  std::vector<admission::ConfigurationPatch> patches;
  int reads = 0;

 private:
  std::mutex mu_;
};

}  // namespace bulwark::testing
