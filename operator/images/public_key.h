#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace bulwark::images {

// A public key that may sign images (images.verify[].publicKeys): PEM SubjectPublicKeyInfo
// ("-----BEGIN PUBLIC KEY-----", what `cosign generate-key-pair` writes as cosign.pub), ECDSA on
// P-256 or RSA of at least 2048 bits, as sigstore's LoadVerifier reads them: ECDSA signatures
// ASN.1 DER over the SHA-256 of the payload, RSA PKCS #1 v1.5 with SHA-256. The one file that
// uses OpenSSL's crypto. Immutable; safe to share between threads.
class PublicKey {
 public:
  // Nullopt and `error` set for anything else (another curve, a short RSA key, a certificate, a
  // private key, text that is no PEM): said by name, so a policy's status can.
  static std::optional<PublicKey> from_pem(std::string_view pem, std::string& error);

  // Whether `signature` (raw bytes) signs `payload`.
  bool verifies(std::string_view payload, std::string_view signature) const;

  // "ECDSA P-256" or "RSA 3072": for messages.
  const std::string& algorithm() const { return algorithm_; }
  // "sha256:<hex>" of the key's DER SubjectPublicKeyInfo: names the key in caches and messages
  // without its text.
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  std::shared_ptr<evp_pkey_st> key_;
  std::string algorithm_;
  std::string fingerprint_;
};

// "sha256:<64 hex>" of `bytes`: a blob's or a manifest's digest.
std::string sha256_digest(std::string_view bytes);

}  // namespace bulwark::images
