#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/kube/object_writer.h"

namespace bulwark::runtime {

// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics: a candidate
// takes the lease when it is free or has not been renewed for a lease duration, as measured by
// when this candidate last saw the record change (so clocks need not agree); the leader renews
// every retry period; updates carry the resourceVersion, so two candidates cannot both win.
// Fenced: the elector is the WriteFence of the replica's writes. Leadership is proven for the
// renew deadline from the start of the last successful renew (monotonic clock); past that no
// write is admitted, whether the renew failed, hangs, or the process was frozen. Every request it
// makes is bounded by that same time. It leads at most once: after losing, run() returns and the
// replica exits rather than campaign again. stop() releases a lease it holds so another replica
// takes over at once, and before leading ends the campaign. run() blocks; stop() and time_left()
// may be called from any thread.
class LeaderElector : public kube::WriteFence {
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

  // Campaigns until it leads or stop(); calls on_started when it becomes leader, then leads until
  // it can no longer renew or stop(), and calls on_stopped. Returns then.
  void run(const std::function<void()>& on_started, const std::function<void()>& on_stopped);
  void stop() { stopping_ = true; }
  bool is_leader() const { return leader_.load(); }
  std::chrono::milliseconds time_left() const override;

 private:
  bool try_acquire_or_renew();
  // The bound for the next request: while leading, what the fence has left; else the deadline.
  kube::KubeClient::Timeout request_bound() const;
  void release();
  std::string lease_json(const std::string& holder, int duration_seconds,
                         const std::string& acquire_time, int transitions,
                         const std::string& resource_version) const;

  kube::KubeClient& client_;
  Options options_;
  base::Clock& clock_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> leader_{false};
  // clock_.now() at the start of the last successful acquire or renew, as a count since the
  // clock's epoch (atomic for time_left()).
  std::atomic<base::Clock::Duration::rep> renewed_at_{0};
  // Only the run() thread touches these.
  std::string observed_record_;  // holder + renewTime as last read
  base::Clock::TimePoint observed_at_;
  std::string acquire_time_;
  int transitions_ = 0;
};

// "2026-11-28T10:00:00.123456Z", the MicroTime format Leases use.
std::string micro_time(std::chrono::system_clock::time_point t);

}  // namespace bulwark::runtime
