// The webhook's handler: a review answered with the decision, a body that is not a review a 400,
// and, when it cannot judge (caches not synced), the answer the failure policy gives, counted as
// an error; and the configuration patch it sends (merged by webhook name, never a create).
#include "operator/admission/webhook.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "operator/document/reader.h"
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
        "spec":{"template":{"spec":{"containers":[{"name":"a","image":"r.example.com/a:1","securityContext":{"privileged":true}}]}}}}}})";

class WebhookTest : public ::testing::Test {
 protected:
  WebhookTest() {
    auto t = std::make_unique<testing::FakeTransport>();
    transport = t.get();
    client = std::make_unique<kube::KubeClient>(std::move(t), kube::KubeClient::Options{1000, 1000},
                                                clock);
    policies_cache.put_json(
        R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"deny","uid":"u","generation":1},
            "spec":{"podSecurity":{"level":"baseline"},"enforcement":{"mode":"Enforce","actions":["Deny"]}}})");
    namespaces.put_json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})");
  }
  std::unique_ptr<Webhook> webhook(const std::string& failure_policy) {
    WebhookOptions o;
    o.failure_policy = failure_policy;
    return std::make_unique<Webhook>(
        o, policy_set, namespaces, [this] { return synced; }, *client, clock,
        [this](const std::string&, const std::string&, std::string_view decision,
               base::Clock::Duration) { decisions.emplace_back(decision); });
  }
  document::Value post(Webhook& w, const std::string& body, int want_status = 200) {
    server::Request r;
    r.method = "POST";
    r.path = "/validate";
    r.body = body;
    const auto reply = w.handle(r);
    EXPECT_EQ(reply.status, want_status) << reply.body;
    return want_status == 200 ? document::parse_json(reply.body) : document::Value();
  }

  testing::FakeClock clock;
  testing::FakeTransport* transport = nullptr;
  std::unique_ptr<kube::KubeClient> client;
  testing::FakeCache policies_cache, namespaces;
  reconcilers::PolicySet policy_set{policies_cache, clock};
  bool synced = true;
  std::vector<std::string> decisions;
};

TEST_F(WebhookTest, AReviewIsAnsweredWithTheDecision) {
  auto w = webhook("Ignore");
  const auto answer = post(*w, kReview);
  EXPECT_EQ(answer.find({"response", "uid"})->str(), "u-7");
  EXPECT_EQ(answer.find({"response", "allowed"})->as_bool(), false);
  EXPECT_EQ(decisions, std::vector<std::string>{"denied"});
}

TEST_F(WebhookTest, ABodyThatIsNotAReviewIs400AndCounted) {
  auto w = webhook("Ignore");
  post(*w, "{not json", 400);
  post(*w, R"({"apiVersion":"v1","kind":"Pod"})", 400);
  EXPECT_EQ(decisions, (std::vector<std::string>{"error", "error"}));
}

TEST_F(WebhookTest, UnsyncedCachesAdmitWithAWarningUnderIgnore) {
  synced = false;
  auto w = webhook("Ignore");
  const auto answer = post(*w, kReview);
  EXPECT_EQ(answer.find({"response", "allowed"})->as_bool(), true);
  ASSERT_NE(answer.find({"response", "warnings"}), nullptr);
  EXPECT_NE(answer.find({"response", "warnings"})->items[0].str().find("could not judge"),
            std::string::npos);
  EXPECT_EQ(decisions, std::vector<std::string>{"error"});
}

TEST_F(WebhookTest, UnsyncedCachesRefuseUnderFail) {
  synced = false;
  auto w = webhook("Fail");
  const auto answer = post(*w, kReview);
  EXPECT_EQ(answer.find({"response", "allowed"})->as_bool(), false);
  EXPECT_NE(answer.find({"response", "status", "message"})->str().find("failurePolicy Fail"),
            std::string::npos);
  EXPECT_EQ(decisions, std::vector<std::string>{"error"});
}

// The review of the attack that OOM-killed the operator: 4 MB whose object holds 1,990,000 zeros
// (46 times its size once parsed). The tree stops at 12 times the body: a 400, and the API
// server applies the failure policy.
TEST_F(WebhookTest, ADenseReviewIsRefusedWithinTwelveTimesItsSize) {
  std::string zeros = "0";
  for (int i = 1; i < 1'990'000; ++i) zeros += ",0";
  std::string body = kReview;
  body.replace(body.find(R"("spec":{)"), 0, R"("x":[)" + zeros + "],");
  auto w = webhook("Ignore");
  server::Request r;
  r.method = "POST";
  r.body = body;
  const auto reply = w->handle(r);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("parsed"), std::string::npos) << reply.body.substr(0, 200);
  EXPECT_EQ(decisions, std::vector<std::string>{"error"});
  EXPECT_EQ(post(*w, kReview).find({"response", "allowed"})->as_bool(), false);  // and goes on
}

// Reviews in flight share a memory budget: one that does not fit is shed with 503 (there is no
// uid to answer without parsing), and counted.
TEST_F(WebhookTest, AReviewBeyondTheMemoryBudgetIsShed) {
  WebhookOptions o;
  o.review_memory_budget = 2u << 20;  // less than one review's charge
  Webhook w(
      o, policy_set, namespaces, [] { return true; }, *client, clock,
      [this](const std::string&, const std::string&, std::string_view decision,
             base::Clock::Duration) { decisions.emplace_back(decision); });
  server::Request r;
  r.method = "POST";
  r.body = kReview;
  const auto reply = w.handle(r);
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(decisions, std::vector<std::string>{"error"});
}

