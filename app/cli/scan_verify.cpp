// `bulwark scan --verify` (scan_verify.h).
#include "app/cli/scan_verify.h"

#include <stdexcept>

#include "operator/base/clock.h"
#include "operator/base/files.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/http.h"
#include "operator/posture/workload.h"
#include "operator/registry/pod_signatures.h"

namespace bulwark::cli {

struct ScanVerifier::Parts {
  base::RealClock clock;
  std::unique_ptr<registry::Registry> registry;
  std::unique_ptr<registry::SignatureVerifier> verifier;
  registry::InlineTrust trust;
};

ScanVerifier::ScanVerifier(const ScanRegistryOptions& options) : parts_(std::make_unique<Parts>()) {
  registry::RegistrySettings settings;
  settings.insecure_hosts = options.insecure_hosts;
  if (!options.ca_file.empty()) {
    auto ca = base::read_file(options.ca_file);
    if (!ca) throw std::runtime_error(options.ca_file + ": cannot read the registry CA");
    settings.ca_pem = std::move(*ca);
  }
  parts_->registry = registry::make_registry(std::move(settings), [](const kube::ClusterConfig& c) {
    return kube::make_cpprest_transport(c);
  });
  parts_->verifier = std::make_unique<registry::SignatureVerifier>(
      *parts_->registry, parts_->clock, registry::SignatureVerifier::Options{});
}

ScanVerifier::~ScanVerifier() = default;

images::ImageSignatures ScanVerifier::verify(const crds::ImagesSpec& spec,
                                             const posture::Workload& workload) {
  return registry::verify_pod_images(*parts_->verifier, parts_->trust, spec,
                                     registry::images_of(*workload.pod_spec));
}

}  // namespace bulwark::cli
