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
#include <system_error>

#include "operator/canary/protocol.h"
#include "operator/canary/sockets.h"

namespace bulwark::canary {

using namespace sockets;

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
  if (started_.exchange(true)) {
    error = "already started";
    return false;
  }
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
    // Out of descriptors, a pending connection would wake poll() at once, again and again: the
    // listening sockets rest for 100 ms.
    const bool paused = Clock::now() < paused_until_;
    for (std::size_t i = 1; i <= tcp_.size(); ++i) polled[i].events = paused ? 0 : POLLIN;
    if (poll(polled.data(), polled.size(), paused ? 100 : -1) < 0 && errno != EINTR) return;
    if (polled[0].revents != 0) return;
    for (std::size_t i = 1; i < polled.size(); ++i) {
      if ((polled[i].revents & POLLIN) == 0) continue;
      if (i > tcp_.size()) {
        answer_udp(polled[i].fd);
      } else {
        accept_on(polled[i].fd);
      }
    }
  }
}

void Listener::accept_on(int listening) {
  sockaddr_in peer{};
  socklen_t size = sizeof peer;
  const int fd = accept4(listening, reinterpret_cast<sockaddr*>(&peer), &size, SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      paused_until_ = Clock::now() + std::chrono::milliseconds(100);
    }
    return;
  }
  const std::uint32_t ip = peer.sin_addr.s_addr;
  std::lock_guard lock(mu_);
  const auto from_ip = std::count(sources_.begin(), sources_.end(), ip);
  if (connections_ >= options_.max_connections || from_ip >= options_.max_per_source) {
    ++unanswered_;
    close(fd);
    return;
  }
  ++connections_;
  sources_.push_back(ip);
  try {
    std::thread([this, fd, ip] { answer_tcp(fd, ip); }).detach();
  } catch (const std::system_error&) {  // no thread to be had (a pids limit): unanswered
    ++unanswered_;
    release(ip);
    close(fd);
  }
}

void Listener::release(std::uint32_t peer) {
  --connections_;
  sources_.erase(std::find(sources_.begin(), sources_.end(), peer));
  idle_.notify_all();
}

void Listener::answer_tcp(int fd, std::uint32_t peer) {
  const auto request = read_line(fd, Clock::now() + options_.read_timeout);
  const auto m = request ? parse_message(*request) : std::nullopt;
  const auto& ports = options_.dial_ports;
  if (const std::string reply = m ? answer(*m, peer) : ""; !reply.empty()) {
    send_all(fd, reply);
  } else if (m && m->type == MessageType::kDial &&
             std::find(ports.begin(), ports.end(), m->port) != ports.end()) {
    const auto result = m->transport == Transport::kTcp
                            ? dial_tcp(peer, m->port, m->nonce, options_.dial_timeout)
                            : dial_udp(peer, m->port, m->nonce, options_.dial_timeout);
    // No claim where nothing can be told: the asker reads no answer as Unknown.
    if (result)
      send_all(fd, to_line({MessageType::kDialed, m->nonce, Transport::kTcp, 0, *result}));
  } else {
    ++unanswered_;
  }
  {
    // The place is free before the asker sees the connection close.
    std::lock_guard lock(mu_);
    release(peer);
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
  const std::string reply = m ? answer(*m, peer.sin_addr.s_addr) : "";
  if (reply.empty()) {
    ++unanswered_;
    return;
  }
  // As long as the request: a spoofed source gains no amplification.
  sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&peer), size);
}

std::string Listener::answer(const Message& m, std::uint32_t peer) {
  if (m.type == MessageType::kPing) return to_line({MessageType::kPong, m.nonce});
  if (m.type != MessageType::kHello) return "";
  std::lock_guard lock(mu_);
  for (auto& e : expected_) {
    if (e.nonce != m.nonce || e.from != peer) continue;
    e.heard = true;
    return to_line({MessageType::kAck, m.nonce});
  }
  return "";  // not expected, or not from there: no answer, nothing learnt
}

void Listener::expect(const std::string& nonce, const std::string& from) {
  in_addr ip{};
  if (inet_pton(AF_INET, from.c_str(), &ip) != 1) return;
  std::lock_guard lock(mu_);
  if (expected_.size() == kExpected) expected_.erase(expected_.begin());
  expected_.push_back({nonce, ip.s_addr});
}

bool Listener::heard(const std::string& nonce) {
  std::lock_guard lock(mu_);
  for (auto it = expected_.begin(); it != expected_.end(); ++it) {
    if (it->nonce != nonce) continue;
    const bool heard = it->heard;
    expected_.erase(it);
    return heard;
  }
  return false;
}

}  // namespace bulwark::canary
