#include "operator/canary/probe.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "operator/canary/sockets.h"

namespace bulwark::canary {

using namespace sockets;

namespace {

std::optional<std::uint32_t> ipv4(const std::string& ip) {
  in_addr a{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return std::nullopt;
  return a.s_addr;
}

// One request over a new TCP connection and its one-line answer, by the deadline.
std::optional<Message> tcp_exchange(std::uint32_t ip, std::uint16_t port, const std::string& line,
                                    Clock::time_point deadline) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  const sockaddr_in to = address_of(ip, port);
  std::optional<Message> answer;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 || errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t size = sizeof error;
    if (poll(&p, 1, remaining_ms(deadline)) > 0 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0) {
      send_all(fd, line);
      if (auto reply = read_line(fd, deadline)) answer = parse_message(*reply);
    }
  }
  close(fd);
  return answer;
}

bool udp_ping(std::uint32_t ip, std::uint16_t port, const std::string& nonce,
              Clock::time_point deadline) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const sockaddr_in to = address_of(ip, port);
  const std::string line = to_line({MessageType::kPing, nonce});
  bool answered = false;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 &&
      send(fd, line.data(), line.size(), 0) >= 0) {
    char buffer[kMaxLine + 1];
    while (!answered) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, remaining_ms(deadline)) <= 0) break;
      const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n < 0) break;  // refused
      const auto m = parse_message(std::string_view(buffer, static_cast<std::size_t>(n)));
      answered = m && m->type == MessageType::kPong && m->nonce == nonce;
    }
  }
  close(fd);
  return answered;
}

}  // namespace

bool ping(const std::string& ip, std::uint16_t port, Transport transport, const std::string& nonce,
          std::chrono::milliseconds timeout) {
  const auto address = ipv4(ip);
  if (!address || to_line({MessageType::kPing, nonce}).empty()) return false;
  const auto deadline = Clock::now() + timeout;
  if (transport == Transport::kUdp) return udp_ping(*address, port, nonce, deadline);
  const auto m = tcp_exchange(*address, port, to_line({MessageType::kPing, nonce}), deadline);
  return m && m->type == MessageType::kPong && m->nonce == nonce;
}

std::optional<DialResult> ask_dial(const std::string& ip, std::uint16_t port, Transport transport,
                                   std::uint16_t dial_port, const std::string& nonce,
                                   std::chrono::milliseconds timeout) {
  const auto address = ipv4(ip);
  const std::string line = to_line({MessageType::kDial, nonce, transport, dial_port});
  if (!address || line.empty()) return std::nullopt;
  const auto m = tcp_exchange(*address, port, line, Clock::now() + timeout);
  if (!m || m->type != MessageType::kDialed || m->nonce != nonce) return std::nullopt;
  return m->result;
}

}  // namespace bulwark::canary
