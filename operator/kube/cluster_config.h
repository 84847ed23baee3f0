#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bulwark::kube {

// A kubeconfig user's `exec` credential plugin (client.authentication.k8s.io), run by
// kube/exec_credential.h.
struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or v1beta1
  std::string command;      // a path (relative ones against the kubeconfig's folder) or a name
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string interactive_mode;  // Never, IfAvailable, Always
  bool provide_cluster_info = false;
  std::string install_hint;
};

// Where the API server is and how to authenticate to it.
struct ClusterConfig {
  std::string server;  // "https://host:port"
  std::string ca_pem;  // empty: the system's trust store
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;       // a static bearer token
  std::string token_file;  // a bearer token re-read when it changes (service-account rotation)
  bool insecure_skip_tls_verify = false;  // honoured only when the kubeconfig sets it
  // The name the server's certificate must carry (and SNI sends), when not the server's host.
  std::string tls_server_name;
  std::optional<ExecConfig> exec;  // a credential plugin that gives the bearer token
  std::string source;  // for logs and errors: "kubeconfig /path (context ctx)" or "in-cluster"
  // Sent with every request; empty: "bulwark/VERSION". `bulwark run` adds its replica identity,
  // so the API server's audit log tells replicas apart.
  std::string user_agent;
};

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The whole of a configuration file (a certificate, a key, a token); throws ConfigError
// "cannot read WHAT PATH" (`what` may be empty) when it cannot be read, and, with kRefuse, when it
// is empty (a certificate or key: an empty one is a file not written yet, not a certificate).
enum class EmptyFile { kAccept, kRefuse };
std::string read_config_file(const std::string& path, const std::string& what = "",
                             EmptyFile empty = EmptyFile::kAccept);

// Reads a kubeconfig: the named context, or the current one. Paths in it are relative to the
// file's folder; *-data fields are base64. Throws ConfigError naming the file and the key.
ClusterConfig load_kubeconfig(const std::string& path, const std::string& context = "");

// The pod's service account: KUBERNETES_SERVICE_HOST/PORT, the mounted CA and token.
// `getenv` is injected for tests; `dir` holds ca.crt and token.
ClusterConfig in_cluster_config(
    const std::function<const char*(const char*)>& getenv,
    const std::string& dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// The order of docs/api.md (Command line) and docs/operations.md: --kubeconfig, else in-cluster
// inside a pod, else $KUBECONFIG, else ~/.kube/config.
ClusterConfig resolve_cluster_config(const std::string& kubeconfig_flag,
                                     const std::function<const char*(const char*)>& getenv);

// The bearer token of a token file, re-read at most once a minute (as client-go does) so a
// rotated service-account token is picked up. Thread-safe.
class TokenFile {
 public:
  explicit TokenFile(std::string path) : path_(std::move(path)) {}
  std::string token(std::chrono::steady_clock::time_point now);

 private:
  std::string path_;
  std::mutex mu_;
  std::string cached_;                                       // guarded by mu_
  std::optional<std::chrono::steady_clock::time_point> at_;  // guarded by mu_
};

std::string base64_decode(const std::string& in);
std::string base64_encode(const std::string& in);  // standard alphabet, padded

}  // namespace bulwark::kube
