// TLS trust is exactly what the kubeconfig names: with a CA given, a server certified by any other
// CA (even one in OpenSSL's default store, here SSL_CERT_FILE) gets no request and so no token.
// Without one, the system's store is trusted, as kubectl does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "operator/kube/cluster_config.h"
#include "operator/kube/http.h"
#include "operator/server/http_server.h"

namespace bulwark::kube {
namespace {

// An HTTPS server on 127.0.0.1 with its own self-signed certificate, recording the Authorization
// headers it receives.
class FakeApiServer {
 public:
  explicit FakeApiServer(const std::string& name = "127.0.0.1")
      : tls_(server::self_signed_certificate({name})) {
    server::ServerOptions o;
    o.tls = tls_;
    server_ = server::make_http_server(o);
    server_->handle("/version", [this](const server::Request& r) {
      std::lock_guard lock(mu_);
      seen_.push_back(r.authorization);
      return server::Reply{200, "application/json", "{}"};
    });
    server_->start("127.0.0.1:0");
  }
  const std::string& ca_pem() const { return tls_.cert_pem; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  server::TlsMaterial tls_;
  std::unique_ptr<server::HttpServer> server_;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

// SSL_CERT_FILE naming `pem` for the test's duration: OpenSSL's default store.
class DefaultStore {
 public:
  explicit DefaultStore(const std::string& pem)
      : path_(std::filesystem::temp_directory_path() /
              ("bulwark-default-store-" + std::to_string(getpid()) + ".pem")) {
    std::ofstream(path_) << pem;
    setenv("SSL_CERT_FILE", path_.c_str(), 1);
  }
  ~DefaultStore() {
    unsetenv("SSL_CERT_FILE");
    std::filesystem::remove(path_);
  }

 private:
  std::filesystem::path path_;
};

HttpResponse get_version(const FakeApiServer& api, const std::string& ca_pem,
                         const std::string& tls_server_name = "") {
  ClusterConfig cfg;
  cfg.server = api.url();
  cfg.ca_pem = ca_pem;
  cfg.tls_server_name = tls_server_name;
  cfg.token = "secret-token";
  HttpRequest request;
  request.path = "/version";
  request.timeout = std::chrono::seconds(5);
  return make_cpprest_transport(cfg)->send(request);
}

TEST(TlsTrust, AServerCertifiedOnlyByTheDefaultStoreGetsNoToken) {
  FakeApiServer api;
  DefaultStore store(api.ca_pem());  // the fake server's CA is in the default store...
  const std::string other_ca = server::self_signed_certificate({"127.0.0.1"}).cert_pem;
  EXPECT_THROW(get_version(api, other_ca), TransportError);  // ...but the kubeconfig names another
  EXPECT_TRUE(api.seen().empty());
}

TEST(TlsTrust, TheNamedCaIsTrusted) {
  FakeApiServer api;
  EXPECT_EQ(get_version(api, api.ca_pem()).status, 200);
  EXPECT_EQ(api.seen(), std::vector<std::string>{"Bearer secret-token"});
}

// The control for the first test: the default store does reach the transport, so the refusal
// there is the named CA's doing.
TEST(TlsTrust, WithNoCaNamedTheDefaultStoreIsTrusted) {
  FakeApiServer api;
  DefaultStore store(api.ca_pem());
  EXPECT_EQ(get_version(api, "").status, 200);
}

TEST(TlsTrust, WithNoCaNamedAServerOutsideTheDefaultStoreIsRefused) {
  FakeApiServer api;
  DefaultStore store(server::self_signed_certificate({"127.0.0.1"}).cert_pem);
  EXPECT_THROW(get_version(api, ""), TransportError);
  EXPECT_TRUE(api.seen().empty());
}

// tls-server-name: the certificate names the API server by a name other than the address dialled.
TEST(TlsTrust, TlsServerNameIsTheNameTheCertificateMustCarry) {
  FakeApiServer api("api.cluster.test");
  EXPECT_THROW(get_version(api, api.ca_pem()), TransportError);  // 127.0.0.1 is not in it
  EXPECT_TRUE(api.seen().empty());
  EXPECT_EQ(get_version(api, api.ca_pem(), "api.cluster.test").status, 200);
  EXPECT_THROW(get_version(api, api.ca_pem(), "other.cluster.test"), TransportError);
}

}  // namespace
}  // namespace bulwark::kube
