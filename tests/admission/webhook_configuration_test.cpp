// The configuration's kube adapter: the one webhook's fields merged by name (a strategic merge
// patch, never a create), the failure policy and timeout only when set, and the configuration's
// own failurePolicy read back.
#include "app/admission/webhook_configuration.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "operator/kube/client.h"
#include "tests/base/fake_clock.h"
#include "tests/kube/fake_transport.h"

namespace bulwark::admission {
namespace {

class WebhookConfigurationTest : public ::testing::Test {
 protected:
  WebhookConfigurationTest() {
    auto t = std::make_unique<testing::FakeTransport>();
    transport = t.get();
    client = std::make_unique<kube::KubeClient>(std::move(t), kube::KubeClient::Options{1000, 1000},
                                                clock);
  }
  testing::FakeClock clock;
  testing::FakeTransport* transport = nullptr;
  std::unique_ptr<kube::KubeClient> client;
};

constexpr const char* kConfiguration =
    R"({"webhooks":[{"name":"other.example.com","failurePolicy":"Ignore"},
        {"name":"validate.bulwark.dev","failurePolicy":"Fail","timeoutSeconds":3}]})";

TEST_F(WebhookConfigurationTest, PatchesOnlyTheOneWebhookByName) {
  KubeWebhookConfiguration c(*client);
  transport->respond(200, kConfiguration);
  const auto state = c.apply({"CA PEM", "https://127.0.0.1:9443/validate", "Fail", 5});
  EXPECT_TRUE(state.found);
  EXPECT_EQ(state.failure_policy, "Fail");  // the webhook's, not the other one's
  const auto& r = transport->requests.at(0);
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.path,
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/bulwark");
  EXPECT_EQ(r.content_type, "application/strategic-merge-patch+json");
  const auto patch = document::parse_json(r.body);
  ASSERT_EQ(patch.find("webhooks")->items.size(), 1u);
  const auto& hook = patch.find("webhooks")->items[0];
  EXPECT_EQ(hook.find("name")->str(), "validate.bulwark.dev");
  EXPECT_EQ(hook.find("failurePolicy")->str(), "Fail");
  EXPECT_EQ(hook.find("timeoutSeconds")->as_int(), 5);
  EXPECT_EQ(hook.find({"clientConfig", "url"})->str(), "https://127.0.0.1:9443/validate");
  EXPECT_TRUE(hook.find({"clientConfig", "service"})->is_null());
  EXPECT_EQ(hook.find({"clientConfig", "caBundle"})->str(), "Q0EgUEVN");  // base64
}

// Unset, the failure policy, timeout and url are not in the patch: the configuration keeps its
// own (an admin's kubectl patch, the manifest's service).
TEST_F(WebhookConfigurationTest, WhatIsUnsetStaysTheConfigurations) {
  KubeWebhookConfiguration c(*client);
  transport->respond(200, kConfiguration);
  c.apply({"CA PEM", "", "", 0});
  const auto hook = document::parse_json(transport->requests.at(0).body).find("webhooks")->items[0];
  EXPECT_EQ(hook.find("failurePolicy"), nullptr);
  EXPECT_EQ(hook.find("timeoutSeconds"), nullptr);
  EXPECT_EQ(hook.find({"clientConfig", "url"}), nullptr);
  EXPECT_EQ(hook.find({"clientConfig", "service"}), nullptr);
}

TEST_F(WebhookConfigurationTest, AMissingConfigurationIsNotFoundNotAnError) {
  KubeWebhookConfiguration c(*client);
  transport->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  transport->respond(404, R"({"kind":"Status","reason":"NotFound","code":404})");
  EXPECT_FALSE(c.apply({"CA PEM", "", "", 0}).found);
  EXPECT_FALSE(c.read().found);
  transport->respond(403, R"({"kind":"Status","reason":"Forbidden","code":403})");
  EXPECT_THROW(c.read(), kube::ApiError);
}

}  // namespace
}  // namespace bulwark::admission
