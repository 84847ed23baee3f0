// A self-signed serving certificate, made with OpenSSL when no certificate is given.
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <functional>
#include <memory>

#include "operator/server/http_server.h"

namespace bulwark::server {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

Key new_p256_key() {
  std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) <= 0 ||
      EVP_PKEY_keygen(ctx.get(), &key) <= 0) {
    throw ServerError("cannot make a key for a self-signed certificate");
  }
  return Key(key);
}

// "DNS:a,IP:127.0.0.1": names that parse as an address are IP entries.
std::string subject_alt_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    unsigned char buf[16];
    const bool ip =
        inet_pton(AF_INET, n.c_str(), buf) == 1 || inet_pton(AF_INET6, n.c_str(), buf) == 1;
    out += (out.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + n;
  }
  return out;
}

std::string pem_of(const std::function<int(BIO*)>& write) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) throw ServerError("cannot write a self-signed certificate");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

namespace {

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
  if (ext == nullptr) throw ServerError("cannot write the certificate extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

void set_serial(X509* cert) {
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
}

template <class T, T* (*Read)(BIO*, T**, pem_password_cb*, void*), void (*Free)(T*)>
std::unique_ptr<T, Deleter<T, Free>> read_pem(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<T, Deleter<T, Free>>(bio ? Read(bio.get(), nullptr, nullptr, nullptr)
                                                  : nullptr);
}

}  // namespace

TlsMaterial make_certificate(const CertificateRequest& request, const TlsMaterial* issuer) {
  Key key = new_p256_key();
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  set_serial(cert.get());
  // An hour back: clocks of the API server's nodes may be behind ours.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(request.validity.count()));
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(request.common_name.c_str()),
                             -1, -1, 0);
  auto issuer_cert =
      issuer != nullptr ? read_pem<X509, PEM_read_bio_X509, X509_free>(issuer->cert_pem) : nullptr;
  auto issuer_key =
      issuer != nullptr
          ? read_pem<EVP_PKEY, PEM_read_bio_PrivateKey, EVP_PKEY_free>(issuer->key_pem)
          : nullptr;
  if (issuer != nullptr && (!issuer_cert || !issuer_key)) {
    throw ServerError("cannot read the issuing CA's certificate or key");
  }
  X509* signer = issuer_cert ? issuer_cert.get() : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (request.ca && request.names.empty()) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else if (request.ca) {  // a self-signed server certificate that is its own CA
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyCertSign");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
  }
  if (!request.names.empty()) {
    add_extension(cert.get(), signer, NID_subject_alt_name, subject_alt_names(request.names));
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key.get() : key.get(), EVP_sha256()) == 0) {
    throw ServerError("cannot sign a certificate for " + request.common_name);
  }
  return TlsMaterial{
      pem_of([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); }), pem_of([&](BIO* b) {
        return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
      })};
}

TlsMaterial self_signed_certificate(const std::vector<std::string>& names) {
  // Its own CA: a webhook configuration's caBundle can hold it as it is.
  return make_certificate(
      {names.empty() ? "bulwark" : names.front(), names, std::chrono::hours(24 * 365), true},
      nullptr);
}

bool issued_by(const std::string& cert_pem, const std::string& ca_pem) {
  auto cert = read_pem<X509, PEM_read_bio_X509, X509_free>(cert_pem);
  auto ca = read_pem<X509, PEM_read_bio_X509, X509_free>(ca_pem);
  if (!cert || !ca) return false;
  Key ca_key(X509_get_pubkey(ca.get()));
  return X509_check_issued(ca.get(), cert.get()) == X509_V_OK && ca_key &&
         X509_verify(cert.get(), ca_key.get()) == 1;
}

std::optional<std::chrono::system_clock::time_point> not_after(const std::string& cert_pem) {
  auto cert = read_pem<X509, PEM_read_bio_X509, X509_free>(cert_pem);
  if (!cert) return std::nullopt;
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace bulwark::server
