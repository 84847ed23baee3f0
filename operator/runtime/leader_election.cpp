#include "operator/runtime/leader_election.h"

#include <ctime>

#include "operator/document/json_writer.h"

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

bool LeaderElector::try_acquire_or_renew() {
  const int duration_s = static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.lease_duration).count());
  Value lease;
  try {
    lease = client_.get(kube::resources::kLeases, options_.namespace_name, options_.name);
  } catch (const ApiError& e) {
    if (e.error_class() != ErrorClass::kNotFound) return false;
    try {
      acquire_time_ = micro_time(clock_.wall_now());
      transitions_ = 0;
      client_.create(kube::resources::kLeases, options_.namespace_name,
                     lease_json(options_.identity, duration_s, acquire_time_, 0, ""));
      return true;
    } catch (const ApiError&) {
      return false;  // someone else created it first
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
                               std::string(rv != nullptr ? rv->str() : "")));
    return true;
  } catch (const ApiError&) {
    return false;  // 409: another candidate updated it first
  }
}

void LeaderElector::release() {
  try {
    Value lease = client_.get(kube::resources::kLeases, options_.namespace_name, options_.name);
    const Value* holder = lease.find({"spec", "holderIdentity"});
    if (holder == nullptr || holder->str() != options_.identity) return;
    const Value* rv = lease.find({"metadata", "resourceVersion"});
    // An empty holder and a one-second duration let the next candidate in at once.
    client_.replace(kube::resources::kLeases, options_.namespace_name, options_.name,
                    lease_json("", 1, acquire_time_, transitions_,
                               std::string(rv != nullptr ? rv->str() : "")));
  } catch (const ApiError&) {
    // Best effort: the lease then simply expires.
  }
}

void LeaderElector::run(const std::function<void()>& on_started,
                        const std::function<void()>& on_stopped) {
  while (!stopping_) {
    // Campaign.
    while (!stopping_ && !try_acquire_or_renew())
      base::sleep_unless_stopped(clock_, options_.retry_period, stopping_);
    if (stopping_) break;
    leader_ = true;
    on_started();
    // Lead: renew every retry period; give up when renewals fail for the renew deadline.
    auto last_renew = clock_.now();
    while (!stopping_) {
      base::sleep_unless_stopped(clock_, options_.retry_period, stopping_);
      if (stopping_) break;
      if (try_acquire_or_renew()) {
        last_renew = clock_.now();
      } else if (clock_.now() - last_renew >= options_.renew_deadline) {
        break;
      }
    }
    leader_ = false;
    if (stopping_) release();
    on_stopped();
  }
}

}  // namespace bulwark::runtime
