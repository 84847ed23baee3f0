#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/kube/cluster_config.h"

namespace bulwark::kube {

// What a credential plugin's process did.
struct ProcessResult {
  int exit_code = -1;  // -1: it could not start, was killed at the deadline, or by a signal
  std::string out, err;
  bool timed_out = false;
};
// Runs `argv` with `env` added to this process's environment and stdin from /dev/null, at most
// `limit`; a bare argv[0] is looked up on PATH.
using ProcessRunner = std::function<ProcessResult(
    const std::vector<std::string>& argv,
    const std::vector<std::pair<std::string, std::string>>& env, std::chrono::milliseconds limit)>;
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env,
                          std::chrono::milliseconds limit);

// The bearer token of a kubeconfig `exec` plugin (client.authentication.k8s.io ExecCredential),
// as client-go gets it: the plugin runs with KUBERNETES_EXEC_INFO (interactive false; the cluster
// with provideClusterInfo) and no terminal; its token is cached until its expirationTimestamp, or
// until a 401 invalidates it. A plugin that fails, prints something other than an ExecCredential,
// or answers with a client certificate (not supported) is a ConfigError naming the plugin and
// what it said. Thread-safe: concurrent callers wait for one run.
class ExecCredentialSource {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  ExecCredentialSource(
      ExecConfig config, const ClusterConfig& cluster, ProcessRunner runner = run_process,
      WallClock now = [] { return std::chrono::system_clock::now(); });
  std::string token();
  void invalidate();

 private:
  std::string exec_info() const;
  void refresh();

  const ExecConfig config_;
  const std::string server_, ca_pem_, tls_server_name_;
  const bool insecure_;
  const ProcessRunner runner_;
  const WallClock now_;
  std::mutex mu_;
  std::string token_;                                             // guarded by mu_
  std::optional<std::chrono::system_clock::time_point> expires_;  // guarded by mu_
  bool valid_ = false;                                            // guarded by mu_
};

}  // namespace bulwark::kube
