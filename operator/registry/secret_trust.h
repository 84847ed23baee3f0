#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "operator/registry/pod_signatures.h"

namespace bulwark::base {
class Clock;
}
namespace bulwark::kube {
class KubeClient;
}

namespace bulwark::registry {

// The Secrets of the operator's own namespace, read by name. Thread-safe.
class SecretReader {
 public:
  virtual ~SecretReader() = default;
  // The Secret's data, decoded; nullopt and why when it cannot be read (absent, forbidden,
  // unreachable, not what a Secret is).
  virtual std::optional<std::map<std::string, std::string>> read(const std::string& name,
                                                                 std::string& error) = 0;
};
// GET of the Secret through the API server: the operator's Role allows `get` on the names the
// chart's imageVerification.secretNames lists, and on no other (docs/operations.md).
std::unique_ptr<SecretReader> make_kube_secret_reader(kube::KubeClient& client,
                                                      std::string own_namespace);

// A kubernetes.io/dockerconfigjson Secret's `.dockerconfigjson`: credentials by registry host, as
// the registry API is asked ("https://index.docker.io/v1/" and "docker.io" are
// "registry-1.docker.io"); each entry's username and password, or its `auth` (base64
// "user:password"). Nullopt and `error` for anything else. Pure.
std::optional<std::map<std::string, BasicCredentials>> parse_docker_config(std::string_view json,
                                                                           std::string& error);

// An entry's keys (inline PEM, or the key of a Secret) and its credentialsSecret, the Secrets
// read at most once each `refresh` (so a rotated key is taken within it, and judging never waits
// on the API server more than that). A key or credentials that cannot be read leave the entry's
// images not evaluated, saying which Secret and why. Thread-safe.
class SecretTrust final : public TrustSource {
 public:
  SecretTrust(SecretReader& reader, base::Clock& clock,
              std::chrono::seconds refresh = std::chrono::seconds(60));
  std::optional<TrustedKeys> trust_for(const crds::ImageVerifyEntry& entry,
                                       std::string& error) override;

 private:
  // A Secret's data as last read (or why it could not be), and when.
  struct Read {
    std::optional<std::map<std::string, std::string>> data;
    std::string error;
    std::chrono::steady_clock::time_point at;
  };
  const Read& secret(const std::string& name);  // with mu_ held

  SecretReader& reader_;
  base::Clock& clock_;
  const std::chrono::seconds refresh_;
  std::mutex mu_;
  std::map<std::string, Read> secrets_;  // guarded by mu_
};

}  // namespace bulwark::registry
