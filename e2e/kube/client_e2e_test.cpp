// The Kubernetes client against a real kube-apiserver (e2e/with_cluster.sh provides one):
// TLS both ways, pagination, every write verb, live watch streaming, 410 after compaction,
// and a ServiceAccount token bound by RBAC.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "e2e/kube/e2e_support.h"
#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/watch_decoder.h"

namespace bulwark::kube {
namespace {

using namespace std::chrono_literals;

using e2e::cluster_dir;

class ClientE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cluster_dir().empty()) GTEST_SKIP() << "run through e2e/with_cluster.sh";
    config_ = resolve_cluster_config("", std::getenv);
    client_ = make_client(config_);
    ns_ = "e2e-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (auto& ch : ns_) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    client_->create(resources::kNamespaces, "", R"({"metadata":{"name":")" + ns_ + R"("}})");
  }
  std::unique_ptr<KubeClient> make_client(const ClusterConfig& c) {
    return std::make_unique<KubeClient>(make_cpprest_transport(c), KubeClient::Options{200, 400},
                                        clock_);
  }
  std::string create_configmap(const std::string& name) {
    auto v = client_->create(resources::kConfigMaps, ns_,
                             R"({"metadata":{"name":")" + name + R"("},"data":{"k":"v"}})");
    return std::string(v.find({"metadata", "resourceVersion"})->str());
  }

  base::RealClock clock_;
  ClusterConfig config_;
  std::unique_ptr<KubeClient> client_;
  std::string ns_;
};

TEST_F(ClientE2E, ClientCertificateOverVerifiedTls) {
  auto ns = client_->get(resources::kNamespaces, "", ns_);
  EXPECT_EQ(ns.find({"metadata", "name"})->str(), ns_);
}

TEST_F(ClientE2E, ServerCertificateFromAnotherCaIsRejected) {
  ClusterConfig wrong = config_;
  std::ifstream in(cluster_dir() + "/pki/client-ca.crt");
  std::stringstream ss;
  ss << in.rdbuf();
  wrong.ca_pem = ss.str();  // a real CA, but not the one that signed the serving certificate
  auto client = make_client(wrong);
  try {
    client->get(resources::kNamespaces, "", ns_);
    FAIL() << "TLS verification let a server certificate from another CA through";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 0);
    EXPECT_EQ(e.error_class(), ErrorClass::kRetryable);
  }
}

TEST_F(ClientE2E, ListPagesThroughEveryObject) {
  for (int i = 0; i < 120; ++i) create_configmap("cm-" + std::to_string(i));
  ListOptions o;
  o.limit = 50;
  int pages_items = 0;
  const auto rv = client_->list(resources::kConfigMaps, ns_, o, [&](document::Value&& item) {
    if (item.find({"metadata", "name"})->str().substr(0, 3) == "cm-") {
      ++pages_items;
    }
  });
  EXPECT_EQ(pages_items, 120);
  EXPECT_FALSE(rv.empty());
}

TEST_F(ClientE2E, WriteVerbsAndPreconditions) {
  create_configmap("c");
  auto patched =
      client_->merge_patch(resources::kConfigMaps, ns_, "c",
                           R"({"metadata":{"annotations":{"bulwark.dev/posture":"compliant"}}})");
  EXPECT_EQ(patched.find({"metadata", "annotations", "bulwark.dev/posture"})->str(), "compliant");
  // The real API server answers a merge patch with the metadata only, as asked.
  EXPECT_EQ(patched.find("kind")->str(), "PartialObjectMetadata");
  EXPECT_EQ(patched.find("data"), nullptr);

  const std::string policy =
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata: {name: bulwark-default-deny, namespace: " +
      ns_ +
      "}\n"
      "spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n";
  auto first = client_->apply(resources::kNetworkPolicies, ns_, "bulwark-default-deny", policy,
                              "bulwark", true);
  auto again = client_->apply(resources::kNetworkPolicies, ns_, "bulwark-default-deny", policy,
                              "bulwark", true);
  // Server-side apply of the same intent changes nothing.
  EXPECT_EQ(first.find({"metadata", "resourceVersion"})->str(),
            again.find({"metadata", "resourceVersion"})->str());
  EXPECT_EQ(again.find({"metadata", "managedFields"})->items[0].find("manager")->str(), "bulwark");

  try {
    client_->remove(resources::kConfigMaps, ns_, "c", std::string("not-the-uid"));
    FAIL() << "a delete with the wrong uid precondition went through";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.error_class(), ErrorClass::kConflict);
  }
  client_->remove(resources::kConfigMaps, ns_, "c",
                  std::string(patched.find({"metadata", "uid"})->str()));
  try {
    client_->get(resources::kConfigMaps, ns_, "c");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.error_class(), ErrorClass::kNotFound);
    EXPECT_EQ(e.reason(), "NotFound");
  }
}

