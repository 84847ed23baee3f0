#include "operator/canary/sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "operator/canary/protocol.h"

namespace bulwark::canary::sockets {

sockaddr_in address_of(std::uint32_t ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = ip;  // network order
  a.sin_port = htons(port);
  return a;
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

bool ready(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, remaining_ms(deadline));
    if (n >= 0 || errno != EINTR) return n > 0;
  }
}

std::optional<std::string> read_line(int fd, Clock::time_point deadline) {
  std::string line;
  char buffer[kMaxLine + 1];
  while (line.size() <= kMaxLine) {
    if (!ready(fd, POLLIN, deadline)) return std::nullopt;
    const ssize_t n = recv(fd, buffer, sizeof buffer - line.size(), 0);
    if (n <= 0) return std::nullopt;
    line.append(buffer, static_cast<std::size_t>(n));
    const auto newline = line.find('\n');
    if (newline != std::string::npos) {
      if (newline + 1 != line.size()) return std::nullopt;  // more than one line
      return line;
    }
  }
  return std::nullopt;
}

void send_all(int fd, const std::string& text) {
  std::size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

DialResult result_of_error(int error) {
  return error == ECONNREFUSED || error == EHOSTUNREACH || error == ENETUNREACH
             ? DialResult::kRefused
             : DialResult::kTimeout;
}

std::optional<DialResult> dial_tcp(std::uint32_t ip, std::uint16_t port, const std::string& nonce,
                                   std::chrono::milliseconds timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  const sockaddr_in to = address_of(ip, port);
  std::optional<DialResult> result = DialResult::kTimeout;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 || errno == EINPROGRESS) {
    int error = 0;
    socklen_t size = sizeof error;
    if (ready(fd, POLLOUT, deadline) && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0) {
      if (error != 0) {
        result = result_of_error(error);
      } else {
        // Through only once the listener acknowledged: it expected the nonce and has heard it.
        send_all(fd, to_line({MessageType::kHello, nonce}));
        const auto line = read_line(fd, deadline);
        const auto ack = line ? parse_message(*line) : std::nullopt;
        const bool acked = ack && ack->type == MessageType::kAck && ack->nonce == nonce;
        result = acked ? std::optional(DialResult::kOk) : std::nullopt;
      }
    }
  } else {
    result = result_of_error(errno);
  }
  close(fd);
  return result;
}

std::optional<DialResult> dial_udp(std::uint32_t ip, std::uint16_t port, const std::string& nonce,
                                   std::chrono::milliseconds timeout) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  const sockaddr_in to = address_of(ip, port);
  DialResult result = DialResult::kTimeout;
  const std::string hello = to_line({MessageType::kHello, nonce});
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 &&
      send(fd, hello.data(), hello.size(), 0) >= 0) {
    const auto deadline = Clock::now() + timeout;
    char buffer[kMaxLine + 1];
    while (result == DialResult::kTimeout) {
      if (!ready(fd, POLLIN, deadline)) break;
      const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n < 0) {
        result = result_of_error(errno);  // an ICMP unreachable, reported on the socket
        break;
      }
      const auto ack = parse_message(std::string_view(buffer, static_cast<std::size_t>(n)));
      if (ack && ack->type == MessageType::kAck && ack->nonce == nonce) result = DialResult::kOk;
    }
  }
  close(fd);
  return result;
}

}  // namespace bulwark::canary::sockets
