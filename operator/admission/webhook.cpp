#include "operator/admission/webhook.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "operator/document/json_writer.h"
#include "operator/kube/api_error.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/resource_type.h"
#include "operator/logging/logging.h"

namespace bulwark::admission {

using document::Value;
namespace fs = std::filesystem;

namespace {

// Each untrusted source's share of the body bytes in flight (one review at the limit), and the
// API server's reserve when apiServerSources are set.
constexpr std::size_t kBodyBytesPerSource = 8u << 20;
constexpr std::size_t kApiServerBodyReserve = 16u << 20;
// What a review's parsed tree may take (see handle()), and what a review is charged to the
// memory budget for: the tree, and half of it again while a vector grows.
constexpr std::size_t kParsedPerByte = 12;
constexpr std::size_t kParsedBase = 1u << 20;
constexpr std::size_t kReviewCostPerByte = 18;
constexpr std::size_t kReviewCostBase = 2u << 20;
// Connections to the webhook, all clients together. Any pod can connect, and each source
// address keeps to connectionsPerSource (8): one node's 110 pods, each its own address, hold at
// most 880, and the API server's calls still find room (its own 8, or, from apiServerSources,
// a reserve of 128 no other client can take). An idle TLS connection costs about 10 KB here
// (OpenSSL's buffers released), so all 1,024 about 10 MB.
constexpr int kMaxConnections = 1024;
constexpr int kApiServerReserve = 128;
// How often the certificate's source is looked at for a rotation, at most (a tenth of the
// certificate's life when that is shorter).
constexpr auto kCertificatePoll = std::chrono::seconds(10);
// How often the configuration's failurePolicy is read again (an admin's change is followed within
// it, or at once when a certificate changes).
constexpr auto kConfigurationPoll = std::chrono::seconds(60);

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (!(in && text << in.rdbuf())) throw kube::ConfigError("cannot read " + path.string());
  return text.str();
}

// When the folder's files last changed ("" when any is missing): a rotation changes it.
std::string stamp(const std::string& dir) {
  std::string out;
  for (const char* name : {"tls.crt", "tls.key", "ca.crt"}) {
    std::error_code ec;
    const auto t = fs::last_write_time(fs::path(dir) / name, ec);
    if (ec) return "";
    out += std::to_string(t.time_since_epoch().count()) + ",";
  }
  return out;
}

server::Reply json_reply(const std::string& body) {
  return server::Reply{200, "application/json", body};
}

}  // namespace

Webhook::Webhook(WebhookOptions options, reconcilers::PolicySet& policies,
                 const runtime::CacheReader& namespaces, std::function<bool()> synced,
                 kube::KubeClient& client, base::Clock& clock, ReviewObserver observer)
    : options_(std::move(options)),
      policies_(policies),
      namespaces_(namespaces),
      synced_(std::move(synced)),
      client_(client),
      clock_(clock),
      observer_(std::move(observer)),
      budget_(options_.review_memory_budget),
      fail_closed_(options_.failure_policy == "Fail") {}

Webhook::~Webhook() { stop(); }

// A review's parsed tree may take at most kParsedPerByte times its body (real objects take 6 to
// 11: 3,000 Deployments with their managedFields 9.1, a managedFields-like map 11.3; a dense
// array of zeros would take 46); with the tree's growth (half of it, while a vector moves) and
// the body itself, one review holds at most about 19 times its body, reserved from the budget
// before parsing (docs/api.md, Admission under attack).
server::Reply Webhook::handle(const server::Request& request) {
  const auto start = clock_.now();
  const std::size_t body = request.body.size();
  const std::size_t cost = kReviewCostPerByte * body + kReviewCostBase;
  if (!budget_.take(cost)) {
    // Unparsed, there is no uid to answer: 503, and the API server applies the failure policy.
    logging::warn("admission: a review of " + std::to_string(body) +
                  " bytes does not fit the memory budget now: shed");
    if (observer_) observer_("", "", "error", clock_.now() - start);
    return server::Reply{503, "text/plain", "busy: try again\n"};
  }
  Review review;
  try {
    document::ReadLimits limits;
    limits.max_expanded_bytes = kParsedPerByte * body + kParsedBase;
    review = parse_review(request.body, limits);
  } catch (const BadReview& e) {
    budget_.give_back(cost);
    if (observer_) observer_("", "", "error", clock_.now() - start);
    return server::Reply{400, "text/plain", std::string(e.what()) + "\n"};
  }
  server::Reply reply = answer(review);
  review = Review{};
  budget_.give_back(cost);
  return reply;
}

