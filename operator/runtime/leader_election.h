#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "operator/base/clock.h"
#include "operator/kube/client.h"

namespace bulwark::runtime {

// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a candidate
// takes the lease when it is free or has not been renewed for a lease duration, as measured by
// when this candidate last saw the record change (so clocks need not agree); the leader renews
// every retry period and gives up if it cannot renew within the renew deadline; updates carry the
// resourceVersion, so two candidates cannot both win. stop() releases the lease so another
// replica takes over at once. run() blocks; stop() may be called from any thread.
class LeaderElector {
 public:
  struct Options {
    std::string namespace_name = "bulwark-system";
    std::string name = "bulwark-leader";
    std::string identity;  // unique per replica: the pod name, or host and pid
    base::Clock::Duration lease_duration = std::chrono::seconds(15);
    base::Clock::Duration renew_deadline = std::chrono::seconds(10);
    base::Clock::Duration retry_period = std::chrono::seconds(2);
  };
  LeaderElector(kube::KubeClient& client, Options options, base::Clock& clock);

  // Campaigns until stop(). Calls on_started when it becomes leader and on_stopped when it stops
  // being leader (lost, or released by stop()). It may lead more than once.
  void run(const std::function<void()>& on_started, const std::function<void()>& on_stopped);
  void stop() { stopping_ = true; }
  bool is_leader() const { return leader_.load(); }

 private:
  bool try_acquire_or_renew();
  void release();
  std::string lease_json(const std::string& holder, int duration_seconds,
                         const std::string& acquire_time, int transitions,
                         const std::string& resource_version) const;

  kube::KubeClient& client_;
  Options options_;
  base::Clock& clock_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> leader_{false};
  // Only the run() thread touches these.
  std::string observed_record_;  // holder + renewTime as last read
  base::Clock::TimePoint observed_at_;
  std::string acquire_time_;
  int transitions_ = 0;
};

// "2026-11-28T10:00:00.123456Z", the MicroTime format Leases use.
std::string micro_time(std::chrono::system_clock::time_point t);

}  // namespace bulwark::runtime
