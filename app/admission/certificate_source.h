#pragma once

#include <memory>
#include <optional>
#include <string>

#include "app/admission/certificate_keeper.h"
#include "operator/server/http_server.h"

namespace bulwark::admission {

// Where the webhook's serving certificate comes from: a folder cert-manager fills (certDir), or
// the Secret Bulwark keeps itself (CertificateKeeper). Called from one thread (the webhook's
// certificate loop).
class CertificateSource {
 public:
  virtual ~CertificateSource() = default;
  // The certificate now, with the CA bundle to trust it and a version that changes with it;
  // nullopt when there is none yet (the folder's files have not appeared). Throws when it cannot
  // be read.
  virtual std::optional<WebhookCertificate> load() = 0;
  // Whether load() may give another version than `version` now; cheap (the folder's times).
  virtual bool may_have_changed(const std::string& version) = 0;
  virtual std::string describe() const = 0;  // for the log: "Secret bulwark-webhook-tls"
};

// tls.crt, tls.key and ca.crt of a folder, its version the three files' modification times.
std::unique_ptr<CertificateSource> folder_certificates(std::string dir);
// The Secret CertificateKeeper keeps (made and renewed as it says).
std::unique_ptr<CertificateSource> kept_certificates(std::unique_ptr<CertificateKeeper> keeper,
                                                     std::string secret_name);

}  // namespace bulwark::admission