// The decision, or, when the webhook cannot judge (caches not synced, a failure), the answer
// the failure policy gives: Ignore admits with a warning, Fail refuses.
server::Reply Webhook::answer(const Review& review) {
  const auto start = clock_.now();
  std::string why;
  Decision decision;
  if (!synced_()) {
    why = "its caches have not synced yet";
  } else {
    try {
      const auto snapshot = policies_.current();
      const auto ns = namespaces_.get(review.namespace_name);
      const crds::Labels labels = ns ? reconcilers::labels_of(*ns) : crds::Labels{};
      Context context{snapshot.get(), ns ? &labels : nullptr, options_.never_touch,
                      clock_.wall_now(), options_.rbac};
      decision = decide(review, context);
    } catch (const std::exception& e) {
      why = e.what();
    }
  }
  std::string_view outcome = to_string(decision.outcome);
  if (!why.empty()) {
    logging::warn("admission: cannot judge " + review.kind + " " + review.namespace_name + "/" +
                  review.name + ": " + why);
    decision = Decision{};
    const std::string said = "Bulwark could not judge this request: " + why;
    if (fail_closed_) {
      decision.outcome = Decision::Outcome::kDenied;
      decision.message = said + " (failurePolicy Fail)";
    } else {
      decision.warnings.push_back(said + "; admitted (failurePolicy Ignore)");
    }
    outcome = "error";
  }
  if (observer_) observer_(review.operation, review.kind, outcome, clock_.now() - start);
  return json_reply(review_response(review.uid, decision));
}

// The certificate to serve at start: the folder's pair and CA (certDir), the shared one Bulwark
// keeps in its Secret (no certDir), or, until either is there (a Secret cert-manager has not
// filled, an API server that cannot be reached), a self-signed one nobody trusts yet: calls fail
// and the failure policy applies, and readiness says why.
server::TlsMaterial Webhook::initial_certificate() {
  try {
    if (auto loaded = load_certificate()) {
      certificate_ready_ = true;
      return *loaded;
    }
  } catch (const std::exception& e) {
    logging::warn(std::string("admission: no certificate yet: ") + e.what());
  }
  auto tls = server::self_signed_certificate(options_.certificate_names);
  ca_pem_ = tls.cert_pem;
  return tls;
}

// The current certificate from its source, or nullopt when the folder has no files yet. Throws
// when the files or the Secret cannot be read.
std::optional<server::TlsMaterial> Webhook::load_certificate() {
  if (options_.cert_dir.empty()) {
    const WebhookCertificate c = keeper_->ensure();
    ca_pem_ = c.ca_bundle;
    loaded_stamp_ = c.version;
    return c.serving;
  }
  // Stamped before reading: files that change while they are read are read again next time.
  const std::string stamped = stamp(options_.cert_dir);
  if (stamped.empty()) {
    logging::warn("admission: " + options_.cert_dir +
                  " has no tls.crt, tls.key and ca.crt yet: not ready until they appear");
    return std::nullopt;
  }
  const fs::path dir(options_.cert_dir);
  server::TlsMaterial tls{read_file(dir / "tls.crt"), read_file(dir / "tls.key")};
  ca_pem_ = read_file(dir / "ca.crt");
  loaded_stamp_ = stamped;
  return tls;
}

