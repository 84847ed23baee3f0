// The cpprestsdk transport against a server on loopback that accepts and never answers: a request
// fails at its deadline instead of hanging for the transport's own 30 s.
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

}  // namespace
}  // namespace bulwark::kube
