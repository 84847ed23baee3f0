#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "operator/canary/protocol.h"

namespace bulwark::canary {

// Both sides of the probes (protocol.h). On each of its ports, over TCP and UDP, it answers PING
// and HELLO (ACK, and the HELLO's nonce is remembered: heard()), and over TCP DIAL (reaching back
// the very address that asked, at one of `dial_ports`, and nothing else). The canary pod runs one
// on its ports; the operator runs one on the ports the canary reaches back. Anything else gets no
// answer: a line that does not parse, one that does not
// arrive whole within `read_timeout`, one longer than kMaxLine, a DIAL to a port it was not given,
// a connection beyond `max_connections`. IPv4 only. Thread-safe; stops on destruction.
class Listener {
 public:
  struct Options {
    std::string bind_address = "0.0.0.0";
    // Each on TCP and UDP. 0 (tests): a free port, the same number for both.
    std::vector<std::uint16_t> listen_ports;
    std::vector<std::uint16_t> dial_ports;
    std::chrono::milliseconds read_timeout{2000};
    std::chrono::milliseconds dial_timeout{1000};
    int max_connections = 16;
  };

  explicit Listener(Options options);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds every port and starts answering; false, with `error` saying which port and why, when a
  // port cannot be bound (nothing is then served).
  bool start(std::string& error);
  void stop();
  // The ports as bound (a 0 of the options replaced by the port chosen).
  std::vector<std::uint16_t> ports() const { return ports_; }
  // Requests left unanswered so far (garbage, slow, oversized, over the cap, a DIAL refused).
  std::uint64_t unanswered() const { return unanswered_.load(); }
  // Whether a HELLO with this nonce reached this listener (the last kRemembered are kept): the
  // prober's own proof that a canary's DIAL got through, whatever the canary says.
  bool heard(const std::string& nonce) const;
  static constexpr std::size_t kRemembered = 256;

 private:
  void serve();
  void answer_tcp(int fd, std::uint32_t peer);
  void answer_udp(int fd);
  // The answer to a request, "" for none; a HELLO's nonce is remembered.
  std::string answer(const Message& m);
  bool bind_port(std::uint16_t port, std::string& error);

  Options options_;
  std::vector<std::uint16_t> ports_;
  std::vector<int> tcp_, udp_;  // listening sockets, one of each per port
  int wake_[2] = {-1, -1};      // a byte written here stops serve()
  std::thread server_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  int connections_ = 0;             // answering now; guarded by mu_
  std::vector<std::string> heard_;  // a ring of the last kRemembered HELLO nonces; guarded by mu_
  std::size_t next_heard_ = 0;      // guarded by mu_
  std::atomic<std::uint64_t> unanswered_{0};
  std::atomic<bool> started_{false};
};

}  // namespace bulwark::canary
