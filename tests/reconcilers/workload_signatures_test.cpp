// A running workload's images judged by the digests its pods run (reconcilers/workload_signatures).
#include "reconcilers/workload_signatures.h"

#include <gtest/gtest.h>

#include <thread>

#include "operator/base/files.h"
#include "operator/document/reader.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"
#include "tests/fakes/fake_registry.h"
#include "tests/support/paths.h"

namespace bulwark::reconcilers {
namespace {

using images::SignatureResult;

std::string testdata(const std::string& name) {
  return base::read_file(std::string(test::source_dir()) + "/tests/images/testdata/" + name)
      .value_or("");
}

const std::string kDigest = "sha256:" + std::string(64, 'd');

document::Value pod_with(const std::string& image_id) {
  return document::parse_json(
      R"({"spec":{"containers":[{"name":"app","image":"registry.test/team/app:v1"},)"
      R"({"name":"side","image":"registry.test/team/side:v1"}]},)"
      R"("status":{"containerStatuses":[{"name":"app","imageID":")" +
      image_id + R"("}]}})");
}

TEST(RunningImages, WhatEachContainerRunsByItsStatus) {
  const auto pod = pod_with("registry.test/team/app@" + kDigest);
  const auto spec = *pod.find("spec");
  const auto images = running_images(spec, {&pod});
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[0].container, "app");
  EXPECT_EQ(images[0].digest, kDigest);
  EXPECT_EQ(images[0].repository, "registry.test/team/app");
  EXPECT_TRUE(images[0].unverifiable.empty());
  // No pod runs "side" yet and it names a tag: nothing to verify by what it runs.
  EXPECT_EQ(images[1].container, "side");
  EXPECT_NE(images[1].unverifiable.find("no pod runs it yet"), std::string::npos);
}

TEST(RunningImages, ALocalImageIdIsUnverifiableAndAPinnedTemplateIsItsDigest) {
  const auto local = pod_with(kDigest);  // containerd's ID of an imported image
  auto images = running_images(*local.find("spec"), {&local});
  EXPECT_NE(images[0].unverifiable.find("known only by its local ID"), std::string::npos);
  const auto spec = document::parse_json(
      R"({"containers":[{"name":"app","image":"registry.test/team/app@)" + kDigest + R"("}]})");
  images = running_images(spec, {});
  ASSERT_EQ(images.size(), 1u);
  EXPECT_TRUE(images[0].unverifiable.empty());  // verified by the digest it pins
}

