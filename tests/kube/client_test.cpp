// The Kubernetes client over a fake transport: paging, verbs, errors, rate limit, watch.
#include "operator/kube/client.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "tests/base/fake_clock.h"
#include "tests/kube/fake_transport.h"

namespace bulwark::kube {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::FakeTransport;

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() {
    auto t = std::make_unique<FakeTransport>();
    transport_ = t.get();
    client_ = std::make_unique<KubeClient>(std::move(t), KubeClient::Options{1000, 1000}, clock_);
  }
  FakeClock clock_;
  FakeTransport* transport_;
  std::unique_ptr<KubeClient> client_;
};

TEST_F(ClientTest, ListFollowsContinueTokensAndReturnsTheResourceVersion) {
  transport_->respond(
      200,
      R"({"metadata":{"resourceVersion":"10","continue":"tok 1"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})");
  transport_->respond(
      200, R"({"metadata":{"resourceVersion":"10"},"items":[{"metadata":{"name":"c"}}]})");
  std::vector<std::string> names;
  ListOptions o;
  o.limit = 2;
  o.label_selector = "app=web";
  const auto rv = client_->list(resources::kPods, "", o, [&](document::Value&& item) {
    names.emplace_back(item.find({"metadata", "name"})->str());
  });
  EXPECT_EQ(rv, "10");
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(transport_->requests.size(), 2u);
  EXPECT_EQ(transport_->requests[0].path, "/api/v1/pods?limit=2&labelSelector=app%3Dweb");
  EXPECT_EQ(transport_->requests[1].path,
            "/api/v1/pods?limit=2&labelSelector=app%3Dweb&continue=tok%201");
}

TEST_F(ClientTest, ErrorsCarryTheStatusReasonAndClass) {
  transport_->respond(
      404,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" not found","reason":"NotFound","code":404})");
  try {
    client_->get(resources::kPods, "ns", "x");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 404);
    EXPECT_EQ(e.reason(), "NotFound");
    EXPECT_EQ(e.error_class(), ErrorClass::kNotFound);
    EXPECT_NE(std::string(e.what()).find(
                  "GET /api/v1/namespaces/ns/pods/x: 404 NotFound: pods \"x\" not found"),
              std::string::npos)
        << e.what();
  }
  transport_->respond(502, "<html>bad gateway</html>");
  try {
    client_->get(resources::kPods, "ns", "x");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.error_class(), ErrorClass::kRetryable);
    EXPECT_NE(std::string(e.what()).find("bad gateway"), std::string::npos);
  }
  transport_->fail("connection refused");
  try {
    client_->get(resources::kPods, "ns", "x");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 0);
    EXPECT_EQ(e.error_class(), ErrorClass::kRetryable);
  }
}

TEST_F(ClientTest, WritesUseTheRightVerbsAndContentTypes) {
  for (int i = 0; i < 5; ++i) transport_->respond(200, "{}");
  client_->create(resources::kConfigMaps, "ns", R"({"metadata":{"name":"c"}})");
  client_->merge_patch(resources::kDeployments, "ns", "d",
                       R"({"metadata":{"annotations":{"a":"b"}}})");
  client_->apply(resources::kNetworkPolicies, "ns", "bulwark-default-deny", "kind: NetworkPolicy",
                 "bulwark", true);
  client_->update_status(resources::kDeployments, "ns", "d", "{}");
  client_->remove(resources::kPods, "ns", "p", std::string("uid-1"), std::nullopt);
  const auto& r = transport_->requests;
  EXPECT_EQ(r[0].method, "POST");
  EXPECT_EQ(r[0].path, "/api/v1/namespaces/ns/configmaps");
  EXPECT_EQ(r[1].method, "PATCH");
  EXPECT_EQ(r[1].content_type, "application/merge-patch+json");
  // A merge patch asks for the metadata only (the posture's 10,000 patches read nothing more).
  ASSERT_EQ(r[1].headers.size(), 1u);
  EXPECT_EQ(r[1].headers[0].first, "Accept");
  EXPECT_EQ(r[1].headers[0].second.rfind("application/json;as=PartialObjectMetadata;", 0), 0u);
  EXPECT_EQ(r[2].path,
            "/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies/bulwark-default-deny"
            "?fieldManager=bulwark&force=true");
  EXPECT_EQ(r[2].content_type, "application/apply-patch+yaml");
  EXPECT_EQ(r[3].method, "PUT");
  EXPECT_EQ(r[3].path, "/apis/apps/v1/namespaces/ns/deployments/d/status");
  EXPECT_EQ(r[4].method, "DELETE");
  EXPECT_NE(r[4].body.find(R"("preconditions":{"uid":"uid-1"})"), std::string::npos);
}

