#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "operator/server/source_limits.h"

namespace bulwark::server {

// The project's one HTTP(S) server, for /healthz, /readyz and /metrics (and, next, admission).
// Boost.Beast sits behind it in beast_server.cpp: cpprestsdk's listener could neither bound its
// connections nor time out a request's headers, and 1,100 connections that never finished their
// headers took every file descriptor, /healthz included (docs/operations.md, "Serving").
struct Request {
  std::string method;
  std::string path;           // without the query
  std::string authorization;  // the Authorization header, as sent
  std::string content_type;
  std::string body;
  std::string source;    // the client's address (server/source_limits.h)
  bool trusted = false;  // the source is in ServerOptions::connections.trusted
};

struct Reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
using Handler = std::function<Reply(const Request&)>;

// A certificate chain and its private key, PEM.
struct TlsMaterial {
  std::string cert_pem;
  std::string key_pem;
};

struct ServerOptions {
  // Connections beyond these caps (all together, and each source address's) are closed as soon
  // as they are accepted, so a flood costs a bounded number of file descriptors, the process's
  // other servers keep theirs, and one client cannot take every slot (server/source_limits.h).
  SourceLimitOptions connections;
  // From a connection's start to its TLS handshake done and its first request's first byte: a
  // connection that sends nothing is closed this soon.
  std::chrono::milliseconds first_byte_timeout{5'000};
  // From a request's first byte to the end of its headers and body.
  std::chrono::milliseconds request_timeout{10'000};
  // How long a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  // To send the whole response (a reader that stops reading holds nothing longer).
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  int threads = 1;
  std::optional<TlsMaterial> tls;  // HTTPS (TLS 1.2 or later) when set
  // Told of each connection refused, from a server thread (metrics count them by reason).
  std::function<void(Refusal)> on_refused;
};

class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Serves registered paths, each for one method; another path is 404, another method 405.
// Handlers run on the server's threads and must be thread-safe. Stops in its destructor.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Before start().
  virtual void handle(const std::string& path, Handler handler,
                      const std::string& method = "GET") = 0;
  // Serves new connections with this certificate from now on (a rotated one); thread-safe.
  virtual void set_tls(const TlsMaterial& tls) = 0;
  // Binds "HOST:PORT" or ":PORT" (all interfaces); port 0 picks a free one. Throws ServerError
  // naming the address.
  virtual void start(const std::string& address) = 0;
  virtual void stop() = 0;
  virtual int port() const = 0;  // the bound port, after start()
  virtual int open_connections() const = 0;
};

std::unique_ptr<HttpServer> make_http_server(ServerOptions options = {});

// A self-signed certificate (ECDSA P-256, valid a year) for `names` (DNS names or IP
// addresses), for HTTPS without a certificate given, as controller-runtime serves its metrics.
// It is its own CA (basicConstraints CA:TRUE), so a webhook's caBundle can hold it.
TlsMaterial self_signed_certificate(const std::vector<std::string>& names);

// A certificate (ECDSA P-256) made here: a CA (`ca`), or a server certificate for `names` (the
// subject alternative names: DNS names or IP addresses), signed by `issuer` or, without one,
// by itself. Valid from an hour ago (for clocks behind ours) for `validity`.
struct CertificateRequest {
  std::string common_name;
  std::vector<std::string> names;
  std::chrono::seconds validity;
  bool ca = false;
};
TlsMaterial make_certificate(const CertificateRequest& request, const TlsMaterial* issuer);
// Whether `ca_pem` signed `cert_pem` (the first certificate of each).
bool issued_by(const std::string& cert_pem, const std::string& ca_pem);
// When the first certificate of a PEM text expires; nullopt when it holds none.
std::optional<std::chrono::system_clock::time_point> not_after(const std::string& cert_pem);

}  // namespace bulwark::server