class WorkloadSignaturesTest : public ::testing::Test {
 protected:
  WorkloadSignaturesTest() {
    digest = fake.put_manifest("team/app", "v1", "image");  // what payload.json names
    fake.put_signature("team/app", digest, testdata("payload.json"), testdata("payload.ec.sig"));
    std::string pem = testdata("ec.pub");
    for (std::size_t at = 0; (at = pem.find('\n', at)) != std::string::npos; at += 2) {
      pem.replace(at, 1, "\\n");
    }
    cache.put_json(
        R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"s",)"
        R"("uid":"u","generation":1},"spec":{"images":{"verify":[{"imageReferences":)"
        R"(["registry.test/team/*"],"publicKeys":[{"pem":")" +
        pem + R"("}]}]}}})");
    policies = load_policies(cache);
  }
  WorkloadSignatures judge() {
    const std::vector<registry::PodImage> running{
        {"app", "registry.test/team/app:v1", digest, "registry.test/team/app"}};
    return workload_signatures(
        verification, policies, [](const LoadedPolicy&) { return true; }, running);
  }
  // Judges until the verdict is final, as the reconciler's requeues would (a deadline of 5 s).
  WorkloadSignatures judge_until_final() {
    WorkloadSignatures s = judge();
    for (int i = 0; i < 500 && s.again; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      s = judge();
    }
    return s;
  }
  const images::SignatureVerdict& verdict(const WorkloadSignatures& s) {
    return s.by_entries.begin()->second.at("app").verdict;
  }
  testing::FakeRegistry fake;
  testing::FakeClock clock;
  registry::SignatureVerifier verifier{fake, clock, {}};
  registry::InlineTrust trust;
  registry::ImageVerification verification{verifier, trust, {2, 16, std::chrono::seconds(1)}};
  testing::FakeCache cache;
  std::vector<LoadedPolicy> policies;
  std::string digest;
};

TEST_F(WorkloadSignaturesTest, NotEvaluatedWhileBeingVerifiedThenTheVerdict) {
  fake.set_held(true);  // the registry slow to answer: the verdict is surely not there yet
  const auto first = judge();
  fake.set_held(false);
  ASSERT_EQ(first.by_entries.size(), 1u);
  EXPECT_EQ(verdict(first).result, SignatureResult::kNotEvaluated);
  ASSERT_TRUE(first.again);
  EXPECT_EQ(*first.again, std::chrono::milliseconds(2000));
  const auto final = judge_until_final();
  EXPECT_FALSE(final.again);
  EXPECT_EQ(verdict(final).result, SignatureResult::kVerified) << verdict(final).detail;
}

TEST_F(WorkloadSignaturesTest, ARegistryDownSaysSoAndIsAskedAgainWhenItsFailureLapses) {
  fake.set_down(true);
  auto s = judge();
  for (int i = 0; i < 500 && verdict(s).detail.rfind("being verified", 0) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    s = judge();
  }
  EXPECT_EQ(verdict(s).result, SignatureResult::kNotEvaluated);
  EXPECT_NE(verdict(s).detail.find("connection refused"), std::string::npos) << verdict(s).detail;
  ASSERT_TRUE(s.again);
  EXPECT_LE(*s.again, std::chrono::milliseconds(1000));  // retry_failed
  const int asked = fake.requests();
  judge();
  EXPECT_EQ(fake.requests(), asked);  // the failure is remembered, not asked again at once
  fake.set_down(false);
  EXPECT_EQ(verdict(judge_until_final()).result, SignatureResult::kVerified);
}

TEST_F(WorkloadSignaturesTest, WhatCannotBeVerifiedIsNotQueuedNorRemembered) {
  const std::string long_image = "registry.test/team/" + std::string(2000, 'a') + ":1";
  const auto s = workload_signatures(
      verification, policies, [](const LoadedPolicy&) { return true; },
      {{"long", long_image, "", ""}, {"odd", "registry.test/team/app@x:zzz", "", ""}});
  const auto& verdicts = s.by_entries.begin()->second;
  EXPECT_NE(verdicts.at("long").verdict.detail.find("over 1024 characters"), std::string::npos);
  EXPECT_NE(verdicts.at("odd").verdict.detail.find("no sha256 digest"), std::string::npos);
  EXPECT_LE(verdicts.at("long").image.size(), 1024u);
  EXPECT_FALSE(s.again);  // nothing to wait for
  EXPECT_EQ(fake.requests(), 0);
}

TEST_F(WorkloadSignaturesTest, TheWorstPodNamesTheDigestItRuns) {
  const std::string other = fake.put_manifest("team/app", "v2", "unsigned image");
  const std::vector<registry::PodImage> pods{
      {"app", "registry.test/team/app:v1", digest, "registry.test/team/app"},
      {"app", "registry.test/team/app:v1", other, "registry.test/team/app"}};
  WorkloadSignatures s;
  for (int i = 0; i < 500; ++i) {
    s = workload_signatures(
        verification, policies, [](const LoadedPolicy&) { return true; }, pods);
    if (!s.again) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto& app = s.by_entries.begin()->second.at("app");
  EXPECT_EQ(app.verdict.result, SignatureResult::kUnsigned);
  EXPECT_EQ(app.image, "registry.test/team/app@" + other);
}

TEST_F(WorkloadSignaturesTest, AReferenceNoRegistryServesIsNeverAsked) {
  const auto s = workload_signatures(
      verification, policies, [](const LoadedPolicy&) { return true; },
      {{"odd", "registry.test/team/app:{x}", "", ""},
       {"space", "registry.test/team/a b@sha256:" + std::string(64, 'a'), "", ""}});
  const auto& verdicts = s.by_entries.begin()->second;
  for (const char* name : {"odd", "space"}) {
    EXPECT_EQ(verdicts.at(name).verdict.result, SignatureResult::kNotEvaluated);
    EXPECT_NE(verdicts.at(name).verdict.detail.find("not one a registry serves"),
              std::string::npos);
  }
  EXPECT_EQ(fake.requests(), 0);
}

}  // namespace
}  // namespace bulwark::reconcilers
