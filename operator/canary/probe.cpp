#include "operator/canary/probe.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "operator/canary/listener.h"
#include "operator/canary/sockets.h"

namespace bulwark::canary {

using namespace sockets;

namespace {

std::optional<std::uint32_t> ipv4(const std::string& ip) {
  in_addr a{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return std::nullopt;
  return a.s_addr;
}

// One request over a new TCP connection and its one-line answer, by the deadline; `reached`
// says what the connection itself found: refused or not made in time (Blocked), or made.
struct Exchange {
  Reach reached = Reach::kUnknown;
  std::optional<Message> answer;
};
Exchange tcp_exchange(std::uint32_t ip, std::uint16_t port, const std::string& line,
                      Clock::time_point deadline) {
  Exchange out;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return out;
  const sockaddr_in to = address_of(ip, port);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 || errno == EINPROGRESS) {
    int error = 0;
    socklen_t size = sizeof error;
    if (!ready(fd, POLLOUT, deadline)) {
      out.reached = Reach::kBlocked;  // dropped: no answer to the connection at all
    } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error != 0) {
      out.reached =
          result_of_error(error) == DialResult::kRefused ? Reach::kBlocked : Reach::kUnknown;
    } else {
      out.reached = Reach::kThrough;
      send_all(fd, line);
      if (auto reply = read_line(fd, deadline)) out.answer = parse_message(*reply);
    }
  } else if (result_of_error(errno) == DialResult::kRefused) {
    out.reached = Reach::kBlocked;
  }
  close(fd);
  return out;
}

// A PONG through; refused by an ICMP unreachable, Blocked; silence tells nothing over UDP (a lost
// or crowded-out datagram looks the same as a dropped one).
Reach udp_ping(std::uint32_t ip, std::uint16_t port, const std::string& nonce,
               Clock::time_point deadline) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Reach::kUnknown;
  const sockaddr_in to = address_of(ip, port);
  const std::string line = to_line({MessageType::kPing, nonce});
  Reach reach = Reach::kUnknown;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 &&
      send(fd, line.data(), line.size(), 0) >= 0) {
    char buffer[kMaxLine + 1];
    while (reach == Reach::kUnknown && ready(fd, POLLIN, deadline)) {
      const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n < 0) {
        if (result_of_error(errno) == DialResult::kRefused) reach = Reach::kBlocked;
        break;
      }
      const auto m = parse_message(std::string_view(buffer, static_cast<std::size_t>(n)));
      if (m && m->type == MessageType::kPong && m->nonce == nonce) reach = Reach::kThrough;
    }
  }
  close(fd);
  return reach;
}

}  // namespace

Reach ping(const std::string& ip, std::uint16_t port, Transport transport, const std::string& nonce,
           std::chrono::milliseconds timeout) {
  const auto address = ipv4(ip);
  const std::string line = to_line({MessageType::kPing, nonce});
  if (!address || line.empty()) return Reach::kUnknown;
  const auto deadline = Clock::now() + timeout;
  if (transport == Transport::kUdp) return udp_ping(*address, port, nonce, deadline);
  const Exchange e = tcp_exchange(*address, port, line, deadline);
  if (e.reached != Reach::kThrough) return e.reached;
  // Connected, but an answer other than its PONG (or none) tells nothing.
  const bool pong = e.answer && e.answer->type == MessageType::kPong && e.answer->nonce == nonce;
  return pong ? Reach::kThrough : Reach::kUnknown;
}

std::optional<DialResult> ask_dial(const std::string& ip, std::uint16_t port, Transport transport,
                                   std::uint16_t dial_port, const std::string& nonce,
                                   std::chrono::milliseconds timeout) {
  const auto address = ipv4(ip);
  const std::string line = to_line({MessageType::kDial, nonce, transport, dial_port});
  if (!address || line.empty()) return std::nullopt;
  const auto m = tcp_exchange(*address, port, line, Clock::now() + timeout).answer;
  if (!m || m->type != MessageType::kDialed || m->nonce != nonce) return std::nullopt;
  return m->result;
}

Reach egress_reach(std::optional<DialResult> claimed, bool heard) {
  if (heard) return Reach::kThrough;
  if (claimed == DialResult::kRefused || claimed == DialResult::kTimeout) return Reach::kBlocked;
  return Reach::kUnknown;  // no answer, or "ok" the operator never heard: proves nothing
}

Reach SocketProbes::ping(const std::string& ip, std::uint16_t port, Transport transport,
                         const std::string& nonce) {
  return canary::ping(ip, port, transport, nonce, ping_timeout_);
}
std::optional<DialResult> SocketProbes::ask_dial(const std::string& ip, std::uint16_t port,
                                                 Transport transport, std::uint16_t dial_port,
                                                 const std::string& nonce) {
  return canary::ask_dial(ip, port, transport, dial_port, nonce, dial_timeout_);
}
void SocketProbes::expect(const std::string& nonce, const std::string& from) {
  own_.expect(nonce, from);
}
bool SocketProbes::heard(const std::string& nonce) { return own_.heard(nonce); }

namespace {

// The UDP pair counts only as evidence of no enforcement.
Enforcement with_udp(Enforcement tcp, Reach udp_allowed, Reach udp_denied) {
  return classify(udp_allowed, udp_denied) == Enforcement::kNotEnforced ? Enforcement::kNotEnforced
                                                                        : tcp;
}

// What a DIAL to `out_port` over `transport` found, asked through the canary's `via` port.
Reach dial_through(ProbeTransport& probes, const std::string& ip, std::uint16_t via,
                   Transport transport, std::uint16_t out_port) {
  const std::string nonce = probes.nonce();
  probes.expect(nonce, ip);
  const auto claimed = probes.ask_dial(ip, via, transport, out_port, nonce);
  return egress_reach(claimed, probes.heard(nonce));
}

}  // namespace

Enforcement probe_ingress(ProbeTransport& probes, const std::string& ip, const RoundPorts& ports) {
  auto reach = [&](std::uint16_t port, Transport t) {
    return probes.ping(ip, port, t, probes.nonce());
  };
  const Enforcement tcp =
      classify(reach(ports.in_allowed, Transport::kTcp), reach(ports.in_denied, Transport::kTcp));
  return with_udp(tcp, reach(ports.in_allowed, Transport::kUdp),
                  reach(ports.in_denied, Transport::kUdp));
}

Enforcement probe_egress(ProbeTransport& probes, const std::string& ip, const RoundPorts& ports) {
  // The DIAL itself goes in through the allowed port, or, where the change is not in effect, the
  // one allowed before: either way the canary can be asked.
  std::uint16_t via = ports.in_allowed;
  if (probes.ping(ip, via, Transport::kTcp, probes.nonce()) != Reach::kThrough) {
    via = ports.in_denied;
  }
  auto reach = [&](std::uint16_t port, Transport t) {
    return dial_through(probes, ip, via, t, port);
  };
  const Enforcement tcp =
      classify(reach(ports.out_allowed, Transport::kTcp), reach(ports.out_denied, Transport::kTcp));
  return with_udp(tcp, reach(ports.out_allowed, Transport::kUdp),
                  reach(ports.out_denied, Transport::kUdp));
}

}  // namespace bulwark::canary
