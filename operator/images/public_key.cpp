// Signature keys through OpenSSL (3.x EVP interfaces).
#include "operator/images/public_key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <cstring>

namespace bulwark::images {
namespace {

constexpr int kMinRsaBits = 2048;

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

// The key's kind, or "" (and `error`) when it is none Bulwark takes.
std::string algorithm_of(EVP_PKEY* key, std::string& error) {
  const int bits = EVP_PKEY_get_bits(key);
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (bits < kMinRsaBits) {
      error = "an RSA key of " + std::to_string(bits) + " bits (at least " +
              std::to_string(kMinRsaBits) + ")";
      return "";
    }
    return "RSA " + std::to_string(bits);
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char curve[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof(curve), &len) == 1 &&
        std::strcmp(curve, "prime256v1") == 0) {
      return "ECDSA P-256";
    }
    error = std::string("an ECDSA key on curve ") + (len > 0 ? curve : "unknown") +
            " (only P-256 is taken)";
    return "";
  }
  error =
      std::string("a key of type ") + EVP_PKEY_get0_type_name(key) + " (ECDSA P-256 or RSA only)";
  return "";
}

}  // namespace

std::optional<PublicKey> PublicKey::from_pem(std::string_view pem, std::string& error) {
  if (pem.find("-----BEGIN PUBLIC KEY-----") == std::string_view::npos) {
    error = "not a PEM public key (\"-----BEGIN PUBLIC KEY-----\")";
    return std::nullopt;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                BIO_free);
  EVP_PKEY* raw = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (raw == nullptr) {
    ERR_clear_error();  // the queue is the thread's: a stale entry misleads its next TLS call
    error = "the PEM public key does not parse";
    return std::nullopt;
  }
  PublicKey out;
  out.key_.reset(raw, EVP_PKEY_free);
  out.algorithm_ = algorithm_of(raw, error);
  if (out.algorithm_.empty()) return std::nullopt;
  unsigned char* der = nullptr;
  const int der_len = i2d_PUBKEY(raw, &der);
  if (der_len <= 0) {
    error = "the public key cannot be encoded";
    return std::nullopt;
  }
  out.fingerprint_ = sha256_digest({reinterpret_cast<const char*>(der), std::size_t(der_len)});
  OPENSSL_free(der);
  return out;
}

bool PublicKey::verifies(std::string_view payload, std::string_view signature) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx) return false;
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_.get()) != 1) return false;
  // RSA: PKCS #1 v1.5 (OpenSSL's default for RSA keys, and sigstore's for cosign's RSA keys).
  const bool ok =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(payload.data()),
                       payload.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

std::string sha256_digest(std::string_view bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  return "sha256:" + hex(md, sizeof(md));
}

}  // namespace bulwark::images
