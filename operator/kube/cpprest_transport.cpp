// The one file that includes cpprestsdk's HTTP client. Everything else sees kube/http.h.
#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>

#include <atomic>

#include "operator/kube/cluster_config.h"
#include "operator/kube/http.h"

namespace bulwark::kube {
namespace {

namespace http = web::http;
namespace client = web::http::client;

client::http_client_config make_config(const ClusterConfig& cfg, std::chrono::seconds timeout) {
  client::http_client_config c;
  c.set_timeout(timeout);
  c.set_validate_certificates(!cfg.insecure_skip_tls_verify);
  const std::string ca = cfg.ca_pem, cert = cfg.client_cert_pem, key = cfg.client_key_pem;
  c.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
    if (!ca.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca));
    if (!cert.empty()) {
      ctx.use_certificate_chain(boost::asio::buffer(cert));
      ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
    }
  });
  return c;
}

// Reads a streamed body a line at a time. A fresh buffer per read: cpprestsdk's container_buffer
// keeps its write position after clear() and would pad the next line (docs/architecture.md,
// pitfalls).
class CpprestStream : public ResponseStream {
 public:
  CpprestStream(http::http_response response, pplx::cancellation_token_source cancel)
      : response_(std::move(response)), body_(response_.body()), cancel_(std::move(cancel)) {}
  ~CpprestStream() override { cancel(); }

  int status() const override { return response_.status_code(); }

  bool read(std::string& out) override {
    if (cancelled_) return false;
    try {
      concurrency::streams::container_buffer<std::string> line;
      const std::size_t n = body_.read_to_delim(line, '\n').get();
      if (n == 0 && body_.is_eof()) return false;
      out += line.collection();
      if (!body_.is_eof() || n > 0) out += '\n';
      return true;
    } catch (const std::exception& e) {
      if (cancelled_) return false;
      throw TransportError(std::string("watch stream broke: ") + e.what());
    }
  }

  void cancel() override {
    if (cancelled_.exchange(true)) return;
    cancel_.cancel();
    try {
      body_.close().wait();
    } catch (...) {
      // Already closed or broken: cancelling is best effort.
    }
  }

 private:
  http::http_response response_;
  concurrency::streams::istream body_;
  pplx::cancellation_token_source cancel_;
  std::atomic<bool> cancelled_{false};
};

class CpprestTransport : public HttpTransport {
 public:
  explicit CpprestTransport(const ClusterConfig& cfg)
      : unary_(cfg.server, make_config(cfg, std::chrono::seconds(30))),
        // Watches last up to ten minutes; the server closes them, not us.
        streaming_(cfg.server, make_config(cfg, std::chrono::seconds(15 * 60))),
        token_(cfg.token) {
    if (!cfg.token_file.empty()) token_file_ = std::make_unique<TokenFile>(cfg.token_file);
  }

  HttpResponse send(const HttpRequest& request) override {
    try {
      http::http_response response = unary_.request(build(request)).get();
      concurrency::streams::container_buffer<std::string> body;
      response.body().read_to_end(body).get();
      return HttpResponse{response.status_code(), std::move(body.collection())};
    } catch (const http::http_exception& e) {
      throw TransportError(e.what());
    } catch (const pplx::task_canceled&) {
      throw TransportError("request cancelled");
    }
  }

  std::unique_ptr<ResponseStream> open_stream(const HttpRequest& request) override {
    pplx::cancellation_token_source cancel;
    try {
      // request() completes when the headers arrive; the body then streams as the server sends it.
      http::http_response response = streaming_.request(build(request), cancel.get_token()).get();
      return std::make_unique<CpprestStream>(std::move(response), std::move(cancel));
    } catch (const http::http_exception& e) {
      throw TransportError(e.what());
    } catch (const pplx::task_canceled&) {
      throw TransportError("request cancelled");
    }
  }

 private:
  http::http_request build(const HttpRequest& r) {
    http::http_request req(r.method);
    req.set_request_uri(r.path);
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", "bulwark/" BULWARK_VERSION);
    const std::string token =
        token_file_ ? token_file_->token(std::chrono::steady_clock::now()) : token_;
    if (!token.empty()) req.headers().add("Authorization", "Bearer " + token);
    for (const auto& [k, v] : r.headers) req.headers().add(k, v);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      req.set_body(r.body, r.content_type.empty() ? "application/json" : r.content_type);
    }
    return req;
  }

  client::http_client unary_;
  client::http_client streaming_;
  std::string token_;
  std::unique_ptr<TokenFile> token_file_;
};

}  // namespace

std::unique_ptr<HttpTransport> make_cpprest_transport(const ClusterConfig& config) {
  return std::make_unique<CpprestTransport>(config);
}

}  // namespace bulwark::kube
