// The canary's listener on loopback: it answers the probe and nothing else, reaches back only the
// address that asked at the ports it was given, and tells a refused port from a silent one.
#include "operator/canary/listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace bulwark::canary {
namespace {

using namespace std::chrono_literals;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return a;
}

// A socket bound to a free loopback port, listening when TCP; its port in `port`.
int bound(int type, std::uint16_t& port) {
  const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t size = sizeof a;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  if (type == SOCK_STREAM) {
    EXPECT_EQ(listen(fd, 8), 0);
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  port = ntohs(a.sin_port);
  return fd;
}

// All the server sends on a connection until it closes it (at most 3 s).
std::string read_all(int fd) {
  std::string out;
  char buffer[256];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 3000) <= 0) return out + "<no close>";
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

// A TCP socket bound to a free loopback port and not listening: a connection to it is refused.
int bound_only(std::uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t size = sizeof a;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  port = ntohs(a.sin_port);
  return fd;
}

int connect_to(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in a = loopback(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// One request over TCP, and what came back before the canary closed the connection.
std::string tcp_request(std::uint16_t port, const std::string& text) {
  const int fd = connect_to(port);
  send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  std::string reply = read_all(fd);
  close(fd);
  return reply;
}

class ListenerTest : public ::testing::Test {
 protected:
  void start(std::vector<std::uint16_t> dial_ports, int max_connections = 16,
             std::chrono::milliseconds read_timeout = 300ms) {
    Listener::Options o;
    o.bind_address = "127.0.0.1";
    o.listen_ports = {0};
    o.dial_ports = std::move(dial_ports);
    o.read_timeout = read_timeout;
    o.dial_timeout = 500ms;
    o.max_connections = max_connections;
    listener_ = std::make_unique<Listener>(o);
    std::string error;
    ASSERT_TRUE(listener_->start(error)) << error;
    port_ = listener_->ports().at(0);
  }
  std::unique_ptr<Listener> listener_;
  std::uint16_t port_ = 0;
};

TEST_F(ListenerTest, PingIsAnsweredOverTcpAndUdp) {
  start({});
  EXPECT_EQ(tcp_request(port_, "BWC1 PING n-1\n"), "BWC1 PONG n-1\n");
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const sockaddr_in to = loopback(port_);
  ASSERT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
  send(fd, "BWC1 PING u\n", 12, 0);
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 3000), 1);
  char buffer[128];
  const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(std::max<ssize_t>(n, 0))),
            "BWC1 PONG u\n");
  close(fd);
}

TEST_F(ListenerTest, AnythingButTheProbeIsClosedUnanswered) {
  start({});
  EXPECT_EQ(tcp_request(port_, "GET / HTTP/1.1\r\n\r\n"), "");
  EXPECT_EQ(tcp_request(port_, std::string(4096, 'A') + "\n"), "");  // oversized
  EXPECT_EQ(tcp_request(port_, "BWC1 PONG a\n"), "");                // not a request
  EXPECT_EQ(tcp_request(port_, "BWC1 PI"), "");  // slow: never whole, closed at the deadline
  EXPECT_EQ(listener_->unanswered(), 4u);
  EXPECT_EQ(tcp_request(port_, "BWC1 PING still\n"), "BWC1 PONG still\n");
}

TEST_F(ListenerTest, ConnectionsBeyondTheCapAreClosedAtOnce) {
  start({}, 1, 30s);
  const int slow = connect_to(port_);  // holds the one place (it would, for 30 s)
  EXPECT_EQ(tcp_request(port_, "BWC1 PING n\n"), "");
  close(slow);  // the canary reads its end and frees the place
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::string reply;
  while (reply.empty() && std::chrono::steady_clock::now() < deadline) {
    reply = tcp_request(port_, "BWC1 PING n\n");
  }
  EXPECT_EQ(reply, "BWC1 PONG n\n");
}

TEST_F(ListenerTest, OneAddressTakesAtMostTwoPlaces) {
  start({}, 16, 30s);
  const int a = connect_to(port_), b = connect_to(port_);
  EXPECT_EQ(tcp_request(port_, "BWC1 PING n\n"), "");  // a third from 127.0.0.1
  close(a);
  close(b);
}

