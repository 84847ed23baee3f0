#pragma once

#include <chrono>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace bulwark::config {

// The operator's settings (bulwark run --config FILE). Every field has the default documented in
// config/bulwark.yaml; flags override the file.
struct OperatorConfig {
  std::string metrics_bind_address = "127.0.0.1:8080";  // "0" turns the endpoint off
  // HTTPS, with callers authenticated and authorized by the API server (docs/api.md).
  bool metrics_secure = false;
  std::string metrics_cert_dir;  // tls.crt and tls.key; empty: a self-signed certificate
  std::string health_probe_bind_address = ":8081";  // "0" turns the endpoint off
  struct LeaderElection {
    bool enabled = false;
    std::string namespace_name;  // empty: the pod's namespace in a cluster, else bulwark-system
    std::chrono::seconds lease_duration{15};
    std::chrono::seconds renew_deadline{10};
    std::chrono::seconds retry_period{2};
  } leader_election;
  // No client-side limit by default (0 = none): the API server's Priority and Fairness is the
  // limit, and its 429s are honoured (controller-runtime dropped its limiter the same way).
  struct Client {
    double qps = 0;
    int burst = 0;  // with qps set: 0 means qps, rounded up
  } client;
  // Posture workers: each waits for its own write's answer, so 8 keep the API server's write
  // path busy (10,000 pods: 1.3x its own write floor with 8, 1.6x with 2; docs/benchmarks.md).
  int workers = 8;
  std::chrono::seconds resync_period{600};
  struct Log {
    std::string level = "info";   // trace, debug, info, warn, error
    std::string format = "text";  // text, json
  } log;
  // The validating webhook (docs/api.md, Admission).
  struct Admission {
    bool enabled = true;
    std::string bind_address = ":9443";  // "0" turns admission off
    std::string url;                     // empty: the API server calls the Service bulwark-webhook
    // Empty and 0: Bulwark keeps what the ValidatingWebhookConfiguration says (the manifest's or
    // an admin's); set, Bulwark patches them in at start and at each certificate change.
    std::string failure_policy;  // "", Ignore or Fail
    int timeout_seconds = 0;     // 0, or 1 to 30
    std::string cert_dir;        // tls.crt, tls.key, ca.crt; empty: Bulwark's own CA, in a Secret
    std::chrono::seconds ca_validity{24 * 365 * 3600};
    std::chrono::seconds certificate_validity{24 * 90 * 3600};
    // Addresses or CIDR ranges the API server calls from: connections from them have no cap of
    // their own and a reserve no other client can take (docs/api.md, Admission under attack).
    std::vector<std::string> api_server_sources;
    int connections_per_source = 8;  // any other source address
  } admission;
  // Policy reports (docs/api.md, Reports): openreports (openreports.io/v1alpha1 Report), wgpolicy
  // (wgpolicyk8s.io/v1alpha2 PolicyReport) or off; passing controls as one result per policy
  // (summary) or one each (list).
  struct Reports {
    std::string format = "openreports";
    std::string passes = "summary";
  } reports;
  // Whether the API server authenticates requests without credentials as system:anonymous
  // (then any pod holds what system:anonymous and system:unauthenticated are bound to): allowed,
  // denied, or auto, probed once at start (docs/api.md, RBAC).
  struct Rbac {
    std::string anonymous_requests = "auto";
  } rbac;
  // The enforcement canary (docs/architecture.md): each `interval` the canary's NetworkPolicy
  // changes which port it allows, and a change not in effect within `change_timeout` fails.
  struct Canary {
    bool enabled = true;
    std::chrono::seconds interval{60};
    std::chrono::seconds change_timeout{30};
    // Nodes carrying any of these annotations are simulated: never probed (their pod addresses
    // lead nowhere), and not counted. KWOK marks its nodes with kwok.x-k8s.io/node.
    std::vector<std::string> skip_node_annotations{"kwok.x-k8s.io/node"};
  } canary;
  // How images.verify reaches registries (docs/api.md, Image signatures).
  struct Registries {
    std::vector<std::string> insecure_hosts;  // HOST[:PORT] asked over plain HTTP
    std::string ca_file;                      // trusted instead of the system's store when set
    std::chrono::seconds request_timeout{5};
    std::chrono::seconds cache_ttl{3600};
    int cache_entries = 10000;
    int concurrent_per_registry = 4;
    // What verification may take of one admission review (the API server waits
    // admission.timeoutSeconds, 3 s by default, for the whole answer).
    std::chrono::milliseconds admission_budget{2000};
  } registries;
  // Namespaces Bulwark never writes to, whatever a policy selects.
  std::vector<std::string> never_touch_namespaces{"kube-system", "kube-public", "kube-node-lease"};
};

struct ConfigError {
  std::string key;  // "leaderElection.leaseDuration"
  std::string message;
};

struct ConfigLoad {
  OperatorConfig config;
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
};

// Reads a config file over the defaults. Unknown keys and bad values are errors naming the key.
ConfigLoad load_operator_config(const std::string& path);
// The same over a stream; `path` names it in messages.
ConfigLoad parse_operator_config(std::istream& in, const std::string& path);
// Checks values that depend on each other (renewDeadline < leaseDuration, ...); call after flags
// are applied.
std::vector<ConfigError> validate(const OperatorConfig& config);

// "15s", "2m", "1h30m", "500ms" (rounded down to seconds here); nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace bulwark::config
