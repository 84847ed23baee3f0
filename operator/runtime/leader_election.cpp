#include "operator/runtime/leader_election.h"

#include <algorithm>
#include <ctime>

#include "operator/document/json_writer.h"
#include "operator/logging/logging.h"

namespace bulwark::runtime {

using document::Value;
using kube::ApiError;
using kube::ErrorClass;

std::string micro_time(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(micros));
  return buf;
}

LeaderElector::LeaderElector(kube::KubeClient& client, Options options, base::Clock& clock)
    : client_(client), options_(std::move(options)), clock_(clock) {}

std::string LeaderElector::lease_json(const std::string& holder, int duration_seconds,
                                      const std::string& acquire_time, int transitions,
                                      const std::string& resource_version) const {
  Value lease = Value::object();
  lease.set("apiVersion", Value::string("coordination.k8s.io/v1"))
      .set("kind", Value::string("Lease"));
  Value& meta = lease.child("metadata");
  meta.set("name", Value::string(options_.name))
      .set("namespace", Value::string(options_.namespace_name));
  if (!resource_version.empty()) meta.set("resourceVersion", Value::string(resource_version));
  lease.child("spec")
      .set("holderIdentity", Value::string(holder))
      .set("leaseDurationSeconds", Value::integer(duration_seconds))
      .set("acquireTime", Value::string(acquire_time))
      .set("renewTime", Value::string(micro_time(clock_.wall_now())))
      .set("leaseTransitions", Value::integer(transitions));
  return document::to_json(lease);
}

std::chrono::milliseconds LeaderElector::time_left() const {
  if (!leader_) return std::chrono::milliseconds::zero();
  const auto since =
      clock_.now() - base::Clock::TimePoint(base::Clock::Duration(renewed_at_.load()));
  return std::chrono::duration_cast<std::chrono::milliseconds>(options_.renew_deadline - since);
}

kube::KubeClient::Timeout LeaderElector::request_bound() const {
  const auto deadline =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.renew_deadline);
  if (!leader_) return deadline;
  // At least a millisecond: zero would mean "the client's default".
  return std::max(time_left(), std::chrono::milliseconds(1));
}

bool LeaderElector::try_acquire_or_renew() {
  const int duration_s = static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.lease_duration).count());
  // Proof of leadership runs from when the request was sent, not from when it was answered.
  const auto attempt = clock_.now();
  auto succeeded = [&] {
    renewed_at_ = attempt.time_since_epoch().count();
    return true;
  };
  Value lease;
  try {
    lease = client_.get(kube::resources::kLeases, options_.namespace_name, options_.name,
                        request_bound());
  } catch (const ApiError& e) {
    if (e.error_class() != ErrorClass::kNotFound) {
      logging::warn("leader election: reading Lease " + options_.namespace_name + "/" +
                    options_.name + ": " + e.what());
      return false;
    }
    try {
      acquire_time_ = micro_time(clock_.wall_now());
      transitions_ = 0;
      client_.create(kube::resources::kLeases, options_.namespace_name,
                     lease_json(options_.identity, duration_s, acquire_time_, 0, ""),
                     request_bound());
      return succeeded();
    } catch (const ApiError& e) {
      logging::warn("leader election: creating Lease " + options_.namespace_name + "/" +
                    options_.name + ": " + e.what());
      return false;  // someone else created it first, or the API server did not answer
    }
  }
  const Value* spec = lease.find("spec");
  auto field = [&](std::string_view k) {
    const Value* v = spec != nullptr ? spec->find(k) : nullptr;
    return v != nullptr ? std::string(v->str()) : std::string();
  };
  const std::string holder = field("holderIdentity");
  const std::string record = holder + "|" + field("renewTime");
  const auto now = clock_.now();
  if (record != observed_record_) {
    observed_record_ = record;
    observed_at_ = now;
  }
  const auto held_for = std::chrono::seconds(std::atoi(field("leaseDurationSeconds").c_str()));
  const bool mine = holder == options_.identity;
  if (!mine && !holder.empty() && now < observed_at_ + held_for) return false;  // someone holds it

  if (!mine) {
    acquire_time_ = micro_time(clock_.wall_now());
    transitions_ = std::atoi(field("leaseTransitions").c_str()) + 1;
  } else {
    acquire_time_ = field("acquireTime");
    transitions_ = std::atoi(field("leaseTransitions").c_str());
  }
  const Value* rv = lease.find({"metadata", "resourceVersion"});
  try {
    client_.replace(kube::resources::kLeases, options_.namespace_name, options_.name,
                    lease_json(options_.identity, duration_s, acquire_time_, transitions_,
                               std::string(rv != nullptr ? rv->str() : "")),
                    request_bound());
    return succeeded();
  } catch (const ApiError& e) {
    if (e.error_class() != ErrorClass::kConflict) {
      logging::warn("leader election: updating Lease " + options_.namespace_name + "/" +
                    options_.name + ": " + e.what());
    }
    return false;  // 409: another candidate updated it first
  }
}

void LeaderElector::release() {
  try {
    Value lease = client_.get(kube::resources::kLeases, options_.namespace_name, options_.name,
                              request_bound());
    const Value* holder = lease.find({"spec", "holderIdentity"});
    if (holder == nullptr || holder->str() != options_.identity) return;
    const Value* rv = lease.find({"metadata", "resourceVersion"});
    // An empty holder and a one-second duration let the next candidate in at once.
    client_.replace(
        kube::resources::kLeases, options_.namespace_name, options_.name,
        lease_json("", 1, acquire_time_, transitions_, std::string(rv != nullptr ? rv->str() : "")),
        request_bound());
  } catch (const ApiError&) {
    // Best effort: the lease then simply expires.
  }
}

void LeaderElector::run(const std::function<void()>& on_started,
                        const std::function<void()>& on_stopped) {
  // Campaign.
  while (!stopping_ && !try_acquire_or_renew()) {
    base::sleep_unless_stopped(clock_, options_.retry_period, stopping_);
  }
  if (stopping_) return;  // never led: nothing to release, no campaign during shutdown
  leader_ = true;
  on_started();
  // Lead: renew every retry period, until the fence has closed (no renew succeeded within the
  // renew deadline) or stop().
  while (!stopping_) {
    base::sleep_unless_stopped(clock_, options_.retry_period, stopping_);
    if (stopping_) break;
    if (!try_acquire_or_renew() && time_left() <= std::chrono::milliseconds::zero()) break;
  }
  leader_ = false;
  // Released only on stop(): after a lost lease it is someone else's, or left to expire.
  if (stopping_) release();
  on_stopped();
}

}  // namespace bulwark::runtime
