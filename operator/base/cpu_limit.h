#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace bulwark::base {

// How many cores the process may use: the CPUs it may run on (sched_getaffinity), fewer when a
// cgroup's CPU quota allows less (rounded up: a 1.5-core quota is 2), the quota of the process's
// own cgroup or of any above it, cgroup v1 or v2. At least 1. The runtimes that size thread pools
// read the same files (Go's GOMAXPROCS since 1.25, the JVM's container support).
unsigned available_cpus();

// The same, read under `root` instead of "/" (tests give fixture trees): root/proc/self/cgroup,
// root/proc/self/mountinfo and the cgroup files under the mount points it names. `cpus` is what
// the affinity mask allows.
unsigned available_cpus(const std::filesystem::path& root, unsigned cpus);

// The threads a CPU-bound pool should use by default: available_cpus(), but 1 when the process
// runs at idle scheduling priority (SCHED_IDLE, as CI's end-to-end tests beside the timed ones):
// it gets only CPU that nothing else wants, so more threads add no CPU, and threads handing work
// to each other wait to be scheduled at every handoff.
unsigned default_threads();

// The quota of one cgroup, in cores; nullopt for no limit or unreadable text.
// v2: cpu.max, "max 100000" or "150000 100000" (quota, then period, in microseconds).
std::optional<double> cgroup2_cpu_quota(std::string_view cpu_max);
// v1: cpu.cfs_quota_us ("-1" for none) and cpu.cfs_period_us.
std::optional<double> cgroup1_cpu_quota(std::string_view quota_us, std::string_view period_us);

}  // namespace bulwark::base
