// Benchmark (not a test), run through e2e/with_cluster.sh: creates N pods in the real API server,
// then prints the time `kubectl get pods -A -o json > /dev/null` takes, and the initial sync time
// and resident memory of a pod informer (reflector + compact cache) in a process of its own.
//   usage: informer_bench [N]          (N default 10000)
//          informer_bench sync         (the measured child)
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/kube/e2e_support.h"
#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/kube/cluster_config.h"
#include "operator/runtime/allocator.h"
#include "operator/runtime/informer.h"
#include "operator/runtime/projection.h"
#include "operator/runtime/reflector.h"

using namespace bulwark;
using Clock = std::chrono::steady_clock;

namespace {

long status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::string(field).size());
  }
  return -1;
}

std::unique_ptr<kube::KubeClient> client(base::Clock& clock, double qps) {
  return std::make_unique<kube::KubeClient>(
      kube::make_cpprest_transport(kube::resolve_cluster_config("", std::getenv)),
      kube::KubeClient::Options{qps, static_cast<int>(qps)}, clock);
}

int sync_child() {
  runtime::limit_malloc_arenas();  // as bulwark run does
  base::RealClock clock;
  auto c = client(clock, 100);
  // What the process holds before the cache: libraries, cpprestsdk's thread pool, a first TLS
  // connection.
  c->get(kube::resources::kNamespaces, "", "bench");
  const long baseline = status_kib("VmRSS:");
  runtime::Informer informer(runtime::project_workload);
  runtime::Reflector::Options o{
      kube::resources::kPods,  "", {}, 300, std::chrono::milliseconds(800),
      std::chrono::seconds(30)};
  runtime::Reflector reflector(*c, informer, o, clock, [] { return 0.5; });
  const auto start = Clock::now();
  std::thread t([&] { reflector.run(); });
  while (!reflector.has_synced()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "informer sync:  %6.2f s  %zu pods cached (%.1f MiB of projected JSON as kept)  resident "
      "%.1f MiB (peak %.1f MiB; %.1f MiB before the cache)\n",
      secs, informer.size(), informer.cached_bytes() / 1048576.0, status_kib("VmRSS:") / 1024.0,
      status_kib("VmHWM:") / 1024.0, baseline / 1024.0);
  std::fflush(stdout);
  reflector.stop();
  t.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (std::getenv("BULWARK_E2E_CLUSTER") == nullptr) {
    std::fprintf(stderr, "run through e2e/with_cluster.sh\n");
    return 2;
  }
  if (argc > 1 && std::string(argv[1]) == "sync") return sync_child();
  const int n = argc > 1 ? std::atoi(argv[1]) : 10000;

  base::RealClock clock;
  auto admin = client(clock, 1000);
  admin->create(kube::resources::kNamespaces, "", R"({"metadata":{"name":"bench"}})");
  // Pods need the namespace's default ServiceAccount, which the controller-manager creates.
  for (int i = 0; i < 600; ++i) {
    try {
      admin->get({"", "v1", "serviceaccounts", true}, "bench", "default");
      break;
    } catch (const kube::ApiError&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const auto made = Clock::now();
  std::atomic<int> next{0};
  std::vector<std::thread> creators;
  for (int w = 0; w < 4; ++w) {
    creators.emplace_back([&] {
      base::RealClock c;
      auto k = client(c, 1000);
      for (int i; (i = next++) < n;) {
        // A realistic pod: two containers, env, probes, resources (about 2.5 KB with server
        // fields).
        k->create(
            kube::resources::kPods, "bench",
            R"({"metadata":{"name":"app-)" + std::to_string(i) +
                R"(","labels":{"app":"app","tier":"backend"}},"spec":{"automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"app","image":"registry.example.com/app:1.0","args":["--port=8080","--log-level=info"],"env":[{"name":"MODE","value":"production"},{"name":"REGION","value":"eu-west-1"}],"ports":[{"containerPort":8080,"name":"http"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"500m","memory":"256Mi"}},"readinessProbe":{"httpGet":{"path":"/healthz","port":8080}},"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}},{"name":"proxy","image":"registry.example.com/proxy:1.2","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}})");
      }
    });
  }
  for (auto& t : creators) t.join();
  std::printf("%d pods created in %.1f s\n", n,
              std::chrono::duration<double>(Clock::now() - made).count());

  const std::string kubectl = e2e::cluster_env("BIN") + "/kubectl get pods -A -o json > /dev/null";
  const auto k0 = Clock::now();
  if (std::system(kubectl.c_str()) != 0) return 1;
  const double kubectl_s = std::chrono::duration<double>(Clock::now() - k0).count();
  std::printf("kubectl get pods -A -o json:  %6.2f s\n", kubectl_s);
  std::fflush(stdout);

  const auto s0 = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", argv[0], "sync", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const double child_s = std::chrono::duration<double>(Clock::now() - s0).count();
  std::printf("(the sync process, start to exit: %.2f s; sync / kubectl = see above)\n", child_s);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
