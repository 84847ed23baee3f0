// The HTTP(S) server on loopback: routing, bounded connections, request and idle timeouts, size
// limits, and HTTPS with a self-signed certificate, through raw sockets and the kube transport.
#include "operator/server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace bulwark::server {
namespace {

using namespace std::chrono_literals;

// A client socket connected to 127.0.0.1:port; closed on destruction.
class Connection {
 public:
  explicit Connection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{5, 0};  // no read in these tests waits longer
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Connection() { close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const { return connected_; }
  void send(const std::string& text) {
    ASSERT_EQ(write(fd_, text.data(), text.size()), ssize_t(text.size()));
  }
  // Everything until the server closes the connection (or 5 s pass).
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fd_, buf, sizeof buf)) > 0;)
      out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
  // One read's worth: a response to a kept-alive request.
  std::string read_some() {
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::unique_ptr<HttpServer> serving(ServerOptions options = {}) {
  auto server = make_http_server(std::move(options));
  server->handle("/hello", [](const Request& r) {
    return Reply{200, "text/plain", "hello " + r.authorization + "\n"};
  });
  server->start("127.0.0.1:0");
  return server;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(HttpServer, AnswersRegisteredPathsAndRefusesTheRest) {
  auto server = serving();
  Connection hello(server->port());
  hello.send(
      "GET /hello?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t\r\nConnection: close\r\n\r\n");
  const std::string answer = hello.read_all();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("hello Bearer t"), std::string::npos) << answer;

  Connection missing(server->port());
  missing.send("GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(missing.read_all().rfind("HTTP/1.1 404", 0), 0u);

  Connection post(server->port());
  post.send("POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(post.read_all().rfind("HTTP/1.1 405", 0), 0u);
}

TEST(HttpServer, KeepsAConnectionAliveForTheNextRequest) {
  auto server = serving();
  Connection c(server->port());
  for (int i = 0; i < 3; ++i) {
    c.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(c.read_some().rfind("HTTP/1.1 200", 0), 0u) << i;
  }
}

TEST(HttpServer, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  ServerOptions o;
  o.max_connections = 4;
  auto server = serving(o);
  std::vector<std::unique_ptr<Connection>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(std::make_unique<Connection>(server->port()));
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 4; }));
  Connection extra(server->port());
  ASSERT_TRUE(extra.connected());  // the kernel accepts it; the server closes it unanswered
  EXPECT_EQ(extra.read_all(), "");
  EXPECT_EQ(server->open_connections(), 4);
  idle.clear();
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 0; }));
  Connection after(server->port());
  after.send("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(after.read_all().rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServer, ARequestThatNeverEndsItsHeadersIsCutOffAtTheRequestTimeout) {
  ServerOptions o;
  o.request_timeout = 300ms;
  auto server = serving(o);
  Connection slow(server->port());
  const auto start = std::chrono::steady_clock::now();
  slow.send("GET /hello HTTP/1.1\r\nHost: a\r\n");  // and never the blank line
  EXPECT_EQ(slow.read_all(), "");                   // closed, unanswered
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

TEST(HttpServer, AConnectionThatSendsNothingIsClosedAtTheRequestTimeout) {
  ServerOptions o;
  o.request_timeout = 300ms;
  auto server = serving(o);
  Connection silent(server->port());
  EXPECT_EQ(silent.read_all(), "");
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

TEST(HttpServer, AnIdleKeptAliveConnectionIsClosedAtTheIdleTimeout) {
  ServerOptions o;
  o.idle_timeout = 300ms;
  auto server = serving(o);
  Connection c(server->port());
  c.send("GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
  const std::string first = c.read_some();
  EXPECT_EQ(first.rfind("HTTP/1.1 200", 0), 0u);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.read_all(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(HttpServer, HeadersOverTheLimitAre431) {
  ServerOptions o;
  o.max_header_bytes = 1024;
  auto server = serving(o);
  Connection c(server->port());
  c.send("GET /hello HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(4096, 'x') + "\r\n\r\n");
  EXPECT_EQ(c.read_all().rfind("HTTP/1.1 431", 0), 0u);
}

TEST(HttpServer, AnAddressInUseIsAServerErrorNamingIt) {
  auto first = serving();
  auto second = make_http_server();
  const std::string address = "127.0.0.1:" + std::to_string(first->port());
  try {
    second->start(address);
    FAIL() << "bound a port in use";
  } catch (const ServerError& e) {
    EXPECT_NE(std::string(e.what()).find(address), std::string::npos) << e.what();
  }
}

TEST(HttpServer, AHandlerThatThrowsIs500AndTheServerGoesOn) {
  auto server = make_http_server();
  server->handle("/boom", [](const Request&) -> Reply { throw std::runtime_error("boom"); });
  server->start("127.0.0.1:0");
  for (int i = 0; i < 2; ++i) {
    Connection c(server->port());
    c.send("GET /boom HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(c.read_all().rfind("HTTP/1.1 500", 0), 0u);
  }
}

TEST(HttpServer, PlainHttpToAnHttpsServerGetsNoAnswer) {
  ServerOptions o;
  o.tls = self_signed_certificate({"127.0.0.1"});
  o.request_timeout = 500ms;
  auto server = serving(o);
  Connection c(server->port());
  c.send("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(c.read_all().find("hello"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::server
