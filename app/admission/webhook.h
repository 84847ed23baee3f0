#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/admission/certificate_source.h"
#include "app/admission/review_handler.h"
#include "app/admission/webhook_configuration.h"
#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/server/http_server.h"

namespace bulwark::admission {

struct WebhookOptions {
  std::string bind_address = ":9443";
  std::string url;  // empty: the API server calls the Service
  // Patched into the configuration when set ("Ignore" or "Fail"; 1 to 30); empty and 0 keep what
  // the configuration says. Bulwark's own answer when it cannot judge follows the configuration.
  std::string failure_policy;
  int timeout_seconds = 0;
  std::string cert_dir;                        // tls.crt, tls.key, ca.crt; empty: Bulwark's own
  std::vector<std::string> certificate_names;  // the serving certificate's names
  std::string own_namespace;                   // where Bulwark keeps its certificate (no cert_dir)
  std::chrono::seconds ca_validity = std::chrono::hours(24 * 365);
  std::chrono::seconds certificate_validity = std::chrono::hours(24 * 90);
  std::vector<std::string> api_server_sources;  // config admission.apiServerSources
  int connections_per_source = 8;
  std::function<void(server::Refusal)> on_refused;  // metrics: a connection closed unserved
  ReviewHandlerOptions reviews;                     // what judging needs
};

// The validating webhook (docs/api.md, Admission): POST /validate over HTTPS on the project's one
// server, answered by the ReviewHandler; every replica serves it. Its certificate comes from a
// CertificateSource (certDir's folder, or the Secret shared by every replica); at start, and when
// the certificate changes, the one ValidatingWebhookConfiguration `bulwark` is patched (its CA
// bundle, url, and the failure policy and timeout only when the config sets them) before the new
// certificate is served, and the configuration's failurePolicy, read back then and every minute,
// is how the handler answers what it cannot judge.
class Webhook {
 public:
  // `configuration` null: the API server's, through `client`.
  Webhook(WebhookOptions options, reconcilers::PolicySet& policies,
          const runtime::CacheReader& namespaces, std::function<bool()> synced,
          kube::KubeClient& client, base::Clock& clock, ReviewObserver observer = {},
          std::unique_ptr<WebhookConfiguration> configuration = nullptr);
  ~Webhook();

  server::Reply handle(const server::Request& request) { return handler_.handle(request); }
  bool start();  // false (logged) when the server cannot start
  void stop();
  int port() const;
  // Why admission is not ready ("" when it is): no trusted serving certificate served yet.
  std::string unready_reason() const;
  std::size_t review_bytes_in_flight() const { return handler_.bytes_in_flight(); }

 private:
  server::ServerOptions server_options() const;
  server::TlsMaterial initial_certificate();
  void patch_configuration();
  void read_configuration();
  bool configuration_is_ours(const ConfigurationState& state);
  void note(const ConfigurationState& state);
  void watch_certificate();

  WebhookOptions options_;
  kube::KubeClient& client_;
  base::Clock& clock_;
  ReviewHandler handler_;
  std::unique_ptr<WebhookConfiguration> configuration_;
  std::unique_ptr<CertificateSource> certificates_;
  std::string ca_bundle_;  // what the configuration's caBundle should hold
  std::string version_;    // the certificate's version when last loaded ("" self-signed)
  std::unique_ptr<server::HttpServer> server_;
  std::atomic<bool> certificate_ready_{false};
  bool configuration_read_ = false;  // the watcher's, after start()
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace bulwark::admission
