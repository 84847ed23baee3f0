// The one file that includes cpprestsdk's HTTP listener.
#include <cpprest/http_listener.h>

#include <map>
#include <mutex>

#include "operator/server/http_server.h"

namespace bulwark::server {
namespace {

namespace http = web::http;

class CpprestServer : public HttpServer {
 public:
  ~CpprestServer() override { stop(); }

  void handle(const std::string& path, Handler handler) override {
    handlers_[path] = std::move(handler);
  }

  void start(const std::string& address) override {
    const auto colon = address.rfind(':');
    std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
    const std::string port = colon == std::string::npos ? address : address.substr(colon + 1);
    if (host.empty()) host = "0.0.0.0";
    try {
      listener_ = std::make_unique<http::experimental::listener::http_listener>("http://" + host +
                                                                                ":" + port + "/");
      listener_->support(http::methods::GET, [this](const http::http_request& request) {
        const auto path = request.relative_uri().path();
        auto it = handlers_.find(path);
        if (it == handlers_.end()) {
          request.reply(http::status_codes::NotFound, "not found\n").wait();
          return;
        }
        Reply r = it->second();
        http::http_response response(static_cast<http::status_code>(r.status));
        response.set_body(r.body, r.content_type);
        request.reply(response).wait();
      });
      listener_->open().wait();
    } catch (const std::exception& e) {
      listener_.reset();
      throw ServerError("cannot serve on " + address + ": " + e.what());
    }
  }

  void stop() override {
    if (!listener_) return;
    try {
      listener_->close().wait();
    } catch (...) {
      // Closing is best effort at shutdown.
    }
    listener_.reset();
  }

 private:
  std::map<std::string, Handler> handlers_;  // written before start(), then read-only
  std::unique_ptr<http::experimental::listener::http_listener> listener_;
};

}  // namespace

std::unique_ptr<HttpServer> make_http_server() { return std::make_unique<CpprestServer>(); }

}  // namespace bulwark::server
