#pragma once
// Image signature verification for `bulwark run` (docs/api.md, Image signatures): the registry
// client, the verdict cache and the pool that verifies within a budget, built from the config's
// `registries`, shared by the webhook and the reconcilers.

#include <memory>
#include <string>

#include "config/operator_config.h"
#include "metrics/operator_metrics.h"
#include "operator/base/clock.h"
#include "operator/registry/image_verification.h"

namespace bulwark::kube {
class KubeClient;
}

namespace bulwark::cli {

class OperatorImages {
 public:
  // Keys and credentials in Secrets are read from `own_namespace` through `client`. Throws
  // kube::ConfigError when registries.caFile cannot be read.
  OperatorImages(const config::OperatorConfig& cfg, base::Clock& clock,
                 metrics::OperatorMetrics& metrics, kube::KubeClient& client,
                 const std::string& own_namespace);
  ~OperatorImages();
  registry::ImageVerification& verification();
  registry::SignatureVerifier& verifier();

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace bulwark::cli
