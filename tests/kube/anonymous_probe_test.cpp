// How the anonymous-requests probe reads the API server's answer to a request without
// credentials: 401 denied, 403 or 200 allowed, anything else unknown (counted as allowed by its
// caller, with a warning).
#include "operator/kube/anonymous_probe.h"

#include <gtest/gtest.h>

#include "operator/kube/client.h"
#include "tests/base/fake_clock.h"
#include "tests/kube/fake_transport.h"

namespace bulwark::kube {
namespace {

AnonymousProbe probe_answered(int status) {
  testing::FakeClock clock;
  auto transport = std::make_unique<testing::FakeTransport>();
  auto* fake = transport.get();
  if (status == 0) {
    fake->fail("connection refused");
  } else {
    fake->respond(status, R"({"kind":"Status","code":)" + std::to_string(status) + "}");
  }
  KubeClient client(std::move(transport), KubeClient::Options{}, clock);
  const auto probe = probe_anonymous_requests(client);
  EXPECT_EQ(fake->requests.at(0).path, "/api/v1/namespaces/kube-system");
  return probe;
}

TEST(AnonymousProbe, TheAnswerWithoutCredentialsSaysWhetherTheyAreTaken) {
  EXPECT_EQ(probe_answered(401).answer, AnonymousRequests::kDenied);
  EXPECT_EQ(probe_answered(403).answer, AnonymousRequests::kAllowed);
  EXPECT_EQ(probe_answered(200).answer, AnonymousRequests::kAllowed);
  EXPECT_EQ(probe_answered(500).answer, AnonymousRequests::kUnknown);
  EXPECT_EQ(probe_answered(0).answer, AnonymousRequests::kUnknown);
  // The log line never quotes the expected refusal (logs are searched for the operator's own).
  EXPECT_EQ(probe_answered(403).detail.find("orbidden"), std::string::npos);
}

}  // namespace
}  // namespace bulwark::kube
