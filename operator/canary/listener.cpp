#include "operator/canary/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "operator/canary/protocol.h"

namespace bulwark::canary {

namespace {

using Clock = std::chrono::steady_clock;

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

// One line from a connection, whole within the deadline and no longer than kMaxLine; nullopt
// otherwise (nothing read past the newline is kept: a request is one line).
std::optional<std::string> read_line(int fd, Clock::time_point deadline) {
  std::string line;
  char buffer[kMaxLine + 1];
  while (line.size() <= kMaxLine) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, remaining_ms(deadline)) <= 0) return std::nullopt;
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

// A TCP connection to ip:port within the timeout, saying HELLO once made.
DialResult dial_tcp(std::uint32_t ip, std::uint16_t port, const std::string& nonce,
                    std::chrono::milliseconds timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return DialResult::kTimeout;
  const sockaddr_in to = address_of(ip, port);
  DialResult result = DialResult::kTimeout;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 || errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) > 0) {
      int error = 0;
      socklen_t size = sizeof error;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
      result = error == 0 ? DialResult::kOk : result_of_error(error);
      if (error == 0) send_all(fd, to_line({MessageType::kHello, nonce}));
    }
  } else {
    result = result_of_error(errno);
  }
  close(fd);
  return result;
}

// A HELLO datagram to ip:port, answered by its ACK within the timeout.
DialResult dial_udp(std::uint32_t ip, std::uint16_t port, const std::string& nonce,
                    std::chrono::milliseconds timeout) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return DialResult::kTimeout;
  const sockaddr_in to = address_of(ip, port);
  DialResult result = DialResult::kTimeout;
  const std::string hello = to_line({MessageType::kHello, nonce});
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 &&
      send(fd, hello.data(), hello.size(), 0) >= 0) {
    const auto deadline = Clock::now() + timeout;
    char buffer[kMaxLine + 1];
    while (result == DialResult::kTimeout) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, remaining_ms(deadline)) <= 0) break;
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

}  // namespace

Listener::Listener(Options options) : options_(std::move(options)) {}

Listener::~Listener() { stop(); }

bool Listener::bind_port(std::uint16_t port, std::string& error) {
  in_addr ip{};
  if (inet_pton(AF_INET, options_.bind_address.c_str(), &ip) != 1) {
    error = "not an IPv4 address: " + options_.bind_address;
    return false;
  }
  const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  tcp_.push_back(tcp);
  udp_.push_back(udp);
  const int on = 1;
  setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in a = address_of(ip.s_addr, port);
  socklen_t size = sizeof a;
  if (tcp < 0 || udp < 0 || bind(tcp, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(tcp, reinterpret_cast<sockaddr*>(&a), &size) != 0 ||
      bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(tcp, 64) != 0) {
    error = "port " + std::to_string(port) + ": " + std::strerror(errno);
    return false;
  }
  ports_.push_back(ntohs(a.sin_port));
  return true;
}

bool Listener::start(std::string& error) {
  if (started_.exchange(true)) return true;
  for (auto port : options_.listen_ports) {
    if (!bind_port(port, error)) {
      stop();
      return false;
    }
  }
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    stop();
    return false;
  }
  server_ = std::thread([this] { serve(); });
  return true;
}

void Listener::stop() {
  if (wake_[1] >= 0) {
    const char byte = 0;
    (void)!write(wake_[1], &byte, 1);
  }
  if (server_.joinable()) server_.join();
  {
    // Connections answer within their deadlines; wait for the last.
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return connections_ == 0; });
  }
  for (int* fds : {&wake_[0], &wake_[1]}) {
    if (*fds >= 0) close(*fds);
    *fds = -1;
  }
  for (auto* list : {&tcp_, &udp_}) {
    for (int fd : *list) {
      if (fd >= 0) close(fd);
    }
    list->clear();
  }
}

void Listener::serve() {
  std::vector<pollfd> polled{{wake_[0], POLLIN, 0}};
  for (int fd : tcp_) polled.push_back({fd, POLLIN, 0});
  for (int fd : udp_) polled.push_back({fd, POLLIN, 0});
  while (true) {
    if (poll(polled.data(), polled.size(), -1) < 0 && errno != EINTR) return;
    if (polled[0].revents != 0) return;
    for (std::size_t i = 1; i < polled.size(); ++i) {
      if ((polled[i].revents & POLLIN) == 0) continue;
      if (i > tcp_.size()) {
        answer_udp(polled[i].fd);
        continue;
      }
      sockaddr_in peer{};
      socklen_t size = sizeof peer;
      const int fd = accept4(polled[i].fd, reinterpret_cast<sockaddr*>(&peer), &size, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mu_);
      if (connections_ >= options_.max_connections) {
        ++unanswered_;
        close(fd);
        continue;
      }
      ++connections_;
      std::thread([this, fd, ip = peer.sin_addr.s_addr] { answer_tcp(fd, ip); }).detach();
    }
  }
}

void Listener::answer_tcp(int fd, std::uint32_t peer) {
  const auto request = read_line(fd, Clock::now() + options_.read_timeout);
  const auto m = request ? parse_message(*request) : std::nullopt;
  const auto& ports = options_.dial_ports;
  if (m && m->type == MessageType::kPing) {
    send_all(fd, to_line({MessageType::kPong, m->nonce}));
  } else if (m && m->type == MessageType::kDial &&
             std::find(ports.begin(), ports.end(), m->port) != ports.end()) {
    const DialResult result = m->transport == Transport::kTcp
                                  ? dial_tcp(peer, m->port, m->nonce, options_.dial_timeout)
                                  : dial_udp(peer, m->port, m->nonce, options_.dial_timeout);
    send_all(fd, to_line({MessageType::kDialed, m->nonce, Transport::kTcp, 0, result}));
  } else {
    ++unanswered_;
  }
  {
    // The place is free before the asker sees the connection close.
    std::lock_guard lock(mu_);
    --connections_;
    idle_.notify_all();
  }
  close(fd);  // touches nothing of this Listener, which stop() may end now
}

void Listener::answer_udp(int fd) {
  char buffer[kMaxLine + 1];
  sockaddr_in peer{};
  socklen_t size = sizeof peer;
  const ssize_t n =
      recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer), &size);
  if (n <= 0) return;
  const auto m = parse_message(std::string_view(buffer, static_cast<std::size_t>(n)));
  if (!m || m->type != MessageType::kPing) {
    ++unanswered_;
    return;
  }
  const std::string pong = to_line({MessageType::kPong, m->nonce});
  sendto(fd, pong.data(), pong.size(), 0, reinterpret_cast<const sockaddr*>(&peer), size);
}

}  // namespace bulwark::canary