// The shipped memory limit holds the sizing rule of docs/api.md for 10,000 pods: the operator's
// resident memory at that size (47.5 MiB measured, README Benchmarks; 48 here) plus the bodies
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

TEST_F(WebhookTest, StartPatchesOnlyTheOneConfigurationByWebhookName) {
  WebhookOptions o;
  o.bind_address = "127.0.0.1:0";
  o.url = "https://127.0.0.1:9443/validate";
  o.failure_policy = "Fail";
  o.timeout_seconds = 5;
  o.certificate_names = {"127.0.0.1"};
  o.own_namespace = "bulwark-system";
  Webhook w(
      o, policy_set, namespaces, [] { return true; }, *client, clock);
  transport->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");  // no Secret yet
  transport->echo(201);                                                            // it is made
  transport->respond(200, "{}");                                                   // the patch
  ASSERT_TRUE(w.start());
  EXPECT_GT(w.port(), 0);
  EXPECT_EQ(w.unready_reason(), "");
  w.stop();
  // The certificate watcher polls on the fake clock, which never waits: whatever it sent after
  // the three requests of start() may only read the Secret or the configuration, never write.
  ASSERT_GE(transport->requests.size(), 3u);
  for (std::size_t i = 3; i < transport->requests.size(); ++i) {
    EXPECT_EQ(transport->requests[i].method, "GET");
    EXPECT_TRUE(transport->requests[i].path ==
                    "/api/v1/namespaces/bulwark-system/secrets/bulwark-webhook-tls" ||
                transport->requests[i].path ==
                    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/bulwark")
        << transport->requests[i].path;
  }
  EXPECT_EQ(transport->requests[1].path, "/api/v1/namespaces/bulwark-system/secrets");
  const auto& r = transport->requests[2];
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.path,
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/bulwark");
  EXPECT_EQ(r.content_type, "application/strategic-merge-patch+json");
  const auto patch = document::parse_json(r.body);
  const auto& hook = patch.find("webhooks")->items.at(0);
  EXPECT_EQ(hook.find("name")->str(), "validate.bulwark.dev");
  EXPECT_EQ(hook.find("failurePolicy")->str(), "Fail");
  EXPECT_EQ(hook.find("timeoutSeconds")->as_int(), 5);
  EXPECT_EQ(hook.find({"clientConfig", "url"})->str(), "https://127.0.0.1:9443/validate");
  EXPECT_TRUE(hook.find({"clientConfig", "service"})->is_null());
  EXPECT_FALSE(hook.find({"clientConfig", "caBundle"})->str().empty());
}

// Without failurePolicy and timeoutSeconds in its config, Bulwark patches neither (an admin's
// value stays), and answers what it cannot judge as the configuration it patched says.
TEST_F(WebhookTest, AnUnsetFailurePolicyIsTheConfigurationsToKeep) {
  WebhookOptions o;
  o.bind_address = "127.0.0.1:0";
  o.certificate_names = {"127.0.0.1"};
  o.own_namespace = "bulwark-system";
  Webhook w(
      o, policy_set, namespaces, [this] { return synced; }, *client, clock);
  transport->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  transport->echo(201);
  transport->respond(200, R"({"webhooks":[{"name":"other.example.com","failurePolicy":"Ignore"},
      {"name":"validate.bulwark.dev","failurePolicy":"Fail","timeoutSeconds":3}]})");
  ASSERT_TRUE(w.start());
  w.stop();
  const auto& r = transport->requests[2];
  ASSERT_EQ(r.method, "PATCH");
  const auto hook = document::parse_json(r.body).find("webhooks")->items.at(0);
  EXPECT_EQ(hook.find("failurePolicy"), nullptr);
  EXPECT_EQ(hook.find("timeoutSeconds"), nullptr);
  synced = false;  // cannot judge: the configuration says Fail
  const auto answer = post(w, kReview);
  EXPECT_EQ(answer.find({"response", "allowed"})->as_bool(), false);
}

TEST_F(WebhookTest, AMissingConfigurationIsNoFailure) {
  WebhookOptions o;
  o.bind_address = "127.0.0.1:0";
  o.certificate_names = {"127.0.0.1"};
  o.own_namespace = "bulwark-system";
  Webhook w(
      o, policy_set, namespaces, [] { return true; }, *client, clock);
  transport->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  transport->echo(201);
  transport->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  EXPECT_TRUE(w.start());  // served; the API server just does not call it yet
  w.stop();
}

TEST_F(WebhookTest, WithoutACertificateItServesButIsNotReady) {
  WebhookOptions o;
  o.bind_address = "127.0.0.1:0";
  o.certificate_names = {"127.0.0.1"};
  o.own_namespace = "bulwark-system";
  Webhook w(
      o, policy_set, namespaces, [] { return true; }, *client, clock);
  transport->fail("connection refused");  // the Secret cannot be read
  ASSERT_TRUE(w.start());
  EXPECT_NE(w.unready_reason(), "");
  w.stop();
}

}  // namespace
}  // namespace bulwark::admission
