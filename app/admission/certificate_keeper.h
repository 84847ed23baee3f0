#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/policy/written_names.h"
#include "operator/server/http_server.h"

namespace bulwark::admission {

// What every replica serves and what the webhook configuration must trust.
struct WebhookCertificate {
  server::TlsMaterial serving;
  std::string ca_bundle;  // the current CA, then (while a rotation overlaps) the previous one
  std::string version;    // the Secret's resourceVersion: changes when the certificate does
};

struct KeeperOptions {
  std::string namespace_name;  // Bulwark's own
  std::string secret_name = kWebhookSecretName;
  std::vector<std::string> names;  // the serving certificate's subject alternative names
  std::chrono::seconds ca_validity = std::chrono::hours(24 * 365);
  std::chrono::seconds certificate_validity = std::chrono::hours(24 * 90);
};

// Bulwark's own CA and serving certificate (docs/api.md, Admission), kept in one Secret so every
// replica serves the same certificate:
// - no Secret: this replica makes a CA and a certificate and creates it; a replica that gets 409
//   reads the winner's;
// - a certificate with a third of its life left is renewed from the current CA;
// - a CA with a third of its life left is replaced in two steps: the new CA goes into the bundle
//   beside the old one first (every replica then patches the configuration's caBundle), and only
//   once that bundle is `overlap` old is a certificate issued by the new CA; so a caller always
//   trusts whatever certificate any replica serves;
// - every write carries the resourceVersion read; 409 means another replica did it: read again.
// Not thread-safe: one caller (the webhook's certificate loop).
class CertificateKeeper {
 public:
  CertificateKeeper(KeeperOptions options, kube::KubeClient& client, const base::Clock& clock);
  // The certificate to serve now, after any creation or renewal due. Throws kube::ApiError or
  // kube::TransportError when the Secret cannot be read or written.
  WebhookCertificate ensure();
  // How long after the CA enters the bundle a certificate from it may be served.
  std::chrono::seconds overlap() const;

 public:
  // What the Secret holds.
  struct Contents {
    server::TlsMaterial ca;       // the current CA
    std::string previous_ca_pem;  // during a CA rotation, the CA it replaces
    server::TlsMaterial serving;
    std::string ca_added_at;  // when the current CA joined the bundle: seconds since the epoch
  };

 private:
  WebhookCertificate create();
  WebhookCertificate renew_if_due(const document::Value& secret);
  WebhookCertificate write(const document::Value& secret, const Contents& contents,
                           const std::string& why);
  std::chrono::seconds life_within(const std::string& ca_pem,
                                   std::chrono::system_clock::time_point now) const;

  KeeperOptions options_;
  kube::KubeClient& client_;
  const base::Clock& clock_;
};

}  // namespace bulwark::admission
