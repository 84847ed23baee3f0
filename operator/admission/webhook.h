#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "operator/admission/certificate_keeper.h"
#include "operator/admission/decide.h"
#include "operator/base/byte_budget.h"
#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/runtime/cache_reader.h"
#include "operator/server/http_server.h"
#include "reconcilers/policy_set.h"

namespace bulwark::admission {

// The webhook's name in the ValidatingWebhookConfiguration `bulwark` (deploy/operator).
inline constexpr const char* kConfigurationName = "bulwark";
inline constexpr const char* kWebhookName = "validate.bulwark.dev";

// The memory admission may hold (docs/api.md, Admission under attack): an AdmissionReview holds
// the object (up to the API server's 3 MiB request limit: admission runs before etcd's 1.5 MiB)
// and, for an update, its old version: 6.5 MiB with the envelope. Bodies being received share
// kBodyBytesInFlight; reviews being judged, kReviewMemoryBudget (WebhookOptions).
inline constexpr std::size_t kMaxReviewBytes = 6656 * 1024;
inline constexpr std::size_t kBodyBytesInFlight = 48u << 20;
inline constexpr std::size_t kReviewMemoryBudget = 128u << 20;

struct WebhookOptions {
  std::string bind_address = ":9443";
  std::string url;  // empty: the API server calls the Service
  // Patched into the configuration when set ("Ignore" or "Fail"; 1 to 30); empty and 0 keep what
  // the configuration says. Bulwark's own answer when it cannot judge follows the configuration.
  std::string failure_policy;
  int timeout_seconds = 0;
  std::string cert_dir;                            // tls.crt, tls.key, ca.crt; empty: self-signed
  std::set<std::string, std::less<>> never_touch;  // the operator's own namespace among them
  std::vector<std::string> certificate_names;      // the serving certificate's names
  std::string own_namespace;  // where Bulwark keeps its certificate (no cert_dir)
  std::chrono::seconds ca_validity = std::chrono::hours(24 * 365);
  std::chrono::seconds certificate_validity = std::chrono::hours(24 * 90);
  const reconcilers::RbacIndex* rbac = nullptr;  // null: spec.permissions not judged here
  std::vector<std::string> api_server_sources;   // config admission.apiServerSources
  int connections_per_source = 8;
  std::function<void(server::Refusal)> on_refused;  // metrics: a connection closed unserved
  // What reviews being judged may hold together: a review is charged 18 times its body plus
  // 2 MiB, so the largest (6.5 MiB) takes 119 MiB and small ones (a few KB) 2 MiB each.
  std::size_t review_memory_budget = kReviewMemoryBudget;
};

// How one review went, for metrics: `decision` is "allowed", "warned", "denied" or "error".
using ReviewObserver = std::function<void(const std::string& operation, const std::string& kind,
                                          std::string_view decision, base::Clock::Duration took)>;

// The validating webhook (docs/api.md, Admission): POST /validate over HTTPS on the project's one
// server. Every replica serves it. It judges with the shared PolicySet and the namespace cache,
// answers 400 to what is not an AdmissionReview, and, until every cache has synced or when
// judging fails, answers as the configured failurePolicy says (Ignore admits with a warning, Fail
// refuses), counting an error. At start, and when the certificate changes, it patches the one
// ValidatingWebhookConfiguration `bulwark`: its CA bundle, failure policy, timeout and (with
// `url`) its client config; it never creates one. Its certificate comes from `cert_dir`, or from
// the CertificateKeeper's Secret shared by every replica; a rotation is put in the caBundle
// before it is served.
class Webhook {
 public:
  Webhook(WebhookOptions options, reconcilers::PolicySet& policies,
          const runtime::CacheReader& namespaces, std::function<bool()> synced,
          kube::KubeClient& client, base::Clock& clock, ReviewObserver observer = {});
  ~Webhook();

  server::Reply handle(const server::Request& request);
  bool start();  // false (logged) when the server cannot start
  void stop();
  int port() const;
  // Why admission is not ready ("" when it is): no trusted certificate served yet.
  std::string unready_reason() const;

 private:
  server::Reply answer(const Review& review);
  server::TlsMaterial initial_certificate();
  std::optional<server::TlsMaterial> load_certificate();
  void patch_configuration();
  void watch_certificate();
  void refresh_failure_policy();
  void note_failure_policy(const document::Value& configuration);

  WebhookOptions options_;
  reconcilers::PolicySet& policies_;
  const runtime::CacheReader& namespaces_;
  std::function<bool()> synced_;
  kube::KubeClient& client_;
  base::Clock& clock_;
  ReviewObserver observer_;
  base::ByteBudget budget_;   // reviews being judged
  std::string ca_pem_;        // what the configuration's caBundle should hold
  std::string loaded_stamp_;  // the certificate folder's stamp when last read ("" self-signed)
  std::unique_ptr<CertificateKeeper> keeper_;  // without cert_dir
  std::unique_ptr<server::HttpServer> server_;
  std::atomic<bool> certificate_ready_{false};
  // The configuration's failurePolicy is Fail: answer what cannot be judged with a refusal.
  std::atomic<bool> fail_closed_{false};
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

}  // namespace bulwark::admission
