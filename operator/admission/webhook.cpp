#include "operator/admission/webhook.h"

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

// An AdmissionReview holds the object and its old version, each at most about 1.5 MiB in etcd.
constexpr std::size_t kMaxReviewBytes = 6 * 1024 * 1024;
// How often a certificate folder is looked at for a rotated certificate.
constexpr auto kCertificatePoll = std::chrono::seconds(10);

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
      observer_(std::move(observer)) {}

Webhook::~Webhook() { stop(); }

server::Reply Webhook::handle(const server::Request& request) {
  const auto start = clock_.now();
  Review review;
  try {
    review = parse_review(request.body);
  } catch (const BadReview& e) {
    if (observer_) observer_("", "", "error", clock_.now() - start);
    return server::Reply{400, "text/plain", std::string(e.what()) + "\n"};
  }
  return answer(review);
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
                      clock_.wall_now()};
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
    if (options_.failure_policy == "Fail") {
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

// The certificate folder's pair and CA; without a folder, or until its files appear (a Secret
// that cert-manager has not filled yet), a self-signed certificate that is its own CA.
server::TlsMaterial Webhook::load_certificate() {
  if (options_.cert_dir.empty() || stamp(options_.cert_dir).empty()) {
    auto tls = server::self_signed_certificate(options_.certificate_names);
    ca_pem_ = tls.cert_pem;
    logging::warn(
        options_.cert_dir.empty()
            ? std::string("admission: no admission.certDir, so a self-signed certificate made at "
                          "start; with more than one replica each has its own and only the last "
                          "to start is trusted")
            : "admission: " + options_.cert_dir +
                  " has no tls.crt, tls.key and ca.crt yet: a self-signed certificate until they "
                  "appear");
    return tls;
  }
  // Stamped before reading: files that change while they are read are read again next time.
  const std::string stamped = stamp(options_.cert_dir);
  const fs::path dir(options_.cert_dir);
  server::TlsMaterial tls{read_file(dir / "tls.crt"), read_file(dir / "tls.key")};
  ca_pem_ = read_file(dir / "ca.crt");
  loaded_stamp_ = stamped;
  return tls;
}

bool Webhook::start() {
  server::ServerOptions o;
  o.max_body_bytes = kMaxReviewBytes;
  o.threads = 2;
  try {
    o.tls = load_certificate();
    server_ = server::make_http_server(o);
    server_->handle(
        "/validate", [this](const server::Request& r) { return handle(r); }, "POST");
    server_->start(options_.bind_address);
  } catch (const std::exception& e) {
    logging::error(std::string("admission: ") + e.what());
    return false;
  }
  logging::info("admission webhook on " + options_.bind_address + " (/validate, HTTPS)");
  patch_configuration();
  if (!options_.cert_dir.empty()) watcher_ = std::thread([this] { watch_certificate(); });
  return true;
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
  hook.set("failurePolicy", Value::string(options_.failure_policy));
  hook.set("timeoutSeconds", Value::integer(options_.timeout_seconds));
  Value& client = hook.child("clientConfig");
  client.set("caBundle", Value::string(kube::base64_encode(ca_pem_)));
  if (!options_.url.empty()) {
    client.set("url", Value::string(options_.url));
    client.set("service", Value::null());
  }
  Value patch = Value::object();
  patch.child("webhooks").push(std::move(hook));
  try {
    client_.strategic_merge_patch(kube::resources::kValidatingWebhookConfigurations, "",
                                  kConfigurationName, document::to_json(patch));
    logging::info(std::string("admission: ValidatingWebhookConfiguration ") + kConfigurationName +
                  " trusts this certificate (failurePolicy " + options_.failure_policy + ")");
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

// cert-manager rotates the Secret's files in place: serve and trust the new pair when they change.
void Webhook::watch_certificate() {
  while (!stopping_) {
    base::sleep_unless_stopped(clock_, kCertificatePoll, stopping_);
    const std::string now = stamp(options_.cert_dir);
    if (stopping_ || now.empty() || now == loaded_stamp_) continue;
    try {
      server_->set_tls(load_certificate());
      logging::info("admission: certificate reloaded from " + options_.cert_dir);
      patch_configuration();
    } catch (const std::exception& e) {
      logging::warn("admission: cannot reload the certificate: " + std::string(e.what()));
    }
  }
}

}  // namespace bulwark::admission
