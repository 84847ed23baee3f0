// The HTTP(S) server on loopback: routing, bounded connections, request and idle timeouts, size
// limits, and HTTPS with a self-signed certificate, through raw sockets and the kube transport.
#include "operator/server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace bulwark::server {
namespace {

using namespace std::chrono_literals;

// A client socket connected to 127.0.0.1:port from `source` (any 127.x address: each is a
// client of its own to the server); closed on destruction.
class Connection {
 public:
  explicit Connection(int port, const char* source = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, source, &from.sin_addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from);
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
  int fd() const { return fd_; }
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

// A server that answers POST /echo with the request's body.
std::unique_ptr<HttpServer> echoing(ServerOptions options) {
  auto server = make_http_server(std::move(options));
  server->handle(
      "/echo",
      [](const Request& r) {
        return Reply{200, "text/plain", r.body};
      },
      "POST");
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
  o.connections.max_connections = 4;
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

TEST(HttpServer, AConnectionThatSendsNothingIsClosedAtTheFirstByteTimeout) {
  ServerOptions o;
  o.first_byte_timeout = 300ms;
  auto server = serving(o);
  Connection silent(server->port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(silent.read_all(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);  // not the 10 s request timeout
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

// One source's connections beyond its cap are closed at once and counted; another source still
// gets in, and the capped one again once it has closed some.
TEST(HttpServer, EachSourceKeepsToItsOwnCap) {
  ServerOptions o;
  o.connections = {64, 3, {}, 0};
  std::vector<Refusal> refused;
  std::mutex mu;
  o.on_refused = [&](Refusal r) {
    std::lock_guard lock(mu);
    refused.push_back(r);
  };
  auto server = serving(o);
  std::vector<std::unique_ptr<Connection>> held;
  for (int i = 0; i < 3; ++i)
    held.push_back(std::make_unique<Connection>(server->port(), "127.0.0.2"));
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 3; }));
  Connection fourth(server->port(), "127.0.0.2");
  EXPECT_EQ(fourth.read_all(), "");  // closed unanswered
  EXPECT_TRUE(eventually([&] {       // told after the close the client has seen
    std::lock_guard lock(mu);
    return refused == std::vector<Refusal>{Refusal::kSourceFull};
  }));
  Connection other(server->port(), "127.0.0.3");
  other.send("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(other.read_all().rfind("HTTP/1.1 200", 0), 0u);
  held.pop_back();
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 2; }));
  Connection again(server->port(), "127.0.0.2");
  again.send("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(again.read_all().rfind("HTTP/1.1 200", 0), 0u);
}

// A body beyond its source's share of body bytes is refused with 503 before it is read, and
// counted; the share is back once the answer is written.
TEST(HttpServer, ABodyBeyondItsSourcesShareIs503) {
  ServerOptions o;
  o.connections.max_body_bytes = 1000;
  o.connections.max_body_bytes_per_source = 100;
  std::atomic<int> memory{0};
  o.on_refused = [&](Refusal r) { memory += r == Refusal::kMemory; };
  auto server = echoing(o);
  auto post = [&](std::size_t n) {
    Connection c(server->port(), "127.0.0.2");
    c.send("POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: " +
           std::to_string(n) + "\r\n\r\n" + std::string(n, 'x'));
    return c.read_all();
  };
  EXPECT_EQ(post(101).rfind("HTTP/1.1 503", 0), 0u);
  EXPECT_TRUE(eventually([&] { return memory == 1; }));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(post(100).rfind("HTTP/1.1 200", 0), 0u) << i;
}

// A body over the limit is 413, said as soon as its Content-Length is read, and a chunked one
// once it grows past the limit.
TEST(HttpServer, ABodyOverTheLimitIs413) {
  ServerOptions o;
  o.max_body_bytes = 100;
  auto server = echoing(o);
  Connection declared(server->port());
  declared.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n");
  EXPECT_EQ(declared.read_all().rfind("HTTP/1.1 413", 0), 0u);
  Connection chunked(server->port());
  chunked.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n" +
               std::string(101, 'x') + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.read_all().rfind("HTTP/1.1 413", 0), 0u);
}

// A chunk extension that never ends (Boost 1.74 puts no header limit on it) fills the bounded
// read buffer and the connection is closed at once, not held growing until the request timeout.
TEST(HttpServer, AChunkHeaderThatNeverEndsIsCutOffAtTheBuffersBound) {
  auto server = echoing({});
  Connection c(server->port());
  c.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;");
  const auto start = std::chrono::steady_clock::now();
  const std::string piece(16 * 1024, 'a');
  for (int i = 0; i < 32; ++i) {  // 512 KiB, far past the 80 KiB buffer
    if (write(c.fd(), piece.data(), piece.size()) < 0) break;  // closed: as it should be
  }
  EXPECT_EQ(c.read_all().find("HTTP/1.1 200"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // not the 10 s request timeout
  EXPECT_TRUE(eventually([&] { return server->open_connections() == 0; }));
}

// Untrusted sources together cannot take the reserve; a trusted source (the API server, for the
// webhook) can, and has no cap of its own.
// The handler learns the client's address and whether the server trusts it, so a handler's own
// reserve (the webhook's review budget) follows the same ranges as the connections'.
TEST(HttpServer, TheRequestSaysItsSourceAndWhetherItIsTrusted) {
  ServerOptions o;
  o.connections.trusted = {"127.0.0.1/32"};
  auto server = make_http_server(o);
  server->handle("/who", [](const Request& r) {
    return Reply{200, "text/plain", r.source + (r.trusted ? " trusted" : " untrusted")};
  });
  server->start("127.0.0.1:0");
  const std::pair<const char*, const char*> expected[] = {{"127.0.0.1", "127.0.0.1 trusted"},
                                                          {"127.0.0.2", "127.0.0.2 untrusted"}};
  for (const auto& [source, said] : expected) {
    Connection c(server->port(), source);
    c.send("GET /who HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    const std::string answer = c.read_all();
    EXPECT_NE(answer.find(said), std::string::npos) << answer;
  }
}

TEST(HttpServer, TrustedSourcesKeepTheirReserve) {
  ServerOptions o;
  o.connections = {7, 2, {"127.0.0.1/32"}, 3};
  auto server = serving(o);
  std::vector<std::unique_ptr<Connection>> held;
  for (const char* source : {"127.0.0.2", "127.0.0.3"}) {
    for (int i = 0; i < 2; ++i)
      held.push_back(std::make_unique<Connection>(server->port(), source));
  }
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 4; }));
  Connection untrusted(server->port(), "127.0.0.4");  // 4 + the reserve of 3 = 7
  EXPECT_EQ(untrusted.read_all(), "");
  for (int i = 0; i < 3; ++i)
    held.push_back(std::make_unique<Connection>(server->port(), "127.0.0.1"));
  ASSERT_TRUE(eventually([&] { return server->open_connections() == 7; }));  // beyond 2 each
  Connection full(server->port(), "127.0.0.1");
  EXPECT_EQ(full.read_all(), "");  // the total holds for everyone
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