// Reads a watch until `name` is ADDED, or the deadline passes. Other objects may show up too
// (the controller-manager publishes kube-root-ca.crt into every new namespace).
bool read_until_added(ResponseStream& stream, WatchDecoder& decoder, const std::string& name,
                      std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::string chunk;
  while (std::chrono::steady_clock::now() < until) {
    while (auto e = decoder.next()) {
      if (e->type == WatchEvent::Type::kAdded &&
          e->object.find({"metadata", "name"})->str() == name) {
        return true;
      }
    }
    chunk.clear();
    if (!stream.read(chunk)) return false;
    decoder.feed(chunk);
  }
  return false;
}

TEST_F(ClientE2E, WatchStreamsEventsAsTheyHappen) {
  const std::string rv = client_->list(resources::kConfigMaps, ns_, {}, [](document::Value&&) {});
  auto stream = client_->watch(resources::kConfigMaps, ns_, rv, 60);
  // Each event must arrive while the stream is still open: create one, read it, create the next.
  WatchDecoder decoder;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "live-" + std::to_string(i);
    create_configmap(name);
    ASSERT_TRUE(read_until_added(*stream, decoder, name, 20s)) << name;
  }
  stream->cancel();
}

TEST_F(ClientE2E, WatchFromACompactedResourceVersionIsGone) {
  const std::string old_rv = create_configmap("before");
  for (int i = 0; i < 5; ++i) create_configmap("after-" + std::to_string(i));
  const std::string latest = create_configmap("latest");
  // Compact etcd past the old revision through its HTTP gateway.
  const std::string cmd = "curl -sf -X POST http://127.0.0.1:" + e2e::cluster_env("ETCD_PORT") +
                          "/v3/kv/compaction -d '{\"revision\": \"" + latest +
                          "\", \"physical\": true}' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  // The API server answers 410 either up front or as an ERROR event in the stream.
  bool gone = false;
  try {
    auto stream = client_->watch(resources::kConfigMaps, ns_, old_rv, 30);
    WatchDecoder decoder;
    std::string chunk;
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!gone && std::chrono::steady_clock::now() < until && stream->read(chunk)) {
      decoder.feed(chunk);
      chunk.clear();
      while (auto e = decoder.next()) {
        if (e->type == WatchEvent::Type::kError && e->object.find("code") != nullptr &&
            e->object.find("code")->as_int() == 410) {
          gone = true;
        }
      }
    }
  } catch (const ApiError& e) {
    gone = e.error_class() == ErrorClass::kGone;
  }
  EXPECT_TRUE(gone);
}

TEST_F(ClientE2E, ServiceAccountTokenIsBoundByRbac) {
  client_->create({"", "v1", "serviceaccounts", true}, ns_, R"({"metadata":{"name":"bot"}})");
  client_->create(
      {"rbac.authorization.k8s.io", "v1", "roles", true}, ns_,
      R"({"metadata":{"name":"cm-reader"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"verbs":["get","list"]}]})");
  client_->create(
      {"rbac.authorization.k8s.io", "v1", "rolebindings", true}, ns_,
      R"({"metadata":{"name":"bot"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"cm-reader"},"subjects":[{"kind":"ServiceAccount","name":"bot","namespace":")" +
          ns_ + R"("}]})");
  auto request = client_->create(
      {"", "v1", "serviceaccounts/bot/token", true}, ns_,
      R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":600}})");
  ClusterConfig as_bot;
  as_bot.server = config_.server;
  as_bot.ca_pem = config_.ca_pem;
  as_bot.token = std::string(request.find({"status", "token"})->str());
  auto bot = make_client(as_bot);
  create_configmap("visible");
  EXPECT_EQ(bot->get(resources::kConfigMaps, ns_, "visible").find({"metadata", "name"})->str(),
            "visible");
  try {
    bot->remove(resources::kConfigMaps, ns_, "visible");
    FAIL() << "RBAC let the token delete";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.error_class(), ErrorClass::kForbidden);
  }
}

}  // namespace
}  // namespace bulwark::kube
