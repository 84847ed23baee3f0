#pragma once

#include <chrono>
#include <mutex>

#include "operator/base/clock.h"
#include "reconcilers/harden_scope.h"

namespace bulwark::kube {
class KubeClient;
}

namespace bulwark::cli {

// Whether Harden can work in this cluster (reconcilers::HardenInstall): API discovery of
// MutatingAdmissionPolicy, then a GET of the chart's bulwark-harden and of its binding. Asked at
// most every 10 seconds (each policy's status asks); an error of the API server is kUnknown,
// never installed. Thread-safe.
class HardenProbe {
 public:
  HardenProbe(kube::KubeClient& client, base::Clock& clock) : client_(client), clock_(clock) {}
  reconcilers::HardenInstall state();

 private:
  reconcilers::HardenInstall ask();

  kube::KubeClient& client_;
  base::Clock& clock_;
  std::mutex mu_;
  reconcilers::HardenInstall last_ = reconcilers::HardenInstall::kUnknown;  // guarded by mu_
  std::chrono::steady_clock::time_point asked_{};                           // guarded by mu_
  bool ever_asked_ = false;                                                 // guarded by mu_
};

}  // namespace bulwark::cli
