#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/images/reference.h"

namespace bulwark::kube {
class HttpTransport;
struct ClusterConfig;
}  // namespace bulwark::kube

namespace bulwark::registry {

// How Bulwark reaches registries (the operator config's `registries`, scan's flags). Every
// request is bounded: its time, its body, its redirects, and how many run at once per registry.
struct RegistrySettings {
  // Hosts ("host" or "host:port") asked over plain HTTP; every other host over HTTPS.
  std::vector<std::string> insecure_hosts;
  std::string ca_pem;  // trusted instead of the system's store when set
  std::chrono::milliseconds request_timeout{5000};
  std::size_t max_manifest_bytes = 4u << 20;  // the distribution spec's own limit for manifests
  std::size_t max_token_bytes = 64u << 10;
  int max_redirects = 3;
  std::size_t max_concurrent_per_registry = 4;
};

// Credentials for one registry (a kubernetes.io/dockerconfigjson Secret's entry).
struct BasicCredentials {
  std::string username;
  std::string password;
};

// What one request came to. kNotFound is the registry's own 404 (a tag or a signature manifest
// that does not exist); kFailed anything that says nothing about the image (unreachable, timed
// out, refused, too large, not understood), with `error` saying which.
struct Fetched {
  enum class Status { kOk, kNotFound, kFailed };
  Status status = Status::kFailed;
  std::string body;
  std::string digest;        // the body's sha256 ("sha256:<hex>"), computed here
  std::string content_type;  // as the registry said
  std::string error;
  // With kFailed: the registry answered, with content Bulwark refuses (over its bound, another
  // digest than asked for, not a manifest's type): no outage, and no verdict to wait for.
  bool refused_content = false;
};

// The registry API reads signature verification makes (the OCI distribution API, GET only).
// Thread-safe.
class Registry {
 public:
  virtual ~Registry() = default;
  // GET /v2/<path>/manifests/<reference> (a tag or a digest), accepting OCI and Docker manifests
  // and indexes. The digest is computed over the body, never taken from a header.
  virtual Fetched manifest(const images::RegistryPath& repo, std::string_view reference,
                           const BasicCredentials* credentials) = 0;
  // GET /v2/<path>/blobs/<digest>, at most `max_bytes`; a body whose digest is not `digest` fails.
  virtual Fetched blob(const images::RegistryPath& repo, std::string_view digest,
                       std::size_t max_bytes, const BasicCredentials* credentials) = 0;
};

// Makes the transport for one server ("https://host:port" and the CA): make_cpprest_transport in
// production, a fake in tests.
using TransportFactory =
    std::function<std::unique_ptr<kube::HttpTransport>(const kube::ClusterConfig&)>;

// The registry client: anonymous access, bearer tokens from the registry's WWW-Authenticate
// challenge (credentials sent to the token realm only over HTTPS or to an insecure-listed
// host), basic credentials, redirects followed by hand (credentials kept to the host they are
// for), everything bounded as RegistrySettings says.
std::unique_ptr<Registry> make_registry(RegistrySettings settings, TransportFactory transports);

}  // namespace bulwark::registry
