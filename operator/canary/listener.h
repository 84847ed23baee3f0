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

// Both sides of the probes (protocol.h). On each of its ports, over TCP and UDP, it answers PING,
// HELLO for a nonce it was told to expect from that very address (ACK; heard() then says so), and
// over TCP DIAL (reaching back the very address that asked, at one of `dial_ports`, and nothing
// else). The canary pod runs one on its ports; the operator runs one, with no `dial_ports`, on the
// ports the canary reaches back. Anything else gets no answer: a line that does not parse, one
// that does not arrive whole within `read_timeout`, one longer than kMaxLine, a HELLO not
// expected, a DIAL to a port it was not given, a connection beyond `max_connections` or beyond
// `max_per_source` from one address. IPv4 only. start() and stop() from one thread; the rest is
// thread-safe. Stops on destruction.
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
    int max_per_source = 2;  // so one address cannot take every place
  };

  explicit Listener(Options options);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds every port and starts answering; false, with `error` saying which port and why, when a
  // port cannot be bound (nothing is then served). Once per Listener.
  bool start(std::string& error);
  void stop();
  // The ports as bound (a 0 of the options replaced by the port chosen).
  std::vector<std::uint16_t> ports() const { return ports_; }
  // Requests left unanswered so far (garbage, slow, oversized, unexpected, over a cap).
  std::uint64_t unanswered() const { return unanswered_.load(); }
  // The prober's own proof that a canary's DIAL got through, whatever the canary says: expect()
  // a nonce (new_nonce()) from the canary's address before asking it to DIAL, then heard() says
  // whether that HELLO came from that address, once (the nonce is then forgotten). At most
  // kExpected are held; the oldest goes first.
  void expect(const std::string& nonce, const std::string& from);
  bool heard(const std::string& nonce);
  static constexpr std::size_t kExpected = 1024;

 private:
  struct Expected {
    std::string nonce;
    std::uint32_t from;  // network byte order
    bool heard = false;
  };
  void serve();
  void accept_on(int listening);
  void answer_tcp(int fd, std::uint32_t peer);
  void answer_udp(int fd);
  // The answer to a request from `peer`, "" for none.
  std::string answer(const Message& m, std::uint32_t peer);
  bool bind_port(std::uint16_t port, std::string& error);
  void release(std::uint32_t peer);  // a connection's place; mu_ held

  Options options_;
  std::vector<std::uint16_t> ports_;
  std::vector<int> tcp_, udp_;  // listening sockets, one of each per port
  int wake_[2] = {-1, -1};      // a byte written here stops serve()
  std::thread server_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  int connections_ = 0;                                   // answering now; guarded by mu_
  std::vector<std::uint32_t> sources_;                    // the peer of each; guarded by mu_
  std::vector<Expected> expected_;                        // oldest first; guarded by mu_
  std::chrono::steady_clock::time_point paused_until_{};  // accept() out of descriptors
  std::atomic<std::uint64_t> unanswered_{0};
  std::atomic<bool> started_{false};
};

}  // namespace bulwark::canary
