#pragma once

#include <memory>
#include <string>
#include <vector>

#include "operator/images/signature_check.h"

namespace bulwark::crds {
struct ImagesSpec;
}
namespace bulwark::posture {
struct Workload;
}

namespace bulwark::cli {

// `bulwark scan --verify`: the registry settings its flags give.
struct ScanRegistryOptions {
  std::vector<std::string> insecure_hosts;  // --insecure-registry HOST (plain HTTP)
  std::string ca_file;                      // --registry-ca FILE
};

// Verifies the images of scanned workloads against their registries (inline keys only: scan reads
// no Secret). Not thread-safe.
class ScanVerifier {
 public:
  // Throws std::runtime_error when the CA file cannot be read.
  explicit ScanVerifier(const ScanRegistryOptions& options);
  ~ScanVerifier();
  images::ImageSignatures verify(const crds::ImagesSpec& spec, const posture::Workload& workload);

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace bulwark::cli
