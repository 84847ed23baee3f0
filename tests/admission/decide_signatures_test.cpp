// imageSignature at admission: signatures verified within the review's budget, and failing
// closed when they cannot be (app/admission/decide.h).
#include <gtest/gtest.h>

#include "app/admission/decide.h"
#include "operator/base/files.h"
#include "operator/document/reader.h"
#include "operator/registry/image_verification.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"
#include "tests/fakes/fake_registry.h"
#include "tests/support/paths.h"

namespace bulwark::admission {
namespace {

std::string testdata(const std::string& name) {
  return base::read_file(std::string(test::source_dir()) + "/tests/images/testdata/" + name)
      .value_or("");
}

// Enforce + Deny, or Audit, with one images.verify entry for registry.test/team/*.
std::string policy(bool deny) {
  std::string pem = testdata("ec.pub");
  for (std::size_t at = 0; (at = pem.find('\n', at)) != std::string::npos; at += 2) {
    pem.replace(at, 1, "\\n");
  }
  return std::string(R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy",)") +
         R"("metadata":{"name":"signed","uid":"u","generation":1},"spec":{)" +
         R"("podSecurity":{"level":"privileged"},"images":{"forbidLatestTag":false,"verify":[)" +
         R"({"imageReferences":["registry.test/team/*"],"publicKeys":[{"pem":")" + pem +
         R"("}]}]},"enforcement":{"mode":")" + (deny ? "Enforce" : "Audit") +
         R"(","actions":["Deny"]}}})";
}

Review pod(const std::string& image) {
  Review r;
  r.uid = "u-1";
  r.kind = "Pod";
  r.operation = "CREATE";
  r.namespace_name = "shop";
  r.name = "web";
  r.object = document::parse_json(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},)"
      R"("spec":{"containers":[{"name":"app","image":")" +
      image + R"("}]}})");
  return r;
}

class DecideSignatures : public ::testing::Test {
 protected:
  DecideSignatures() {
    digest = fake.put_manifest("team/app", "signed", "image");  // what payload.json names
    fake.put_signature("team/app", digest, testdata("payload.json"), testdata("payload.ec.sig"));
    fake.put_manifest("team/app", "unsigned", "another image");
  }
  Decision decide_with(const Review& r, bool deny = true,
                       std::chrono::milliseconds budget = std::chrono::seconds(2),
                       bool with_verifier = true) {
    testing::FakeCache cache;
    cache.put_json(policy(deny));
    policies = reconcilers::load_policies(cache);
    EXPECT_TRUE(policies.at(0).active()) << policies.at(0).errors.size();
    Context c{&policies, &labels, {"bulwark-system"}, std::chrono::system_clock::now()};
    c.images = with_verifier ? &verification : nullptr;
    c.images_budget = budget;
    return decide(r, c);
  }
  testing::FakeRegistry fake;
  testing::FakeClock clock;
  registry::SignatureVerifier verifier{fake, clock, {}};
  registry::InlineTrust trust;
  registry::ImageVerification verification{verifier, trust, {}};
  std::vector<reconcilers::LoadedPolicy> policies;
  crds::Labels labels;
  std::string digest;
};

TEST_F(DecideSignatures, ASignedImageIsAdmittedByTagAndByDigest) {
  EXPECT_EQ(decide_with(pod("registry.test/team/app:signed")).outcome, Decision::Outcome::kAllowed);
  EXPECT_EQ(decide_with(pod("registry.test/team/app@" + digest)).outcome,
            Decision::Outcome::kAllowed);
}

TEST_F(DecideSignatures, AnUnsignedImageIsRefusedUnderDenyAndWarnedOtherwise) {
  const auto d = decide_with(pod("registry.test/team/app:unsigned"));
  EXPECT_EQ(d.outcome, Decision::Outcome::kDenied);
  EXPECT_NE(d.message.find("\n- imageSignature (spec.containers[0].image)"), std::string::npos)
      << d.message;
  const auto audit = decide_with(pod("registry.test/team/app:unsigned"), false);
  EXPECT_EQ(audit.outcome, Decision::Outcome::kWarned);
}

TEST_F(DecideSignatures, WhatCannotBeVerifiedIsRefusedFailingClosed) {
  fake.set_down(true);
  EXPECT_EQ(decide_with(pod("registry.test/team/app:signed")).outcome, Decision::Outcome::kDenied);
  fake.set_down(false);
  // The registry slow, and no time at all: not verified in time; the verification goes on and
  // serves the next review.
  fake.set_held(true);
  const auto late =
      decide_with(pod("registry.test/team/app:signed"), true, std::chrono::milliseconds(0));
  fake.set_held(false);
  EXPECT_EQ(late.outcome, Decision::Outcome::kDenied);
  Decision later;
  for (int i = 0; i < 200 && later.outcome != Decision::Outcome::kAllowed; ++i) {
    later =
        decide_with(pod("registry.test/team/app@" + digest), true, std::chrono::milliseconds(10));
  }
  EXPECT_EQ(later.outcome, Decision::Outcome::kAllowed);
}

TEST_F(DecideSignatures, WithoutAVerifierItIsOnlyAWarning) {
  const auto d =
      decide_with(pod("registry.test/team/app:unsigned"), true, std::chrono::seconds(2), false);
  EXPECT_EQ(d.outcome, Decision::Outcome::kWarned);
  ASSERT_FALSE(d.warnings.empty());
  EXPECT_NE(d.warnings[0].find("imageSignature: not evaluated: this replica verifies no image "
                               "signatures"),
            std::string::npos)
      << d.warnings[0];
}

TEST_F(DecideSignatures, UncoveredImagesNeedNoSignature) {
  EXPECT_EQ(decide_with(pod("nginx:1.27")).outcome, Decision::Outcome::kAllowed);
}

TEST_F(DecideSignatures, EachReviewResolvesTheTagAfresh) {
  // A finished verification is never handed to the next review: the tag is resolved again, so
  // one moved between two reviews is judged by what it names at the second.
  for (int i = 0; i < 50; ++i) {
    const bool sign = i % 2 == 0;
    fake.put_manifest("team/app", "moving", sign ? "image" : "another image");
    EXPECT_EQ(decide_with(pod("registry.test/team/app:moving")).outcome,
              sign ? Decision::Outcome::kAllowed : Decision::Outcome::kDenied)
        << "review " << i;
  }
}

}  // namespace
}  // namespace bulwark::admission