TEST_F(ListenerTest, DialReachesBackTheAskerOnlyAtItsDialPorts) {
  std::uint16_t open_port = 0, closed_port = 0, udp_port = 0, udp_closed = 0;
  const int open = bound(SOCK_STREAM, open_port);
  const int closed = bound_only(closed_port);  // bound, never listening: refuses

  const int udp = bound(SOCK_DGRAM, udp_port);
  close(bound(SOCK_DGRAM, udp_closed));
  start({open_port, closed_port, udp_port, udp_closed});

  // TCP: the HELLO must be acknowledged too; an answering acceptor here, on a thread.
  std::string hello;
  std::thread acceptor([open, &hello] {
    pollfd p{open, POLLIN, 0};
    if (poll(&p, 1, 3000) != 1) return;  // no dial came: the expectations below fail
    const int reached = accept(open, nullptr, nullptr);
    char buffer[128];
    const ssize_t n = recv(reached, buffer, sizeof buffer, 0);
    hello.assign(buffer, static_cast<std::size_t>(std::max<ssize_t>(n, 0)));
    send(reached, "BWC1 ACK t1\n", 12, MSG_NOSIGNAL);
    close(reached);
  });
  EXPECT_EQ(tcp_request(port_, "BWC1 DIAL tcp " + std::to_string(open_port) + " t1\n"),
            "BWC1 DIALED t1 ok\n");
  acceptor.join();
  EXPECT_EQ(hello, "BWC1 HELLO t1\n");
  EXPECT_EQ(tcp_request(port_, "BWC1 DIAL tcp " + std::to_string(closed_port) + " t2\n"),
            "BWC1 DIALED t2 refused\n");

  // UDP: the HELLO must be acknowledged; an answering socket here, run on a thread.
  std::thread acker([udp] {
    pollfd p{udp, POLLIN, 0};
    if (poll(&p, 1, 3000) != 1) return;
    char buffer[128];
    sockaddr_in from{};
    socklen_t size = sizeof from;
    const ssize_t n =
        recvfrom(udp, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &size);
    if (n > 0 && std::string(buffer, static_cast<std::size_t>(n)) == "BWC1 HELLO u1\n") {
      sendto(udp, "BWC1 ACK u1\n", 12, 0, reinterpret_cast<sockaddr*>(&from), size);
    }
  });
  EXPECT_EQ(tcp_request(port_, "BWC1 DIAL udp " + std::to_string(udp_port) + " u1\n"),
            "BWC1 DIALED u1 ok\n");
  acker.join();
  // Nothing there: refused, or (ICMP answers are rate-limited) timeout; never ok.
  EXPECT_NE(tcp_request(port_, "BWC1 DIAL udp " + std::to_string(udp_closed) + " u2\n"),
            "BWC1 DIALED u2 ok\n");
  // A port it was not given: no dial, no answer.
  EXPECT_EQ(tcp_request(port_, "BWC1 DIAL tcp " + std::to_string(port_) + " t3\n"), "");
  close(open);
  close(udp);
  close(closed);
}

// A connection made but never acknowledged (a crowded listener at the operator) tells nothing of
// the path: no DIALED at all, which the operator reads as Unknown, never as blocked.
TEST_F(ListenerTest, ADialConnectedButUnacknowledgedIsNoClaim) {
  std::uint16_t silent_port = 0;
  const int silent = bound(SOCK_STREAM, silent_port);  // the kernel accepts; nothing answers
  start({silent_port});
  EXPECT_EQ(tcp_request(port_, "BWC1 DIAL tcp " + std::to_string(silent_port) + " s1\n"), "");
  close(silent);
}

TEST_F(ListenerTest, APortInUseIsAClearError) {
  std::uint16_t taken = 0;
  const int fd = bound(SOCK_STREAM, taken);
  Listener::Options o;
  o.bind_address = "127.0.0.1";
  o.listen_ports = {taken};
  Listener l(o);
  std::string error;
  EXPECT_FALSE(l.start(error));
  EXPECT_NE(error.find("port " + std::to_string(taken)), std::string::npos) << error;
  close(fd);
}

}  // namespace
}  // namespace bulwark::canary
