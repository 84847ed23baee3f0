#include "operator/base/cpu_limit.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "operator/base/files.h"

namespace bulwark::base {

namespace fs = std::filesystem;

namespace {

std::optional<long long> whole_number(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> quota_of(std::optional<long long> quota, std::optional<long long> period) {
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

// A cgroup file's text; "" when it cannot be read (no limit there).
std::string read_text(const fs::path& path) { return read_file(path.string()).value_or(""); }

// A cgroup hierarchy the process is in: where it is mounted and the process's folder in it.
struct Hierarchy {
  bool v2 = false;
  fs::path mount_point;  // e.g. /sys/fs/cgroup/cpu,cpuacct
  fs::path folder;       // the process's cgroup folder, under mount_point
};

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

bool has_cpu_controller(const std::string& list) {
  std::istringstream in(list);
  for (std::string c; std::getline(in, c, ',');) {
    if (c == "cpu") return true;
  }
  return false;
}

// The process's path in the v2 hierarchy ("0::/x") or in the v1 hierarchy holding "cpu".
std::optional<std::string> cgroup_path(const fs::path& root, bool v2) {
  std::ifstream in(root / "proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const bool matches = v2 ? line.compare(0, first, "0") == 0 && controllers.empty()
                            : has_cpu_controller(controllers);
    if (matches) return line.substr(second + 1);
  }
  return std::nullopt;
}

// mountinfo: "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER".
std::optional<Hierarchy> find_hierarchy(const fs::path& root, bool v2) {
  const auto path = cgroup_path(root, v2);
  if (!path) return std::nullopt;
  std::ifstream in(root / "proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    const auto w = words(line);
    std::size_t dash = 0;
    while (dash < w.size() && w[dash] != "-") ++dash;
    if (dash < 5 || dash + 1 >= w.size()) continue;
    const std::string& type = w[dash + 1];
    const bool wanted =
        v2 ? type == "cgroup2"
           : type == "cgroup" && dash + 3 < w.size() && has_cpu_controller(w[dash + 3]);
    if (!wanted) continue;
    // The mount shows the hierarchy from its ROOT down (a container sees its own cgroup as "/").
    const std::string& mount_root = w[3];
    std::string relative = *path;
    if (mount_root != "/") {
      if (relative.compare(0, mount_root.size(), mount_root) != 0) continue;
      relative = relative.substr(mount_root.size());
    }
    Hierarchy h;
    h.v2 = v2;
    h.mount_point = root / fs::path(w[4]).relative_path();
    h.folder = h.mount_point / fs::path(relative).relative_path();
    return h;
  }
  return std::nullopt;
}

std::optional<double> quota_in(const Hierarchy& h, const fs::path& folder) {
  if (h.v2) {
    if (!fs::exists(folder / "cpu.max")) return std::nullopt;
    return cgroup2_cpu_quota(read_text(folder / "cpu.max"));
  }
  if (!fs::exists(folder / "cpu.cfs_quota_us")) return std::nullopt;
  return cgroup1_cpu_quota(read_text(folder / "cpu.cfs_quota_us"),
                           read_text(folder / "cpu.cfs_period_us"));
}

// The smallest quota from the process's folder up to the hierarchy's mount point.
std::optional<double> smallest_quota(const Hierarchy& h) {
  std::optional<double> smallest;
  fs::path folder = h.folder.lexically_normal();
  const fs::path top = h.mount_point.lexically_normal();
  for (int depth = 0; depth < 64; ++depth) {
    if (auto q = quota_in(h, folder); q && (!smallest || *q < *smallest)) smallest = q;
    if (folder == top || !folder.has_parent_path() || folder.parent_path() == folder) break;
    if (folder.native().size() <= top.native().size()) break;
    folder = folder.parent_path();
  }
  return smallest;
}

}  // namespace

std::optional<double> cgroup2_cpu_quota(std::string_view cpu_max) {
  const auto space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto quota = cpu_max.substr(0, space);
  if (quota == "max") return std::nullopt;
  return quota_of(whole_number(quota), whole_number(cpu_max.substr(space + 1)));
}

std::optional<double> cgroup1_cpu_quota(std::string_view quota_us, std::string_view period_us) {
  return quota_of(whole_number(quota_us), whole_number(period_us));
}

unsigned available_cpus(const fs::path& root, unsigned cpus) {
  unsigned result = cpus > 0 ? cpus : 1;
  for (const bool v2 : {true, false}) {
    const auto h = find_hierarchy(root, v2);
    if (!h) continue;
    if (const auto quota = smallest_quota(*h)) {
      const auto cores = static_cast<unsigned>(std::max(1.0, std::ceil(*quota)));
      if (cores < result) result = cores;
    }
  }
  return result;
}

unsigned default_threads() {
  if (sched_getscheduler(0) == SCHED_IDLE) return 1;
  return available_cpus();
}

unsigned available_cpus() {
  cpu_set_t set;
  unsigned cpus = 0;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = static_cast<unsigned>(CPU_COUNT(&set));
  return available_cpus("/", cpus);
}

}  // namespace bulwark::base
