#pragma once

// What the e2e programs share: the cluster e2e/with_cluster.sh brought up, and polling.

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace bulwark::e2e {

// The cluster folder (env, pki, logs), or "" when not run through e2e/with_cluster.sh.
inline std::string cluster_dir() {
  const char* d = std::getenv("BULWARK_E2E_CLUSTER");
  return d != nullptr ? d : "";
}

// A value from the cluster's env file (APISERVER_PORT, ETCD_PORT, BIN...).
inline std::string cluster_env(const std::string& key) {
  std::ifstream in(cluster_dir() + "/env");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

// Polls `pred` until it holds or the deadline passes; the last answer is returned.
template <class Pred>
bool eventually(Pred pred, std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling interval
  }
  return pred();
}

}  // namespace bulwark::e2e
