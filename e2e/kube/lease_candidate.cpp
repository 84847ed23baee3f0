// A leader-election candidate for the e2e tests: campaigns for a Lease and prints
// "leading" / "stopped" lines with a millisecond timestamp. SIGTERM releases the lease and exits.
//   usage: lease_candidate NAMESPACE IDENTITY
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "operator/kube/client.h"
#include "operator/kube/cluster_config.h"
#include "operator/runtime/leader_election.h"

namespace {
bulwark::runtime::LeaderElector* g_elector = nullptr;
void on_term(int) {
  if (g_elector != nullptr) g_elector->stop();  // stop() only stores an atomic flag
}
long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: lease_candidate NAMESPACE IDENTITY\n");
    return 2;
  }
  bulwark::base::RealClock clock;
  bulwark::kube::KubeClient client(
      bulwark::kube::make_cpprest_transport(bulwark::kube::resolve_cluster_config("", std::getenv)),
      {20, 30}, clock);
  bulwark::runtime::LeaderElector::Options o;
  o.namespace_name = argv[1];
  o.identity = argv[2];
  o.lease_duration = std::chrono::seconds(4);
  o.renew_deadline = std::chrono::seconds(3);
  o.retry_period = std::chrono::seconds(1);
  bulwark::runtime::LeaderElector elector(client, o, clock);
  g_elector = &elector;
  std::signal(SIGTERM, on_term);
  elector.run(
      [] {
        std::printf("leading %lld\n", now_ms());
        std::fflush(stdout);
      },
      [] {
        std::printf("stopped %lld\n", now_ms());
        std::fflush(stdout);
      });
  return 0;
}
