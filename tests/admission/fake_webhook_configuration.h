#pragma once

#include <mutex>
#include <vector>

#include "operator/admission/webhook_configuration.h"

namespace bulwark::testing {

// The ValidatingWebhookConfiguration as a value: records each patch, answers `state`.
class FakeWebhookConfiguration : public admission::WebhookConfiguration {
 public:
  admission::ConfigurationState apply(const admission::ConfigurationPatch& patch) override {
    std::lock_guard lock(mu_);
    patches.push_back(patch);
    return state;
  }
  admission::ConfigurationState read() override {
    std::lock_guard lock(mu_);
    ++reads;
    return state;
  }

  // Set before the webhook starts; read after it stops.
  admission::ConfigurationState state{true, "Ignore"};
  std::vector<admission::ConfigurationPatch> patches;
  int reads = 0;

 private:
  std::mutex mu_;
};

}  // namespace bulwark::testing
