// imageSignature: the engine's reading of images.verify's verdicts (the verdicts themselves are
// tests/images/signature_check_test.cpp's).
#include <gtest/gtest.h>

#include "operator/posture/engine.h"
#include "tests/posture/eval_helpers.h"

namespace bulwark::testing {
namespace {

using images::SignatureResult;

crds::SecurityPolicySpec verifying() {
  crds::SecurityPolicySpec p;
  p.pod_security.level = crds::PssLevel::kPrivileged;
  p.images.forbid_latest_tag = false;
  p.images.verify.push_back({{"registry.test/team/*"}, {{"pem", "", ""}}, {}, ""});
  return p;
}

posture::Verdict judge(const posture::ImageSignatures* signatures,
                       const crds::SecurityPolicySpec& policy = verifying()) {
  const auto doc = parse_yaml(
      "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
      "  - {name: app, image: registry.test/team/app:1}\n"
      "  - {name: side, image: nginx:1.27}\n"
      "  initContainers:\n  - {name: init, image: registry.test/team/init:2}\n");
  posture::EvaluationContext context;
  posture::SignaturesByEntries by_entries;
  if (signatures != nullptr) by_entries[crds::verify_key(policy.images)] = *signatures;
  context.image_signatures = signatures != nullptr ? &by_entries : nullptr;
  return posture::PolicyEvaluator(policy).evaluate(*posture::workload_from(doc), context);
}

posture::ContainerSignature verdict(SignatureResult r, std::string detail = "detail") {
  return {"registry.test/team/app@sha256:" + std::string(64, 'a'), {r, std::move(detail)}};
}

TEST(ImageSignature, VerifiedCoveredContainersPassAndUncoveredNeedNone) {
  const posture::ImageSignatures s = {{"app", verdict(SignatureResult::kVerified)},
                                      {"init", verdict(SignatureResult::kVerified)}};
  const auto v = judge(&s);
  EXPECT_EQ(v.posture, posture::Posture::kCompliant);
  EXPECT_TRUE(v.violations.empty());
  EXPECT_TRUE(v.not_evaluated.empty());
}

TEST(ImageSignature, UnsignedAndBadSignaturesViolateNamingTheContainer) {
  const posture::ImageSignatures s = {
      {"app", verdict(SignatureResult::kUnsigned, "no cosign signature")},
      {"init", verdict(SignatureResult::kBadSignature, "another key")}};
  const auto v = judge(&s);
  ASSERT_EQ(v.violations.size(), 2u);
  // In the pod's order: init containers first.
  EXPECT_EQ(v.violations[1].control, "imageSignature");
  EXPECT_NE(v.violations[1].message.find("container \"app\" runs image "
                                         "\"registry.test/team/app:1\""),
            std::string::npos)
      << v.violations[1].message;
  EXPECT_NE(v.violations[1].message.find("with no signature"), std::string::npos);
  EXPECT_EQ(v.violations[1].path, "spec.containers[0].image");
  EXPECT_NE(v.violations[0].message.find("whose signatures do not verify: another key"),
            std::string::npos);
}

TEST(ImageSignature, NotVerifiedIsNotEvaluatedNeverPassed) {
  auto none = judge(nullptr);
  ASSERT_EQ(none.not_evaluated.size(), 1u);
  EXPECT_EQ(none.not_evaluated[0].control, "imageSignature");
  EXPECT_EQ(none.posture, posture::Posture::kNotEvaluated);

  // A covered container without a verdict, or whose registry was not reached.
  const posture::ImageSignatures partial = {
      {"app", verdict(SignatureResult::kVerified)},
      {"init", verdict(SignatureResult::kNotEvaluated, "registry not reached")}};
  auto v = judge(&partial);
  ASSERT_EQ(v.not_evaluated.size(), 1u);
  EXPECT_NE(v.not_evaluated[0].reason.find("container \"init\""), std::string::npos);
  EXPECT_NE(v.not_evaluated[0].reason.find("registry not reached"), std::string::npos);
  const posture::ImageSignatures missing = {{"app", verdict(SignatureResult::kVerified)}};
  EXPECT_EQ(judge(&missing).posture, posture::Posture::kNotEvaluated);
}

TEST(ImageSignature, AViolationCountsEvenBesideAnUnknown) {
  const posture::ImageSignatures s = {{"app", verdict(SignatureResult::kUnsigned)}};
  const auto v = judge(&s);
  EXPECT_EQ(v.posture, posture::Posture::kViolating);
  EXPECT_EQ(v.violations.size(), 1u);
}

TEST(ImageSignature, APodNoEntryCoversNeedsNoVerdict) {
  crds::SecurityPolicySpec p = verifying();
  p.images.verify[0].image_references = {"elsewhere.test/*"};
  EXPECT_EQ(judge(nullptr, p).posture, posture::Posture::kCompliant);
  const posture::ImageSignatures none;
  EXPECT_EQ(judge(&none, p).posture, posture::Posture::kCompliant);
}

TEST(ImageSignature, OffWithoutVerifyEntries) {
  crds::SecurityPolicySpec p = verifying();
  p.images.verify.clear();
  EXPECT_EQ(judge(nullptr, p).posture, posture::Posture::kCompliant);
}

}  // namespace
}  // namespace bulwark::testing

namespace bulwark::testing {
namespace {

TEST(ImageSignature, EachPolicyReadsTheVerdictsOfItsOwnEntries) {
  crds::SecurityPolicySpec a = verifying();
  crds::SecurityPolicySpec b = verifying();
  b.images.verify[0].public_keys = {{"another pem", "", ""}};
  posture::SignaturesByEntries by_entries;
  by_entries[crds::verify_key(a.images)] = {{"app", verdict(SignatureResult::kVerified)},
                                            {"init", verdict(SignatureResult::kVerified)}};
  by_entries[crds::verify_key(b.images)] = {{"app", verdict(SignatureResult::kUnsigned)},
                                            {"init", verdict(SignatureResult::kVerified)}};
  const auto doc = parse_yaml(
      "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
      "  - {name: app, image: registry.test/team/app:1}\n"
      "  initContainers:\n  - {name: init, image: registry.test/team/init:2}\n");
  posture::EvaluationContext context;
  context.image_signatures = &by_entries;
  const auto workload = posture::workload_from(doc);
  EXPECT_EQ(posture::PolicyEvaluator(a).evaluate(*workload, context).posture,
            posture::Posture::kCompliant);
  EXPECT_EQ(posture::PolicyEvaluator(b).evaluate(*workload, context).posture,
            posture::Posture::kViolating);
  // A policy whose entries were not verified at all is not evaluated, never passed.
  crds::SecurityPolicySpec c = verifying();
  c.images.verify[0].signed_identities = {"mirror.test/team/app"};
  EXPECT_EQ(posture::PolicyEvaluator(c).evaluate(*workload, context).posture,
            posture::Posture::kNotEvaluated);
}

}  // namespace
}  // namespace bulwark::testing
