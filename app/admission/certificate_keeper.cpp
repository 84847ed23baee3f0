#include "app/admission/certificate_keeper.h"

#include <algorithm>
#include <ctime>

#include "operator/document/json_writer.h"
#include "operator/kube/api_error.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/resource_type.h"
#include "operator/logging/logging.h"
#include "operator/policy/written_names.h"

namespace bulwark::admission {

using document::Value;
using Clock = std::chrono::system_clock;

namespace {

constexpr std::string_view kEndCertificate = "-----END CERTIFICATE-----";

// The first certificate of a PEM bundle.
std::string first_certificate(const std::string& bundle) {
  const auto end = bundle.find(kEndCertificate);
  return end == std::string::npos ? bundle : bundle.substr(0, end + kEndCertificate.size()) + "\n";
}

std::string data_of(const Value& secret, std::string_view key) {
  const Value* v = secret.find({"data", key});
  return v != nullptr ? kube::base64_decode(std::string(v->str())) : std::string();
}

// Whether `now` is within the last third of a life that ends at `end` and lasted `validity`.
bool due(const std::string& cert_pem, std::chrono::seconds validity, Clock::time_point now) {
  const auto end = server::not_after(cert_pem);
  return !end || now >= *end - validity / 3;
}

Value secret_of(const KeeperOptions& o, const CertificateKeeper::Contents& c,
                const std::string& resource_version) {
  Value s = Value::object();
  s.set("apiVersion", Value::string("v1"));
  s.set("kind", Value::string("Secret"));
  Value& meta = s.child("metadata");
  meta.set("name", Value::string(o.secret_name));
  meta.set("namespace", Value::string(o.namespace_name));
  if (!resource_version.empty()) meta.set("resourceVersion", Value::string(resource_version));
  meta.child("labels").set(kManagedByLabel, Value::string(kBulwarkName));
  meta.child("annotations").set(kCaAddedAnnotation, Value::string(c.ca_added_at));
  s.set("type", Value::string("kubernetes.io/tls"));
  Value& data = s.child("data");
  data.set("tls.crt", Value::string(kube::base64_encode(c.serving.cert_pem)));
  data.set("tls.key", Value::string(kube::base64_encode(c.serving.key_pem)));
  data.set("ca.crt", Value::string(kube::base64_encode(c.ca.cert_pem + c.previous_ca_pem)));
  data.set("ca.key", Value::string(kube::base64_encode(c.ca.key_pem)));
  return s;
}

WebhookCertificate certificate_of(const Value& secret) {
  const Value* rv = secret.find({"metadata", "resourceVersion"});
  return WebhookCertificate{{data_of(secret, "tls.crt"), data_of(secret, "tls.key")},
                            data_of(secret, "ca.crt"),
                            rv != nullptr ? std::string(rv->str()) : std::string()};
}

std::time_t seconds_of(const std::string& text) {
  try {
    return static_cast<std::time_t>(std::stoll(text));
  } catch (const std::exception&) {
    return 0;  // unreadable: as if long ago, so a pending step is not held back
  }
}

std::string seconds_now(const base::Clock& clock) {
  return std::to_string(Clock::to_time_t(clock.wall_now()));
}

}  // namespace

CertificateKeeper::CertificateKeeper(KeeperOptions options, kube::KubeClient& client,
                                     const base::Clock& clock)
    : options_(std::move(options)), client_(client), clock_(clock) {}

std::chrono::seconds CertificateKeeper::overlap() const {
  // Long enough for every replica to have patched the new bundle in (they look every tenth of a
  // certificate's life, at most 30 s), and never more than a sixth of that life.
  return std::min<std::chrono::seconds>(std::chrono::seconds(90),
                                        options_.certificate_validity / 6);
}

WebhookCertificate CertificateKeeper::ensure() {
  Value secret;
  try {
    secret = client_.get(kube::resources::kSecrets, options_.namespace_name, options_.secret_name);
  } catch (const kube::ApiError& e) {
    if (e.error_class() != kube::ErrorClass::kNotFound) throw;
    return create();
  }
  return renew_if_due(secret);
}

WebhookCertificate CertificateKeeper::create() {
  Contents c;
  c.ca = server::make_certificate({"bulwark-webhook-ca", {}, options_.ca_validity, true}, nullptr);
  c.serving = server::make_certificate(
      {"bulwark-webhook", options_.names, options_.certificate_validity, false}, &c.ca);
  c.ca_added_at = seconds_now(clock_);
  try {
    const Value made = client_.create(kube::resources::kSecrets, options_.namespace_name,
                                      document::to_json(secret_of(options_, c, "")));
    logging::info("admission: made a CA and a certificate, kept in Secret " +
                  options_.namespace_name + "/" + options_.secret_name);
    return certificate_of(made);
  } catch (const kube::ApiError& e) {
    if (e.error_class() != kube::ErrorClass::kConflict) throw;
    // Another replica created it first: serve the winner's.
    return certificate_of(
        client_.get(kube::resources::kSecrets, options_.namespace_name, options_.secret_name));
  }
}

WebhookCertificate CertificateKeeper::renew_if_due(const Value& secret) {
  const auto now = clock_.wall_now();
  const std::string bundle = data_of(secret, "ca.crt");
  Contents c{{first_certificate(bundle), data_of(secret, "ca.key")},
             bundle.substr(first_certificate(bundle).size()),
             {data_of(secret, "tls.crt"), data_of(secret, "tls.key")},
             ""};
  const Value* added = secret.find({"metadata", "annotations", kCaAddedAnnotation});
  c.ca_added_at = added != nullptr ? std::string(added->str()) : "0";
  std::string why;
  if (c.ca.cert_pem.empty() || c.ca.key_pem.empty() || c.serving.cert_pem.empty() ||
      c.serving.key_pem.empty()) {
    c.ca =
        server::make_certificate({"bulwark-webhook-ca", {}, options_.ca_validity, true}, nullptr);
    c.previous_ca_pem.clear();
    c.serving = server::make_certificate(
        {"bulwark-webhook", options_.names, options_.certificate_validity, false}, &c.ca);
    c.ca_added_at = seconds_now(clock_);
    return write(secret, c, "the Secret was incomplete: a new CA and certificate");
  }
  if (due(c.ca.cert_pem, options_.ca_validity, now)) {
    // Step one: the new CA beside the old one; the serving certificate stays.
    c.previous_ca_pem = c.ca.cert_pem;
    c.ca =
        server::make_certificate({"bulwark-webhook-ca", {}, options_.ca_validity, true}, nullptr);
    c.ca_added_at = seconds_now(clock_);
    why = "the CA has a third of its life left: a new CA joins the bundle";
  } else if (due(c.serving.cert_pem, options_.certificate_validity, now) ||
             (!c.previous_ca_pem.empty() &&
              now >= Clock::from_time_t(seconds_of(c.ca_added_at)) + overlap() &&
              !server::issued_by(c.serving.cert_pem, c.ca.cert_pem))) {
    // Step two, or a plain renewal: a certificate from the current CA, never outliving it (a
    // chain is valid only while every certificate in it is).
    c.serving = server::make_certificate(
        {"bulwark-webhook", options_.names, life_within(c.ca.cert_pem, now), false}, &c.ca);
    why = "a new serving certificate from the current CA";
  } else {
    return certificate_of(secret);
  }
  return write(secret, c, why);
}

std::chrono::seconds CertificateKeeper::life_within(const std::string& ca_pem,
                                                    Clock::time_point now) const {
  const auto end = server::not_after(ca_pem);
  if (!end) return options_.certificate_validity;
  const auto left = std::chrono::duration_cast<std::chrono::seconds>(*end - now);
  return std::max(std::chrono::seconds(1), std::min(options_.certificate_validity, left));
}

WebhookCertificate CertificateKeeper::write(const Value& secret, const Contents& c,
                                            const std::string& why) {
  const Value* rv = secret.find({"metadata", "resourceVersion"});
  try {
    const Value written = client_.replace(
        kube::resources::kSecrets, options_.namespace_name, options_.secret_name,
        document::to_json(secret_of(options_, c, rv != nullptr ? std::string(rv->str()) : "")));
    logging::info("admission: " + why + " (Secret " + options_.namespace_name + "/" +
                  options_.secret_name + ")");
    return certificate_of(written);
  } catch (const kube::ApiError& e) {
    if (e.error_class() != kube::ErrorClass::kConflict) throw;
    // Another replica renewed it first: serve what it wrote.
    return certificate_of(
        client_.get(kube::resources::kSecrets, options_.namespace_name, options_.secret_name));
  }
}

}  // namespace bulwark::admission
