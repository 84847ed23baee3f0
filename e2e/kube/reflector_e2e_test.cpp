// The reflector and informer against a real kube-apiserver: 2,000 pods, an API server restart
// while objects change, and a 410 forced by compacting etcd. Every wait polls with a deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "e2e/kube/e2e_support.h"
#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/kube/cluster_config.h"
#include "operator/runtime/reflector.h"

namespace bulwark::runtime {
namespace {

using namespace std::chrono_literals;

using e2e::cluster_dir;
using e2e::eventually;

class ReflectorE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cluster_dir().empty()) GTEST_SKIP() << "run through e2e/with_cluster.sh";
    auto config = kube::resolve_cluster_config("", std::getenv);
    client_ = std::make_unique<kube::KubeClient>(kube::make_cpprest_transport(config),
                                                 kube::KubeClient::Options{500, 1000}, clock_);
    ns_ = "e2e-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (auto& ch : ns_) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    client_->create(kube::resources::kNamespaces, "", R"({"metadata":{"name":")" + ns_ + R"("}})");
  }
  void TearDown() override {
    if (reflector_) reflector_->stop();
    if (thread_.joinable()) thread_.join();
  }

  void start(const kube::ResourceType& type, const std::string& label_selector = "") {
    informer_ = std::make_unique<Informer>([](document::Value&& v) { return std::move(v); });
    Reflector::Options o{type, ns_, {}, 300, 200ms, 2s};
    o.list.label_selector = label_selector;
    reflector_ = std::make_unique<Reflector>(*client_, *informer_, o, clock_, [] { return 0.5; });
    reflector_->set_restart_observer([this](Reflector::Restart r, const std::string&) {
      std::lock_guard lock(mu_);
      restarts_.push_back(r);
    });
    thread_ = std::thread([this] { reflector_->run(); });
    ASSERT_TRUE(eventually([&] { return reflector_->has_synced(); }, 30s));
  }

  bool saw(Reflector::Restart r) {
    std::lock_guard lock(mu_);
    return std::find(restarts_.begin(), restarts_.end(), r) != restarts_.end();
  }

  // The names the API server has now, by a fresh list.
  std::set<std::string> listed(const kube::ResourceType& type, const std::string& selector = "") {
    kube::ListOptions o;
    o.label_selector = selector;
    std::set<std::string> names;
    client_->list(type, ns_, o, [&](document::Value&& v) {
      names.emplace(v.find({"metadata", "name"})->str());
    });
    return names;
  }
  std::set<std::string> cached() {
    std::set<std::string> names;
    for (const auto& key : informer_->keys()) names.insert(key.substr(key.find('/') + 1));
    return names;
  }

  void create_pod(const std::string& name) {
    client_->create(
        kube::resources::kPods, ns_,
        R"({"metadata":{"name":")" + name +
            R"("},"spec":{"automountServiceAccountToken":false,"containers":[{"name":"c","image":"registry.example.com/app:1"}]}})");
  }
  void create_configmap(const std::string& name, bool watched = true) {
    client_->create(kube::resources::kConfigMaps, ns_,
                    R"({"metadata":{"name":")" + name + R"(","labels":{"watched":")" +
                        (watched ? "yes" : "no") + R"("}}})");
  }
  int api(const std::string& action) {
    return std::system(("../cluster/apiserver.sh " + cluster_dir() + " " + action).c_str());
  }

  base::RealClock clock_;
  std::unique_ptr<kube::KubeClient> client_;
  std::string ns_;
  std::unique_ptr<Informer> informer_;
  std::unique_ptr<Reflector> reflector_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Reflector::Restart> restarts_;
};

