// The one file that includes Boost.Beast: server/http_server.h over HTTP or HTTPS.
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "operator/server/http_server.h"

namespace bulwark::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// What every connection of one server shares; it outlives them all (stop() joins its threads).
struct Route {
  std::string method;
  Handler handler;
};
struct Shared {
  explicit Shared(ServerOptions o) : options(std::move(o)), limits(options.connections) {}
  ServerOptions options;
  SourceLimits limits;
  std::map<std::string, Route> routes;  // written before start(), then read-only
  std::atomic<int> open{0};
};

// The body is moved into the Request, never copied: a review's body is megabytes.
Reply route(const Shared& shared, http::request<http::string_body>&& req, const std::string& source,
            bool trusted) {
  const std::string target(req.target());
  Request r{std::string(req.method_string()),
            target.substr(0, target.find('?')),
            std::string(req[http::field::authorization]),
            std::string(req[http::field::content_type]),
            std::move(req.body()),
            source,
            trusted};
  auto it = shared.routes.find(r.path);
  if (it == shared.routes.end()) return Reply{404, "text/plain", "not found\n"};
  if (it->second.method != r.method) return Reply{405, "text/plain", "method not allowed\n"};
  try {
    return it->second.handler(r);
  } catch (const std::exception&) {
    return Reply{500, "text/plain", "internal error\n"};
  }
}

// What the read buffer holds beyond a request's headers. Bounded: the parser leaves in it what it
// cannot consume yet, such as a chunk extension or trailer that never ends (Boost 1.74 applies
// no header limit to those), so without a bound one connection could grow it until the deadline.
constexpr std::size_t kReadChunk = 64 * 1024;
// What a kept-alive connection's read buffer may keep while it waits for its next request.
constexpr std::size_t kIdleBuffer = 16 * 1024;

