#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace bulwark::server {

// The project's one HTTP server, for /healthz, /readyz and /metrics. cpprestsdk's listener sits
// behind it in cpprest_listener.cpp.
struct Reply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};
using Handler = std::function<Reply()>;

class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Serves GET on registered paths; anything else is 404. Handlers run on the server's threads and
// must be thread-safe. Stops in its destructor.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  virtual void handle(const std::string& path, Handler handler) = 0;  // before start()
  // Binds "HOST:PORT" or ":PORT" (all interfaces). Throws ServerError naming the address.
  virtual void start(const std::string& address) = 0;
  virtual void stop() = 0;
};

std::unique_ptr<HttpServer> make_http_server();

}  // namespace bulwark::server
