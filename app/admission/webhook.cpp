#include "app/admission/webhook.h"

#include <algorithm>

#include "operator/kube/cluster_config.h"
#include "operator/logging/logging.h"

namespace bulwark::admission {

namespace {

// How often the certificate's source is looked at for a rotation, at most (a tenth of the
// certificate's life when that is shorter).
constexpr auto kCertificatePoll = std::chrono::seconds(10);
// How often the configuration's failurePolicy is read again (an admin's change is followed within
// it, or at once when a certificate changes).
constexpr auto kConfigurationPoll = std::chrono::seconds(60);
// Connections to the webhook, all clients together. Any pod can connect, and each source
// address keeps to connectionsPerSource (8): one node's 110 pods, each its own address, hold at
// most 880, and the API server's calls still find room (its own 8, or, from apiServerSources,
// a reserve of 128 no other client can take). An idle TLS connection costs about 10 KB here
// (OpenSSL's buffers released, the read buffer shrunk after each request), so all 1,024 about
// 10 MB; one being read holds its 80 KiB read buffer besides.
constexpr int kMaxConnections = 1024;
constexpr int kApiServerReserve = 128;
// Each untrusted source's share of the body bytes in flight (one review at the limit), and the
// API server's reserve when apiServerSources are set.
constexpr std::size_t kBodyBytesPerSource = 8u << 20;
constexpr std::size_t kApiServerBodyReserve = 16u << 20;
// Of the review budget, what only apiServerSources may take: room for a 3 MiB review while
// others take the rest.
constexpr std::size_t kApiServerReviewReserve = 64u << 20;

// What the handler is told beyond the config's review options: the failure policy until the
// configuration is read, and the reserve of the review budget for requests the server marks
// trusted (from apiServerSources, the same ranges as its connection reserve).
ReviewHandlerOptions review_options(const WebhookOptions& o) {
  ReviewHandlerOptions r = o.reviews;
  r.fail_closed = o.failure_policy == "Fail";
  if (!o.api_server_sources.empty()) r.trusted_reserve = kApiServerReviewReserve;
  return r;
}

}  // namespace

Webhook::Webhook(WebhookOptions options, reconcilers::PolicySet& policies,
                 const runtime::CacheReader& namespaces, std::function<bool()> synced,
                 kube::KubeClient& client, base::Clock& clock, ReviewObserver observer,
                 std::unique_ptr<WebhookConfiguration> configuration)
    : options_(std::move(options)),
      client_(client),
      clock_(clock),
      handler_(review_options(options_), policies, namespaces, std::move(synced), clock,
               std::move(observer)),
      configuration_(configuration ? std::move(configuration)
                                   : std::make_unique<KubeWebhookConfiguration>(client)) {}

Webhook::~Webhook() { stop(); }

// The certificate to serve at start: the source's, or, until there is one (a Secret cert-manager
// has not filled, an API server that cannot be reached), a self-signed one nobody trusts yet:
// calls fail and the failure policy applies, and readiness says why.
server::TlsMaterial Webhook::initial_certificate() {
  try {
    if (auto loaded = certificates_->load()) {
      ca_bundle_ = loaded->ca_bundle;
      version_ = loaded->version;
      certificate_ready_ = true;
      return loaded->serving;
    }
  } catch (const std::exception& e) {
    logging::warn(std::string("admission: no certificate yet: ") + e.what());
  }
  auto tls = server::self_signed_certificate(options_.certificate_names);
  ca_bundle_ = tls.cert_pem;
  return tls;
}

server::ServerOptions Webhook::server_options() const {
  server::ServerOptions o;
  o.max_body_bytes = kMaxReviewBytes;
  o.threads = 2;
  const bool reserve = !options_.api_server_sources.empty();
  o.connections = {kMaxConnections,
                   options_.connections_per_source,
                   options_.api_server_sources,
                   reserve ? kApiServerReserve : 0,
                   kBodyBytesInFlight,
                   kBodyBytesPerSource,
                   reserve ? kApiServerBodyReserve : 0};
  o.on_refused = options_.on_refused;
  return o;
}

bool Webhook::start() {
  if (options_.cert_dir.empty()) {
    const std::string secret = kWebhookSecretName;
    certificates_ = kept_certificates(
        std::make_unique<CertificateKeeper>(
            KeeperOptions{options_.own_namespace, secret, options_.certificate_names,
                          options_.ca_validity, options_.certificate_validity},
            client_, clock_),
        secret);
  } else {
    certificates_ = folder_certificates(options_.cert_dir);
  }
  server::ServerOptions o = server_options();
  try {
    o.tls = initial_certificate();
    server_ = server::make_http_server(o);
    server_->handle(
        "/validate", [this](const server::Request& r) { return handler_.handle(r); }, "POST");
    server_->start(options_.bind_address);
  } catch (const std::exception& e) {
    logging::error(std::string("admission: ") + e.what());
    return false;
  }
  logging::info("admission webhook on " + options_.bind_address + " (/validate, HTTPS)");
  read_configuration();  // what the cluster says, before any patch (which needs a certificate)
  if (certificate_ready_) patch_configuration();
  watcher_ = std::thread([this] { watch_certificate(); });
  return true;
}

std::string Webhook::unready_reason() const {
  return certificate_ready_ ? "" : "admission: no trusted serving certificate yet";
}

void Webhook::stop() {
  stopping_ = true;
  if (watcher_.joinable()) watcher_.join();
  if (server_) server_->stop();
}

int Webhook::port() const { return server_ ? server_->port() : 0; }

void Webhook::patch_configuration() {
  const std::string name = std::string("ValidatingWebhookConfiguration ") + kConfigurationName;
  try {
    const ConfigurationState state = configuration_->apply(
        {ca_bundle_, options_.url, options_.failure_policy, options_.timeout_seconds});
    if (!state.found) {
      logging::warn("admission: no " + name +
                    " (deploy/operator/webhook.yaml): the API server will not call the webhook");
      return;
    }
    note(state);
    logging::info("admission: " + name + " trusts this certificate (failurePolicy " +
                  (handler_.fail_closed() ? "Fail" : "Ignore") + ")");
  } catch (const std::exception& e) {
    logging::warn("admission: cannot patch " + name + ": " + e.what());
  }
}

void Webhook::read_configuration() {
  try {
    const ConfigurationState state = configuration_->read();
    note(state);
    configuration_read_ = true;
    // The CA bundle (and url) are Bulwark's to keep: a bundle someone changed makes every call
    // fail TLS, and under failurePolicy Ignore admits everything unjudged. Put back within a
    // minute, not at the next certificate.
    if (certificate_ready_ && state.found && !configuration_is_ours(state)) {
      logging::warn(std::string("admission: ValidatingWebhookConfiguration ") + kConfigurationName +
                    " does not trust this certificate (or points elsewhere); patching it back");
      patch_configuration();
    }
  } catch (const std::exception& e) {
    logging::warn(std::string("admission: cannot read ValidatingWebhookConfiguration ") +
                  kConfigurationName + " (answering what cannot be judged as failurePolicy " +
                  (handler_.fail_closed() ? "Fail" : "Ignore") + " until it can): " + e.what());
  }
}

// Whether the configuration trusts the certificates Bulwark serves and points where it says. A
// bundle another replica wrote after renewing the shared certificate is Bulwark's too: the
// freshest certificate is loaded before calling it someone else's.
bool Webhook::configuration_is_ours(const ConfigurationState& state) {
  if (!options_.url.empty() && state.url != options_.url) return false;
  if (state.ca_bundle == kube::base64_encode(ca_bundle_)) return true;
  try {
    const auto loaded = certificates_->load();
    return loaded && state.ca_bundle == kube::base64_encode(loaded->ca_bundle);
  } catch (const std::exception&) {
    return false;  // cannot tell: the bundle Bulwark serves is the one to trust
  }
}

// The configuration's failurePolicy, for what the handler cannot judge.
void Webhook::note(const ConfigurationState& state) {
  if (!state.found || state.failure_policy.empty()) return;
  const bool fail = state.failure_policy == "Fail";
  if (handler_.fail_closed() == fail) return;
  handler_.set_fail_closed(fail);
  logging::info("admission: the configuration's failurePolicy is " + state.failure_policy +
                ": what Bulwark cannot judge is " + (fail ? "refused" : "admitted with a warning"));
}

// Looks again every poll: a rotated certificate (cert-manager's files, or the Secret another
// replica renewed) is trusted first, in the configuration's caBundle, then served. Every minute
// the configuration's failurePolicy is read again: an admin may have set it since.
void Webhook::watch_certificate() {
  const auto poll = std::clamp<base::Clock::Duration>(options_.certificate_validity / 10,
                                                      std::chrono::seconds(1), kCertificatePoll);
  auto refreshed = clock_.now();
  while (!stopping_) {
    base::sleep_unless_stopped(clock_, poll, stopping_);
    if (stopping_) break;
    // Every minute, or every poll until it has been read once.
    if (!configuration_read_ || clock_.now() - refreshed >= kConfigurationPoll) {
      refreshed = clock_.now();
      read_configuration();
    }
    try {
      if (!certificates_->may_have_changed(version_)) continue;
      const auto loaded = certificates_->load();
      if (!loaded || (loaded->version == version_ && certificate_ready_)) continue;
      ca_bundle_ = loaded->ca_bundle;
      version_ = loaded->version;
      patch_configuration();
      server_->set_tls(loaded->serving);
      certificate_ready_ = true;
      logging::info("admission: serving the certificate of " + certificates_->describe());
    } catch (const std::exception& e) {
      logging::warn("admission: cannot load the certificate: " + std::string(e.what()));
    }
  }
}

}  // namespace bulwark::admission