TEST_F(ReflectorE2E, ListsAndWatchesTwoThousandPods) {
  // Pods need the namespace's default ServiceAccount, which the controller-manager creates.
  ASSERT_TRUE(eventually(
      [&] {
        try {
          client_->get({"", "v1", "serviceaccounts", true}, ns_, "default");
          return true;
        } catch (const kube::ApiError&) {
          return false;
        }
      },
      30s));
  for (int i = 0; i < 1000; ++i) create_pod("before-" + std::to_string(i));
  start(kube::resources::kPods);
  EXPECT_EQ(informer_->size(), 1000u);  // the list alone
  for (int i = 0; i < 1000; ++i) create_pod("after-" + std::to_string(i));
  EXPECT_TRUE(eventually([&] { return informer_->size() == 2000; }, 60s)) << informer_->size();
  for (int i = 0; i < 100; ++i)
    client_->remove(kube::resources::kPods, ns_, "before-" + std::to_string(i));
  EXPECT_TRUE(eventually([&] { return informer_->size() == 1900; }, 60s)) << informer_->size();
  EXPECT_EQ(cached(), listed(kube::resources::kPods));
}

TEST_F(ReflectorE2E, ConvergesAcrossAnApiServerRestartWhileObjectsChange) {
  start(kube::resources::kConfigMaps, "watched=yes");
  std::atomic<bool> writing{true};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; writing; ++i) {
      // Retry each change until the API server takes it: it is away for a while.
      while (writing) {
        try {
          create_configmap("cm-" + std::to_string(i));
          if (i % 3 == 2)
            client_->remove(kube::resources::kConfigMaps, ns_, "cm-" + std::to_string(i - 2));
          ++written;
          break;
        } catch (const kube::ApiError& e) {
          if (e.error_class() == kube::ErrorClass::kConflict) break;  // the create landed before
          std::this_thread::sleep_for(100ms);
        }
      }
    }
  });
  ASSERT_TRUE(eventually([&] { return written > 20; }, 30s));
  ASSERT_EQ(api("stop"), 0);
  ASSERT_EQ(api("start"), 0);
  const int after_restart = written;
  ASSERT_TRUE(eventually([&] { return written > after_restart + 20; }, 60s));
  writing = false;
  writer.join();
  EXPECT_TRUE(saw(Reflector::Restart::kConnection) || saw(Reflector::Restart::kServerClosed));
  const auto truth = listed(kube::resources::kConfigMaps, "watched=yes");
  EXPECT_TRUE(eventually([&] { return cached() == truth; }, 60s))
      << "cache " << cached().size() << " objects, API server " << truth.size();
}

TEST_F(ReflectorE2E, CompactionForcesACleanRelist) {
  // The reflector sees only watched ConfigMaps, so its resourceVersion stays behind while
  // others change; after compaction, re-watching from it must answer 410.
  for (int i = 0; i < 3; ++i) create_configmap("watched-" + std::to_string(i));
  start(kube::resources::kConfigMaps, "watched=yes");
  ASSERT_EQ(informer_->size(), 3u);
  std::string latest;
  for (int i = 0; i < 20; ++i) {
    auto v = client_->create(kube::resources::kConfigMaps, ns_,
                             R"({"metadata":{"name":"other-)" + std::to_string(i) + R"("}})");
    latest = std::string(v.find({"metadata", "resourceVersion"})->str());
  }
  const std::string etcd_port = e2e::cluster_env("ETCD_PORT");
  const std::string compact = "curl -sf -X POST http://127.0.0.1:" + etcd_port +
                              "/v3/kv/compaction -d '{\"revision\": \"" + latest +
                              "\", \"physical\": true}' >/dev/null";
  ASSERT_EQ(std::system(compact.c_str()), 0);
  // Break the watch: the reflector comes back with its old resourceVersion.
  ASSERT_EQ(api("stop"), 0);
  ASSERT_EQ(api("start"), 0);
  create_configmap("watched-new");
  EXPECT_TRUE(eventually([&] { return saw(Reflector::Restart::kExpired); }, 60s));
  EXPECT_TRUE(eventually(
      [&] { return cached() == listed(kube::resources::kConfigMaps, "watched=yes"); }, 60s));
  EXPECT_EQ(informer_->size(), 4u);
}

}  // namespace
}  // namespace bulwark::runtime
