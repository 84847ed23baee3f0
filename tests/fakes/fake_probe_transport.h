#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "operator/canary/probe.h"

namespace bulwark::testing {

// A network between the operator and its canaries, as an enforcer would leave it: per canary
// address, the canary ports that let the operator in and the operator ports the canary may reach.
// A port not open is refused (as kube-router answers), or silent with `drops` (as plugins that
// drop); a canary absent from `canaries` answers nothing. Counts what was sent.
class FakeProbeTransport : public canary::ProbeTransport {
 public:
  struct Canary {
    std::set<std::uint16_t> in_open;   // reach the canary
    std::set<std::uint16_t> out_open;  // the canary reaches the operator
  };
  std::map<std::string, Canary> canaries;  // by address
  bool drops = false;

  canary::Reach ping(const std::string& ip, std::uint16_t port, canary::Transport transport,
                     const std::string&) override {
    std::lock_guard lock(mu_);
    ++pings;
    auto c = canaries.find(ip);
    if (c == canaries.end()) return closed(transport);
    return c->second.in_open.count(port) ? canary::Reach::kThrough : closed(transport);
  }
  std::optional<canary::DialResult> ask_dial(const std::string& ip, std::uint16_t port,
                                             canary::Transport, std::uint16_t dial_port,
                                             const std::string& nonce) override {
    std::lock_guard lock(mu_);
    ++dials;
    auto c = canaries.find(ip);
    if (c == canaries.end() || !c->second.in_open.count(port)) return std::nullopt;
    if (!c->second.out_open.count(dial_port)) {
      return drops ? canary::DialResult::kTimeout : canary::DialResult::kRefused;
    }
    if (expected_.count(nonce) && expected_[nonce] == ip) heard_.insert(nonce);
    return canary::DialResult::kOk;
  }
  void expect(const std::string& nonce, const std::string& from) override {
    std::lock_guard lock(mu_);
    expected_[nonce] = from;
  }
  bool heard(const std::string& nonce) override {
    std::lock_guard lock(mu_);
    expected_.erase(nonce);
    return heard_.erase(nonce) > 0;
  }
  int pings = 0, dials = 0;

 private:
  canary::Reach closed(canary::Transport transport) const {
    if (!drops) return canary::Reach::kBlocked;
    // A dropped TCP connection times out (Blocked); a dropped datagram proves nothing.
    return transport == canary::Transport::kTcp ? canary::Reach::kBlocked : canary::Reach::kUnknown;
  }
  std::mutex mu_;
  std::map<std::string, std::string> expected_;
  std::set<std::string> heard_;
};

}  // namespace bulwark::testing
