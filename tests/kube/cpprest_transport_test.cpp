// The cpprestsdk transport against servers on loopback: one that accepts and never answers (a
// request fails at its deadline instead of hanging for the transport's own 30 s), and one that
// closes each connection after one answer (a request on a stale pooled connection is sent again).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "operator/kube/cluster_config.h"
#include "operator/kube/http.h"

namespace bulwark::kube {
namespace {

using namespace std::chrono_literals;

// Listens on 127.0.0.1, a free port; accepts connections and answers nothing, or (with
// `headers`) only the start of a chunked 200 response, as a watch whose connection then went
// silent.
class SilentServer {
 public:
  explicit SilentServer(bool headers = false) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accepter_ = std::thread([this, headers] {
      for (;;) {
        const int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        held_.push_back(c);
        if (headers) {
          static const char kHead[] =
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
              "Transfer-Encoding: chunked\r\n\r\n";
          if (write(c, kHead, sizeof kHead - 1) < 0) return;
        }
      }
    });
  }
  ~SilentServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    accepter_.join();
    for (int c : held_) close(c);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread accepter_;
  std::vector<int> held_;  // the accepter's only until it has been joined
};

std::unique_ptr<HttpTransport> transport_to(const SilentServer& server) {
  ClusterConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(server.port());
  return make_cpprest_transport(cfg);
}

HttpRequest request_to(std::string path) {
  HttpRequest request;
  request.path = std::move(path);
  request.timeout = 300ms;
  return request;
}

TEST(CpprestTransport, AnUnansweredRequestFailsAtItsDeadline) {
  SilentServer server;
  auto transport = transport_to(server);
  const HttpRequest request = request_to("/api/v1/namespaces/ns/leases/x");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(transport->send(request), TransportError);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);  // not the transport's own 30 s
}

// A path built from what others wrote (an image reference, a registry's Location) that is no
// URI path fails as a request does, never as an exception nobody expects (it ended the process).
TEST(CpprestTransport, APathThatIsNoUriFailsAsARequest) {
  SilentServer server;
  auto transport = transport_to(server);
  for (const char* path : {"/v2/team/app/manifests/{x}", "/v2/a b/manifests/1", "/v2/\xff"}) {
    EXPECT_THROW(transport->send(request_to(path)), TransportError) << path;
    EXPECT_THROW(transport->open_stream(request_to(path)), TransportError) << path;
  }
}

// A watch whose connection goes silent after the headers: the read fails at the idle timeout, as
// an IdleStreamError, instead of waiting for the stream's 15-minute limit.
TEST(CpprestTransport, ASilentStreamFailsAtItsIdleTimeout) {
  SilentServer server(true);
  auto transport = transport_to(server);
  auto stream = transport->open_stream(request_to("/api/v1/pods?watch=true"));
  ASSERT_EQ(stream->status(), 200);
  const auto start = std::chrono::steady_clock::now();
  std::string out;
  EXPECT_THROW(stream->read(out), IdleStreamError);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
}

// Answers the first request on each connection with a keep-alive 200 and then closes that
// connection, as an API server that restarts between two requests does: the client's next request
// on the pooled connection is written into a socket its peer has closed.
class OneAnswerServer {
 public:
  OneAnswerServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accepter_ = std::thread([this] {
      for (;;) {
        const int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        answer_once(c);
        close(c);
        ++connections_;
      }
    });
  }
  ~OneAnswerServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    accepter_.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  // Reads the request's headers and its Content-Length of body, then answers.
  static void answer_once(int c) {
    std::string in;
    char buf[65536];
    std::size_t want = std::string::npos;
    while (want == std::string::npos || in.size() < want) {
      const ssize_t n = read(c, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
      const auto end = in.find("\r\n\r\n");
      if (want == std::string::npos && end != std::string::npos) {
        std::string head = in.substr(0, end);
        for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const auto at = head.find("content-length:");
        const std::size_t body = at == std::string::npos ? 0 : std::stoul(head.substr(at + 15));
        want = end + 4 + body;
      }
    }
    static const char kAnswer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
    if (write(c, kAnswer, sizeof kAnswer - 1) < 0) return;
  }

  int fd_ = -1;
  int port_ = 0;
  std::thread accepter_;
  std::atomic<int> connections_{0};
};

// The second request finds its pooled connection closed by the server. Its body is larger than
// the socket's buffers, so the server's reset arrives while it is still being written: the
// request never reached the server whole, and the transport sends it again on a new connection
// instead of failing it (a write after an API server restart did, in CI).
TEST(CpprestTransport, ARequestNotWrittenWholeIsSentAgainOnANewConnection) {
  OneAnswerServer server;
  ClusterConfig cfg;
  cfg.server = "http://127.0.0.1:" + std::to_string(server.port());
  auto transport = make_cpprest_transport(cfg);
  HttpRequest request = request_to("/api/v1/namespaces/ns/configmaps");
  request.timeout = 10s;
  request.method = "POST";
  request.body = "{}";
  ASSERT_EQ(transport->send(request).status, 200);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (server.connections() < 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  ASSERT_EQ(server.connections(), 1);  // the server has closed the first connection
  request.body = "{\"data\":\"" + std::string(16 << 20, 'x') + "\"}";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(transport->send(request).status, 200) << i;
}

}  // namespace
}  // namespace bulwark::kube
