// The webhook as a whole: what it patches into the configuration (values, through the fake
// configuration), the configuration's failurePolicy followed for what it cannot judge, a missing
// configuration and a missing certificate, and the shipped memory limit against its bounds.
#include "app/admission/webhook.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "operator/document/reader.h"
#include "tests/admission/fake_webhook_configuration.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"
#include "tests/kube/fake_transport.h"
#include "tests/support/paths.h"

namespace bulwark::admission {
namespace {

const char* const kReview =
    R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-7",
        "kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE","namespace":"shop",
        "name":"web","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
        "spec":{"template":{"spec":{"containers":[{"name":"a","image":"r.example.com/a:1"}]}}}}}})";

class WebhookTest : public ::testing::Test {
 protected:
  WebhookTest() {
    auto t = std::make_unique<testing::FakeTransport>();
    transport = t.get();
    client = std::make_unique<kube::KubeClient>(std::move(t), kube::KubeClient::Options{1000, 1000},
                                                clock);
    auto c = std::make_unique<testing::FakeWebhookConfiguration>();
    configuration = c.get();
    configuration_owned = std::move(c);
  }
  // A webhook on a free port whose certificate Bulwark keeps: the Secret is created at start.
  std::unique_ptr<Webhook> webhook(WebhookOptions o) {
    o.bind_address = "127.0.0.1:0";
    o.certificate_names = {"127.0.0.1"};
    o.own_namespace = "bulwark-system";
    transport->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");  // no Secret
    transport->echo(201);                                                            // made
    return std::make_unique<Webhook>(
        std::move(o), policy_set, namespaces, [this] { return synced; }, *client, clock,
        ReviewObserver{}, std::move(configuration_owned));
  }
  bool allowed(Webhook& w) {
    server::Request r;
    r.method = "POST";
    r.body = kReview;
    return document::parse_json(w.handle(r).body).find({"response", "allowed"})->as_bool().value();
  }

  testing::FakeClock clock;
  testing::FakeTransport* transport = nullptr;
  std::unique_ptr<kube::KubeClient> client;
  testing::FakeWebhookConfiguration* configuration = nullptr;
  std::unique_ptr<WebhookConfiguration> configuration_owned;
  testing::FakeCache policies_cache, namespaces;
  reconcilers::PolicySet policy_set{policies_cache};
  bool synced = true;
};

TEST_F(WebhookTest, StartPatchesTheConfigurationWithTheCertificatesCa) {
  WebhookOptions o;
  o.url = "https://127.0.0.1:9443/validate";
  o.failure_policy = "Fail";
  o.timeout_seconds = 5;
  auto w = webhook(o);
  ASSERT_TRUE(w->start());
  EXPECT_GT(w->port(), 0);
  EXPECT_EQ(w->unready_reason(), "");
  w->stop();
  ASSERT_GE(configuration->patches.size(), 1u);
  const auto& p = configuration->patches[0];
  EXPECT_NE(p.ca_bundle.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_EQ(p.url, "https://127.0.0.1:9443/validate");
  EXPECT_EQ(p.failure_policy, "Fail");
  EXPECT_EQ(p.timeout_seconds, 5);
  // The certificate watcher polls on the fake clock, which never waits: after start() it may only
  // read the Secret, never write it.
  for (std::size_t i = 2; i < transport->requests.size(); ++i) {
    EXPECT_EQ(transport->requests[i].method, "GET");
  }
}

// Without failurePolicy and timeoutSeconds in its config, Bulwark patches neither (an admin's
// value stays), and answers what it cannot judge as the configuration says, then and as read
// again each minute.
TEST_F(WebhookTest, AnUnsetFailurePolicyIsTheConfigurationsToKeepAndFollow) {
  configuration->state = {true, "Fail", "", ""};
  auto w = webhook({});
  ASSERT_TRUE(w->start());
  ASSERT_GE(configuration->patches.size(), 1u);
  EXPECT_EQ(configuration->patches[0].failure_policy, "");
  EXPECT_EQ(configuration->patches[0].timeout_seconds, 0);
  synced = false;  // cannot judge
  EXPECT_FALSE(allowed(*w));
  w->stop();
}

// Issue 34: a CA bundle someone changed (a stolen token, say) makes every call fail TLS, which
// failurePolicy Ignore turns into admitting everything. It is put back at the next minute's read,
// not at the next certificate.
TEST_F(WebhookTest, ACaBundleSomeoneChangedIsPutBack) {
  auto w = webhook({});
  ASSERT_TRUE(w->start());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (configuration->patch_count() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const std::size_t before = configuration->patch_count();
  ASSERT_GE(before, 1u);
  configuration->tamper("Ym9ndXM=");
  while (configuration->patch_count() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  w->stop();
  ASSERT_GT(configuration->patches.size(), before);
  EXPECT_NE(configuration->patches.back().ca_bundle.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(configuration->state.ca_bundle, "Ym9ndXM=");
}

TEST_F(WebhookTest, AMissingConfigurationIsNoFailure) {
  configuration->state = {};
  auto w = webhook({});
  EXPECT_TRUE(w->start());  // served; the API server just does not call it yet
  synced = false;
  EXPECT_TRUE(allowed(*w));  // nothing says Fail
  w->stop();
}

TEST_F(WebhookTest, WithoutACertificateItServesButIsNotReady) {
  WebhookOptions o;
  o.bind_address = "127.0.0.1:0";
  o.certificate_names = {"127.0.0.1"};
  o.own_namespace = "bulwark-system";
  Webhook w(
      o, policy_set, namespaces, [this] { return synced; }, *client, clock, ReviewObserver{},
      std::move(configuration_owned));
  configuration->state = {true, "Fail", "", ""};
  transport->fail("connection refused");  // the Secret cannot be read
  ASSERT_TRUE(w.start());
  EXPECT_NE(w.unready_reason(), "");
  synced = false;
  EXPECT_FALSE(allowed(w));  // the configuration, read at start all the same, says Fail
  w.stop();
  EXPECT_TRUE(configuration->patches.empty());  // nothing trusts a certificate not served
}

// The shipped memory limit holds the sizing rule of docs/api.md for 10,000 pods: the operator's
// resident memory at that size (47.5 MiB measured, docs/benchmarks.md; 48 here) plus the bodies
// and the reviews admission may hold.
TEST(WebhookMemory, TheShippedLimitHoldsTheBoundsAtTenThousandPods) {
  std::ifstream in(std::string(test::source_dir()) + "/deploy/operator/deployment.yaml");
  std::stringstream text;
  text << in.rdbuf();
  const std::string yaml = text.str();
  const auto limits = yaml.find("limits:");
  ASSERT_NE(limits, std::string::npos);
  const auto memory = yaml.find("memory:", limits);
  ASSERT_NE(memory, std::string::npos);
  const std::size_t mebibytes = std::stoul(yaml.substr(memory + 7));
  ASSERT_EQ(
      yaml.substr(yaml.find_first_not_of(' ', memory + 7) + std::to_string(mebibytes).size(), 2),
      "Mi");
  constexpr std::size_t kResidentAtTenThousandPods = 48u << 20;
  EXPECT_GE(mebibytes << 20, kResidentAtTenThousandPods + kBodyBytesInFlight + kReviewMemoryBudget);
}

}  // namespace
}  // namespace bulwark::admission