// One connection: read a request within request_timeout, answer within write_timeout, then wait
// up to idle_timeout for the next one. Stream is beast::tcp_stream or an ssl_stream over one.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  // `tls` (null for plain HTTP) is the context the stream was made with, kept alive as long.
  // `source` has been counted open in shared.limits; the session closes it.
  Session(Stream stream, Shared& shared, std::string source,
          std::shared_ptr<asio::ssl::context> tls = nullptr)
      : tls_(std::move(tls)),
        stream_(std::move(stream)),
        shared_(shared),
        source_(std::move(source)),
        trusted_(shared.limits.trusted(source_)),
        buffer_(shared.options.max_header_bytes + kReadChunk) {
    ++shared_.open;
  }
  ~Session() {
    release_body();
    shared_.limits.close(source_);
    --shared_.open;
  }

  // The handshake and the first request's first byte share first_byte_timeout: one deadline,
  // set here, that the handshake does not renew.
  void run() {
    const auto started = std::chrono::steady_clock::now();
    const auto first_byte = shared_.options.first_byte_timeout;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read_request(first_byte);
    } else {
      beast::get_lowest_layer(stream_).expires_after(first_byte);
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this(),
                                                               started, first_byte](error_code ec) {
        if (ec) return;
        const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        self->read_request(std::max(first_byte - spent, std::chrono::milliseconds(1)));
      });
    }
  }

 private:
  // The first byte of the next request within `wait`, then the rest within request_timeout: an
  // idle keep-alive connection and a slow sender are each bounded.
  void read_request(std::chrono::milliseconds wait) {
    beast::get_lowest_layer(stream_).expires_after(wait);
    if (buffer_.size() > 0) return read_rest();
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = this->shared_from_this()](error_code ec, std::size_t n) {
                              if (ec) return;
                              self->buffer_.commit(n);
                              self->read_rest();
                            });
  }

  // The headers, then the body once its bytes fit the source's share (SourceLimits::reserve).
  void read_rest() {
    beast::get_lowest_layer(stream_).expires_after(shared_.options.request_timeout);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_.options.max_header_bytes));
    parser_->body_limit(shared_.options.max_body_bytes);
    http::async_read_header(
        stream_, buffer_, *parser_, [self = this->shared_from_this()](error_code ec, std::size_t) {
          if (ec == http::error::header_limit) {
            return self->refuse(http::status::request_header_fields_too_large,
                                "request too large\n");
          }
          // A Content-Length over the limit is refused with the headers, before any body.
          if (ec == http::error::body_limit) {
            return self->refuse(http::status::payload_too_large, "request too large\n");
          }
          if (ec) return;
          if (!self->reserve_body()) {
            return self->refuse(http::status::service_unavailable, "busy: try again\n");
          }
          http::async_read(
              self->stream_, self->buffer_, *self->parser_, [self](error_code ec, std::size_t) {
                if (ec == http::error::body_limit) {
                  return self->refuse(http::status::payload_too_large, "request too large\n");
                }
                if (!ec) self->answer(self->parser_->release());
              });
        });
  }

  // Counts the body's bytes (its Content-Length, or the limit for a chunked one) until the
  // handler has answered: the body and what the handler builds from it are held that long.
  bool reserve_body() {
    const auto length = parser_->content_length();
    std::size_t bytes = length ? static_cast<std::size_t>(*length) : 0;
    if (!length && parser_->chunked()) bytes = shared_.options.max_body_bytes;
    if (bytes == 0) return true;
    const Refusal refused = shared_.limits.reserve(source_, bytes);
    if (refused != Refusal::kNone) {
      if (shared_.options.on_refused) shared_.options.on_refused(refused);
      return false;
    }
    reserved_ = bytes;
    return true;
  }
  void release_body() {
    if (reserved_ > 0) shared_.limits.release(source_, reserved_);
    reserved_ = 0;
  }

  void answer(http::request<http::string_body>&& req) {
    const unsigned version = req.version();
    const bool keep_alive = req.keep_alive();
    Reply reply = route(shared_, std::move(req), source_, trusted_);
    release_body();
    response_ = {};
    response_.version(version);
    response_.result(static_cast<http::status>(reply.status));
    response_.set(http::field::content_type, reply.content_type);
    response_.body() = std::move(reply.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    write();
  }

  void refuse(http::status status, const char* text) {
    response_ = {};
    response_.result(status);
    response_.set(http::field::content_type, "text/plain");
    response_.body() = text;
    response_.keep_alive(false);
    response_.prepare_payload();
    write();
  }

  void write() {
    beast::get_lowest_layer(stream_).expires_after(shared_.options.write_timeout);
    http::async_write(stream_, response_,
                      [self = this->shared_from_this()](error_code ec, std::size_t) {
                        if (ec) return;
                        if (self->response_.keep_alive()) {
                          // An idle connection holds neither the answer nor a buffer grown by
                          // the last request: 1,024 of them stay a few MB.
                          // Shrunk only when a large request grew it: the API server's next
                          // small review then reuses the buffer instead of allocating anew.
                          self->response_ = {};
                          if (self->buffer_.size() == 0 && self->buffer_.capacity() > kIdleBuffer)
                            self->buffer_.shrink_to_fit();
                          self->read_request(self->shared_.options.idle_timeout);
                        } else {
                          self->close();
                        }
                      });
  }

  void close() {
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  std::shared_ptr<asio::ssl::context> tls_;
  Stream stream_;
  Shared& shared_;
  const std::string source_;
  const bool trusted_;        // source_ is one the server's limits trust
  std::size_t reserved_ = 0;  // body bytes counted in shared_.limits
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
};

std::pair<std::string, std::string> split_address(const std::string& address) {
  const auto colon = address.rfind(':');
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  std::string port = colon == std::string::npos ? address : address.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return {host.empty() ? "0.0.0.0" : host, port};
}

class BeastServer : public HttpServer {
 public:
  explicit BeastServer(ServerOptions options)
      : shared_(std::move(options)), acceptor_(asio::make_strand(io_)) {}
  ~BeastServer() override { stop(); }

  void handle(const std::string& path, Handler handler, const std::string& method) override {
    shared_.routes[path] = Route{method, std::move(handler)};
  }

  void set_tls(const TlsMaterial& tls) override {
    auto ctx = make_tls_context(tls);  // throws on a bad pair: the old one stays
    std::lock_guard lock(tls_mu_);
    tls_ = std::move(ctx);
  }

  void start(const std::string& address) override {
    try {
      if (shared_.options.tls) tls_ = make_tls_context(*shared_.options.tls);  // before threads
      const auto [host, port] = split_address(address);
      const tcp::endpoint endpoint(asio::ip::make_address(host),
                                   static_cast<unsigned short>(std::stoi(port)));
      acceptor_.open(endpoint.protocol());
      acceptor_.set_option(asio::socket_base::reuse_address(true));
      acceptor_.bind(endpoint);
      acceptor_.listen(asio::socket_base::max_listen_connections);
    } catch (const std::exception& e) {
      throw ServerError("cannot serve on " + address + ": " + e.what());
    }
    accept();
    for (int i = 0; i < std::max(1, shared_.options.threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
  }

  void stop() override {
    if (threads_.empty()) return;
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  int port() const override { return acceptor_.local_endpoint().port(); }
  int open_connections() const override { return shared_.open.load(); }

 private:
  static std::shared_ptr<asio::ssl::context> make_tls_context(const TlsMaterial& tls) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    // An idle keep-alive connection then holds no read and write buffers (about 34 KB): the
    // connection caps are sized with that (server/source_limits.h).
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    ctx->use_certificate_chain(asio::buffer(tls.cert_pem));
    ctx->use_private_key(asio::buffer(tls.key_pem), asio::ssl::context::pem);
    return ctx;
  }

  void accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) serve(std::move(socket));
      accept();  // also after an error such as EMFILE: the next attempt may succeed
    });
  }

  void serve(tcp::socket socket) {
    error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    std::string source = ec ? std::string("unknown") : peer.address().to_string();
    if (const Refusal refused = shared_.limits.open(source); refused != Refusal::kNone) {
      socket.close(ec);
      if (shared_.options.on_refused) shared_.options.on_refused(refused);
      return;
    }
    std::shared_ptr<asio::ssl::context> tls;
    {
      std::lock_guard lock(tls_mu_);
      tls = tls_;
    }
    // From here the session closes the count; nothing may throw out of an I/O handler (it
    // would end io_.run() and the process), so a session that cannot be made is dropped here.
    bool made = false;
    try {
      if (tls) {
        auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls),
            shared_, source, tls);
        made = true;
        session->run();
      } else {
        auto session = std::make_shared<Session<beast::tcp_stream>>(
            beast::tcp_stream(std::move(socket)), shared_, source);
        made = true;
        session->run();
      }
    } catch (const std::exception&) {
      if (!made) shared_.limits.close(source);  // no Session was made to close it
    }
  }

  // Destroyed in reverse: the acceptor, then io_ (and with it every pending session), then the
  // TLS context and what the sessions share.
  Shared shared_;
  std::mutex tls_mu_;
  std::shared_ptr<asio::ssl::context> tls_;  // guarded by tls_mu_ once started
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<HttpServer> make_http_server(ServerOptions options) {
  return std::make_unique<BeastServer>(std::move(options));
}

}  // namespace bulwark::server