TEST(ClientRateLimit, WaitsOutTheBucket) {
  FakeClock clock;
  auto t = std::make_unique<FakeTransport>();
  auto* transport = t.get();
  KubeClient client(std::move(t), KubeClient::Options{5, 2}, clock);
  for (int i = 0; i < 6; ++i) transport->respond(200, "{}");
  const auto start = clock.now();
  for (int i = 0; i < 6; ++i) client.get(resources::kPods, "ns", "p");
  // Burst of 2, then 4 more at 5 a second: 0.8 s of waiting.
  EXPECT_EQ(clock.now() - start, std::chrono::duration_cast<base::Clock::Duration>(800ms));
}

TEST_F(ClientTest, WatchAsksForBookmarksFromTheResourceVersion) {
  transport_->stream({200, {"{\"type\":\"ADDED\",\"object\":{}}\n"}, false});
  auto s = client_->watch(resources::kPods, "", "42", 300);
  EXPECT_EQ(
      transport_->requests[0].path,
      "/api/v1/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=42");
  transport_->stream(
      {410,
       {R"({"kind":"Status","reason":"Expired","code":410,"message":"too old resource version"})"},
       false});
  try {
    client_->watch(resources::kPods, "", "1", 300);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.error_class(), ErrorClass::kGone);
    EXPECT_EQ(e.reason(), "Expired");
  }
}

// Flow control sheds load with 429 and Retry-After: the client waits that long and tries again,
// within the request's deadline, rather than fail the reconcile into exponential backoff.
TEST_F(ClientTest, ShedLoadIsRetriedAfterWhatTheServerSaid) {
  const std::string too_many = R"({"kind":"Status","reason":"TooManyRequests","code":429})";
  transport_->respond(429, too_many, 1);
  transport_->respond(429, too_many, 2);
  transport_->respond(200, R"({"metadata":{"name":"p"}})");
  const auto start = clock_.now();
  EXPECT_EQ(client_->get(resources::kPods, "ns", "p").find({"metadata", "name"})->str(), "p");
  EXPECT_EQ(clock_.now() - start, 3s);
  ASSERT_EQ(transport_->requests.size(), 3u);
  EXPECT_EQ(transport_->requests[2].timeout, 27s);  // what is left of the client's 30 s
}

TEST_F(ClientTest, ShedLoadPastTheDeadlineOrWithoutRetryAfterFails) {
  const std::string too_many = R"({"kind":"Status","reason":"TooManyRequests","code":429})";
  transport_->respond(429, too_many);  // no Retry-After: the caller backs off
  EXPECT_THROW(client_->get(resources::kPods, "ns", "p"), ApiError);
  transport_->respond(429, too_many, 5);  // longer than the 2 s this request has
  try {
    client_->get(resources::kPods, "ns", "p", std::chrono::seconds(2));
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), 429);
    EXPECT_EQ(e.error_class(), ErrorClass::kRetryable);
  }
  EXPECT_EQ(transport_->requests.size(), 2u);
}

}  // namespace
}  // namespace bulwark::kube
