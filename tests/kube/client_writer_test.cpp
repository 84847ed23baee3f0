// The ObjectWriter/StatusWriter adapter over the client: bodies on the wire, and a 404 reported as
// "gone" rather than as a failure.
#include "operator/kube/client_writer.h"

#include <gtest/gtest.h>

#include "tests/base/fake_clock.h"
#include "tests/kube/fake_transport.h"

namespace bulwark::kube {
namespace {

using document::Value;

class ClientWriterTest : public ::testing::Test {
 protected:
  ClientWriterTest() {
    auto t = std::make_unique<testing::FakeTransport>();
    transport_ = t.get();
    client_ = std::make_unique<KubeClient>(std::move(t), KubeClient::Options{1000, 1000}, clock_);
    writer_ = std::make_unique<ClientWriter>(*client_);
  }
  static constexpr const char* kNotFound = R"({"kind":"Status","reason":"NotFound","code":404})";
  testing::FakeClock clock_;
  testing::FakeTransport* transport_;
  std::unique_ptr<KubeClient> client_;
  std::unique_ptr<ClientWriter> writer_;
};

TEST_F(ClientWriterTest, APatchOfAGoneObjectIsNoFailure) {
  transport_->respond(200, R"({"metadata":{"name":"cart"}})");
  transport_->respond(404, kNotFound);
  MergePatch patch;
  patch.set_annotation("a", "b");
  EXPECT_TRUE(writer_->merge_patch(resources::kDeployments, "shop", "cart", patch).has_value());
  EXPECT_EQ(transport_->requests[0].body, R"({"metadata":{"annotations":{"a":"b"}}})");
  EXPECT_EQ(transport_->requests[0].content_type, "application/merge-patch+json");
  EXPECT_FALSE(writer_->merge_patch(resources::kDeployments, "shop", "gone", patch).has_value());
}

TEST_F(ClientWriterTest, ADeleteOfAGoneObjectSaysSoAndCarriesItsPreconditions) {
  transport_->respond(200, "{}");
  transport_->respond(404, kNotFound);
  EXPECT_TRUE(writer_->remove(resources::kNetworkPolicies, "shop", "x", {"uid-1", std::nullopt}));
  EXPECT_EQ(transport_->requests[0].body,
            R"({"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"uid-1"}})");
  EXPECT_FALSE(writer_->remove(resources::kNetworkPolicies, "shop", "x", {}));
  EXPECT_EQ(transport_->requests[1].body, "");
}

TEST_F(ClientWriterTest, OtherFailuresAreApiErrorsWithTheirClass) {
  transport_->respond(409, R"({"kind":"Status","reason":"Conflict","code":409})");
  transport_->respond(422, R"({"kind":"Status","reason":"Invalid","code":422})");
  const Value status = Value::object().set("status", Value::object());
  try {
    writer_->update_status(resources::kSecurityPolicies, "", "p", status);
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.error_class(), ErrorClass::kConflict);
  }
  try {
    writer_->create(resources::kEvents, "shop", Value::object());
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.error_class(), ErrorClass::kInvalid);
  }
}

TEST_F(ClientWriterTest, ApplyAndStatusSendTheirBodies) {
  transport_->respond(200, R"({"metadata":{"uid":"np-1"}})");
  transport_->respond(200, "{}");
  const Value intent = Value::object().set("kind", Value::string("NetworkPolicy"));
  const Value applied =
      writer_->apply(resources::kNetworkPolicies, "shop", "x", intent, "bulwark", true);
  EXPECT_EQ(applied.find({"metadata", "uid"})->str(), "np-1");
  EXPECT_EQ(transport_->requests[0].body, R"({"kind":"NetworkPolicy"})");
  EXPECT_NE(transport_->requests[0].path.find("fieldManager=bulwark"), std::string::npos);
  writer_->update_status(resources::kSecurityPolicies, "", "p", intent);
  EXPECT_EQ(transport_->requests[1].path, "/apis/bulwark.dev/v1alpha1/securitypolicies/p/status");
}

class FixedFence : public WriteFence {
 public:
  std::chrono::milliseconds time_left() const override { return left; }
  std::chrono::milliseconds left{0};
};

// Behind a closed fence nothing is sent; behind an open one each write must be answered within
// the time the fence has left.
TEST_F(ClientWriterTest, TheFenceHoldsEveryWrite) {
  FixedFence fence;
  ClientWriter fenced(*client_, &fence);
  MergePatch patch;
  patch.set_annotation("a", "b");
  EXPECT_THROW(fenced.merge_patch(resources::kDeployments, "shop", "cart", patch), NotLeadingError);
  EXPECT_THROW(fenced.create(resources::kEvents, "shop", Value::object()), NotLeadingError);
  EXPECT_THROW(fenced.remove(resources::kNetworkPolicies, "shop", "x", {}), NotLeadingError);
  EXPECT_THROW(fenced.update_status(resources::kSecurityPolicies, "", "p", Value::object()),
               NotLeadingError);
  EXPECT_THROW(fenced.apply(resources::kNetworkPolicies, "shop", "x", Value::object(), "b", true),
               NotLeadingError);
  EXPECT_TRUE(transport_->requests.empty());
  fence.left = std::chrono::milliseconds(2500);
  transport_->respond(200, "{}");
  fenced.merge_patch(resources::kDeployments, "shop", "cart", patch);
  ASSERT_EQ(transport_->requests.size(), 1u);
  EXPECT_EQ(transport_->requests[0].timeout, std::chrono::milliseconds(2500));
}

TEST_F(ClientWriterTest, WithoutAFenceWritesUseTheClientsBound) {
  transport_->respond(200, "{}");
  writer_->create(resources::kEvents, "shop", Value::object());
  EXPECT_EQ(transport_->requests[0].timeout, std::chrono::seconds(30));
}

}  // namespace
}  // namespace bulwark::kube
