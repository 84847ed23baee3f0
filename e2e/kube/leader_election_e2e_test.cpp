// Leader election between real processes against a real kube-apiserver.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e/kube/e2e_support.h"
#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/kube/cluster_config.h"

namespace bulwark::runtime {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class Candidate {
 public:
  Candidate(const std::string& ns, const std::string& identity, const fs::path& dir)
      : out_(dir / (identity + ".out")) {
    pid_ = fork();
    if (pid_ == 0) {
      std::freopen(out_.c_str(), "w", stdout);
      execl(LEASE_CANDIDATE, LEASE_CANDIDATE, ns.c_str(), identity.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Candidate() { kill(SIGKILL); }
  void kill(int sig) {
    if (pid_ > 0) {
      ::kill(pid_, sig);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  // Times (ms since the epoch) of the candidate's "leading" lines.
  std::vector<long long> leading() const {
    std::ifstream in(out_);
    std::vector<long long> out;
    std::string word;
    long long t;
    while (in >> word >> t) {
      if (word == "leading") out.push_back(t);
    }
    return out;
  }
  bool has_line(const std::string& what) const {
    std::ifstream in(out_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str().find(what) != std::string::npos;
  }

 private:
  fs::path out_;
  pid_t pid_ = -1;
};

using e2e::eventually;

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(LeaderElectionE2E, ExactlyOneLeadsAndAKilledLeaderIsReplacedWithinTheLease) {
  if (std::getenv("BULWARK_E2E_CLUSTER") == nullptr)
    GTEST_SKIP() << "run through e2e/with_cluster.sh";
  base::RealClock clock;
  kube::KubeClient client(
      kube::make_cpprest_transport(kube::resolve_cluster_config("", std::getenv)), {20, 30}, clock);
  const std::string ns = "e2e-lease";
  client.create(kube::resources::kNamespaces, "", R"({"metadata":{"name":")" + ns + R"("}})");
  const fs::path dir = fs::temp_directory_path() / ("bulwark-lease-" + std::to_string(getpid()));
  fs::create_directories(dir);

  Candidate a(ns, "a", dir), b(ns, "b", dir);
  auto leaders = [&] { return int(!a.leading().empty()) + int(!b.leading().empty()); };
  ASSERT_TRUE(eventually([&] { return leaders() == 1; }, 20s));
  // Stay a while: a second leader must never appear.
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(leaders(), 1);
    std::this_thread::sleep_for(100ms);
  }
  Candidate& leader = a.leading().empty() ? b : a;
  Candidate& follower = a.leading().empty() ? a : b;

  const long long killed_at = now_ms();
  leader.kill(SIGKILL);
  ASSERT_TRUE(eventually([&] { return !follower.leading().empty(); }, 20s));
  const long long takeover_ms = follower.leading().front() - killed_at;
  std::printf("takeover %lld ms after kill -9 (lease 4 s, retry 1 s)\n", takeover_ms);
  std::fflush(stdout);  // before the next fork, or the child repeats it
  // Lease 4 s, retry 1 s: the follower judges expiry from when it last saw the lease change, up
  // to one retry after the last renewal, and notices at its next retry: at most 4 + 1 + 1 s.
  EXPECT_LE(takeover_ms, 6000) << "takeover took " << takeover_ms << " ms";

  // A clean shutdown releases the lease: a newcomer leads within a couple of retries.
  follower.kill(SIGTERM);
  EXPECT_TRUE(follower.has_line("stopped"));
  const long long released_at = now_ms();
  Candidate c(ns, "c", dir);
  ASSERT_TRUE(eventually([&] { return !c.leading().empty(); }, 20s));
  EXPECT_LE(c.leading().front() - released_at, 3000);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace bulwark::runtime
