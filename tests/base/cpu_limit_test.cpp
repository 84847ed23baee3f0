// The cores a process may use, from fixture trees laid out as /proc and /sys/fs/cgroup are.
#include "operator/base/cpu_limit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace bulwark::base {
namespace {

namespace fs = std::filesystem;

class Tree {
 public:
  Tree()
      : root_(fs::temp_directory_path() /
              ("bulwark-cpu-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_))) {}
  ~Tree() { fs::remove_all(root_); }
  void write(const std::string& path, const std::string& text) const {
    fs::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << text;
  }
  const fs::path& root() const { return root_; }

 private:
  static inline int counter_ = 0;
  fs::path root_;
};

TEST(CpuLimit, ParsesTheQuotaFilesOfBothVersions) {
  EXPECT_FALSE(cgroup2_cpu_quota("max 100000\n").has_value());
  EXPECT_DOUBLE_EQ(*cgroup2_cpu_quota("150000 100000\n"), 1.5);
  EXPECT_DOUBLE_EQ(*cgroup2_cpu_quota("400000 100000"), 4.0);
  EXPECT_FALSE(cgroup2_cpu_quota("").has_value());
  EXPECT_FALSE(cgroup2_cpu_quota("abc 100000").has_value());
  EXPECT_FALSE(cgroup2_cpu_quota("100000 0").has_value());
  EXPECT_FALSE(cgroup1_cpu_quota("-1\n", "100000\n").has_value());
  EXPECT_DOUBLE_EQ(*cgroup1_cpu_quota("50000\n", "100000\n"), 0.5);
  EXPECT_FALSE(cgroup1_cpu_quota("50000", "").has_value());
  EXPECT_FALSE(cgroup1_cpu_quota("5x", "100000").has_value());
}

// cgroup v2, as a pod sees it: the hierarchy mounted at the pod's cgroup, a quota of 1.5 cores
// (rounded up to 2); a limit on a parent counts too.
TEST(CpuLimit, CgroupV2QuotaOfTheProcessOrAParent) {
  Tree t;
  t.write("proc/self/cgroup", "0::/kubepods/pod1/c1\n");
  t.write("proc/self/mountinfo",
          "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
  t.write("sys/fs/cgroup/kubepods/pod1/c1/cpu.max", "max 100000\n");
  t.write("sys/fs/cgroup/kubepods/pod1/cpu.max", "150000 100000\n");
  t.write("sys/fs/cgroup/kubepods/cpu.max", "max 100000\n");
  EXPECT_EQ(available_cpus(t.root(), 8), 2u);
  EXPECT_EQ(available_cpus(t.root(), 1), 1u);  // the affinity mask is smaller still
  t.write("sys/fs/cgroup/kubepods/pod1/c1/cpu.max", "50000 100000\n");
  EXPECT_EQ(available_cpus(t.root(), 8), 1u);  // half a core is one thread
}

// A container whose cgroup namespace shows its own cgroup as the mount's root ("/").
TEST(CpuLimit, CgroupV2MountedAtTheContainersOwnCgroup) {
  Tree t;
  t.write("proc/self/cgroup", "0::/\n");
  t.write("proc/self/mountinfo", "612 600 0:30 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n");
  t.write("sys/fs/cgroup/cpu.max", "300000 100000\n");
  EXPECT_EQ(available_cpus(t.root(), 16), 3u);
}

// cgroup v1 (this project's machine): the cpu controller's hierarchy, mounted with cpuacct, and
// a mount whose root is the process's parent cgroup.
TEST(CpuLimit, CgroupV1QuotaOfTheCpuHierarchy) {
  Tree t;
  t.write("proc/self/cgroup", "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n");
  t.write("proc/self/mountinfo",
          "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
          "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
          "36 31 0:33 /docker /sys/fs/cgroup/cpu,cpuacct rw shared:9 - cgroup cgroup "
          "rw,cpu,cpuacct\n");
  t.write("sys/fs/cgroup/cpu,cpuacct/abc/cpu.cfs_quota_us", "200000\n");
  t.write("sys/fs/cgroup/cpu,cpuacct/abc/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(available_cpus(t.root(), 8), 2u);
  t.write("sys/fs/cgroup/cpu,cpuacct/abc/cpu.cfs_quota_us", "-1\n");
  EXPECT_EQ(available_cpus(t.root(), 8), 8u);
}

// Nothing readable: the affinity mask decides, and never fewer than one.
TEST(CpuLimit, NoCgroupFilesLeaveTheAffinityMask) {
  Tree t;
  EXPECT_EQ(available_cpus(t.root(), 6), 6u);
  EXPECT_EQ(available_cpus(t.root(), 0), 1u);
  EXPECT_GE(available_cpus(), 1u);
}

}  // namespace
}  // namespace bulwark::base
