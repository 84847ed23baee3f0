// Image signature verification for `bulwark run` (run_images.h).
#include "app/cli/run_images.h"

#include "operator/kube/cluster_config.h"
#include "operator/kube/http.h"
#include "operator/registry/secret_trust.h"

namespace bulwark::cli {

struct OperatorImages::Parts {
  std::unique_ptr<registry::Registry> registry;
  std::unique_ptr<registry::SignatureVerifier> verifier;
  std::unique_ptr<registry::SecretReader> secrets;
  std::unique_ptr<registry::SecretTrust> trust;
  std::unique_ptr<registry::ImageVerification> verification;
};

OperatorImages::OperatorImages(const config::OperatorConfig& cfg, base::Clock& clock,
                               metrics::OperatorMetrics& metrics, kube::KubeClient& client,
                               const std::string& own_namespace)
    : parts_(std::make_unique<Parts>()) {
  const auto& r = cfg.registries;
  registry::RegistrySettings settings;
  settings.insecure_hosts = r.insecure_hosts;
  if (!r.ca_file.empty()) settings.ca_pem = kube::read_config_file(r.ca_file, "registries.caFile");
  settings.request_timeout = r.request_timeout;
  settings.max_concurrent_per_registry = std::size_t(r.concurrent_per_registry);
  parts_->registry = registry::make_registry(std::move(settings), [](const kube::ClusterConfig& c) {
    return kube::make_cpprest_transport(c);
  });
  parts_->verifier = std::make_unique<registry::SignatureVerifier>(
      *parts_->registry, clock,
      registry::SignatureVerifier::Options{r.cache_ttl, std::size_t(r.cache_entries)});
  parts_->verifier->set_observer(
      [&metrics](images::SignatureResult result, std::chrono::nanoseconds took, bool hit) {
        if (hit) {
          metrics.image_verification_cache_hit();
        } else {
          metrics.image_verification(images::to_string(result),
                                     std::chrono::duration_cast<base::Clock::Duration>(took));
        }
      });
  parts_->secrets = registry::make_kube_secret_reader(client, own_namespace);
  parts_->trust = std::make_unique<registry::SecretTrust>(*parts_->secrets, clock);
  parts_->verification = std::make_unique<registry::ImageVerification>(
      *parts_->verifier, *parts_->trust, registry::ImageVerification::Options{});
}

OperatorImages::~OperatorImages() = default;

registry::ImageVerification& OperatorImages::verification() { return *parts_->verification; }
registry::SignatureVerifier& OperatorImages::verifier() { return *parts_->verifier; }

}  // namespace bulwark::cli