bool Webhook::start() {
  if (options_.cert_dir.empty()) {
    keeper_ = std::make_unique<CertificateKeeper>(
        KeeperOptions{options_.own_namespace, "bulwark-webhook-tls", options_.certificate_names,
                      options_.ca_validity, options_.certificate_validity},
        client_, clock_);
  }
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
  try {
    o.tls = initial_certificate();
    server_ = server::make_http_server(o);
    server_->handle(
        "/validate", [this](const server::Request& r) { return handle(r); }, "POST");
    server_->start(options_.bind_address);
  } catch (const std::exception& e) {
    logging::error(std::string("admission: ") + e.what());
    return false;
  }
  logging::info("admission webhook on " + options_.bind_address + " (/validate, HTTPS)");
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

// The configuration's webhook `validate.bulwark.dev`, merged by name (a strategic merge patch:
// the one webhook's fields, nothing else of the object).
void Webhook::patch_configuration() {
  Value hook = Value::object();
  hook.set("name", Value::string(kWebhookName));
  if (!options_.failure_policy.empty()) {
    hook.set("failurePolicy", Value::string(options_.failure_policy));
  }
  if (options_.timeout_seconds > 0) {
    hook.set("timeoutSeconds", Value::integer(options_.timeout_seconds));
  }
  Value& client = hook.child("clientConfig");
  client.set("caBundle", Value::string(kube::base64_encode(ca_pem_)));
  if (!options_.url.empty()) {
    client.set("url", Value::string(options_.url));
    client.set("service", Value::null());
  }
  Value patch = Value::object();
  patch.child("webhooks").push(std::move(hook));
  try {
    note_failure_policy(
        client_.strategic_merge_patch(kube::resources::kValidatingWebhookConfigurations, "",
                                      kConfigurationName, document::to_json(patch)));
    logging::info(std::string("admission: ValidatingWebhookConfiguration ") + kConfigurationName +
                  " trusts this certificate (failurePolicy " + (fail_closed_ ? "Fail" : "Ignore") +
                  ")");
  } catch (const kube::ApiError& e) {
    if (e.error_class() == kube::ErrorClass::kNotFound) {
      logging::warn(std::string("admission: no ValidatingWebhookConfiguration ") +
                    kConfigurationName +
                    " (deploy/operator/webhook.yaml): the API server will not call the webhook");
    } else {
      logging::warn(std::string("admission: cannot patch ValidatingWebhookConfiguration ") +
                    kConfigurationName + ": " + e.what());
    }
  } catch (const std::exception& e) {
    logging::warn(std::string("admission: cannot patch ValidatingWebhookConfiguration ") +
                  kConfigurationName + ": " + e.what());
  }
}

// What the configuration's webhook says now: an admin may have set failurePolicy since.
void Webhook::refresh_failure_policy() {
  try {
    note_failure_policy(
        client_.get(kube::resources::kValidatingWebhookConfigurations, "", kConfigurationName));
  } catch (const std::exception& e) {
    logging::debug(std::string("admission: cannot read the configuration's failurePolicy: ") +
                   e.what());
  }
}

void Webhook::note_failure_policy(const Value& configuration) {
  for (const auto& hook : document::items_of(configuration.find("webhooks"))) {
    const Value* name = hook.find("name");
    const Value* policy = hook.find("failurePolicy");
    if (name == nullptr || name->str() != kWebhookName || policy == nullptr) continue;
    const bool fail = policy->str() == "Fail";
    if (fail_closed_.exchange(fail) != fail) {
      logging::info(std::string("admission: the configuration's failurePolicy is ") +
                    std::string(policy->str()) + ": what Bulwark cannot judge is " +
                    (fail ? "refused" : "admitted with a warning"));
    }
  }
}

// Looks again every poll: a rotated certificate (cert-manager's files, or the Secret another
// replica renewed) is trusted first, in the configuration's caBundle, then served.
void Webhook::watch_certificate() {
  const auto poll = std::clamp<base::Clock::Duration>(options_.certificate_validity / 10,
                                                      std::chrono::seconds(1), kCertificatePoll);
  auto refreshed = clock_.now();
  while (!stopping_) {
    base::sleep_unless_stopped(clock_, poll, stopping_);
    if (stopping_) break;
    if (clock_.now() - refreshed >= kConfigurationPoll) {
      refresh_failure_policy();
      refreshed = clock_.now();
    }
    const std::string before = loaded_stamp_;
    try {
      if (!options_.cert_dir.empty() && stamp(options_.cert_dir) == before) continue;
      const auto tls = load_certificate();
      if (!tls || (loaded_stamp_ == before && certificate_ready_)) continue;
      patch_configuration();
      server_->set_tls(*tls);
      certificate_ready_ = true;
      logging::info("admission: serving the certificate of " +
                    (options_.cert_dir.empty() ? std::string("Secret bulwark-webhook-tls")
                                               : options_.cert_dir));
    } catch (const std::exception& e) {
      loaded_stamp_ = before;
      logging::warn("admission: cannot load the certificate: " + std::string(e.what()));
    }
  }
}

}  // namespace bulwark::admission
