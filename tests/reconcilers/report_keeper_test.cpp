// The report keeper: a Report applied when the content changed and only then, removed when no
// policy selects the workload, left alone while unreadable policies hold the workload, and never
// touched when someone else wrote it.
#include "reconcilers/report_keeper.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"
#include "tests/fakes/fake_object_writer.h"

namespace bulwark::reconcilers {
namespace {

using Verb = testing::WriteCall::Verb;

class ReportKeeperTest : public ::testing::Test {
 protected:
  ReportKeeperTest() {
    auto parsed = crds::parse_security_policy(document::parse_json(
        R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"prod"},)"
        R"("spec":{"podSecurity":{"level":"baseline"}}})"));
    policy = LoadedPolicy{std::move(parsed.policy), "uid-prod", {}, false, nullptr};
    policy.evaluator = std::make_shared<posture::PolicyEvaluator>(policy.policy.spec);
  }
  WorkloadJudgement judge(bool privileged, bool selected = true) {
    doc = document::parse_json(
        std::string(R"({"kind":"Deployment","metadata":{"name":"web","namespace":"shop"},)") +
        R"("spec":{"template":{"spec":{"containers":[{"name":"a","image":"i:1",)" +
        R"("securityContext":{"privileged":)" + (privileged ? "true" : "false") + "}}]}}}}");
    const auto workload = posture::workload_from(doc, "Deployment");
    std::vector<LoadedPolicy> policies;
    if (selected) policies.push_back(policy);
    held_policies = std::move(policies);
    return judge_workload(*workload, "Deployment", "shop", {}, held_policies,
                          {clock.wall_now(), nullptr});
  }
  // The cache as the watch would bring the last write back.
  void cache_last_write() {
    auto calls = writer.calls();
    ASSERT_FALSE(calls.empty());
    document::Value written = calls.back().body;
    written.child("metadata").set("namespace", document::Value::string("shop"));
    cache.put(std::move(written));
  }

  const reports::Subject subject{"apps/v1", "Deployment", "web", "shop", "uid-web"};
  LoadedPolicy policy;
  std::vector<LoadedPolicy> held_policies;
  document::Value doc;
  testing::FakeClock clock;
  testing::FakeCache cache;
  testing::FakeObjectWriter writer;
  ReportKeeper keeper{writer, cache, clock};
};

TEST_F(ReportKeeperTest, AppliedOnceThenOnlyWhenTheVerdictChanges) {
  keeper.keep(subject, judge(true), false);
  auto calls = writer.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verb, Verb::kApply);
  EXPECT_EQ(calls[0].target(), "reports/shop/deployment-web");
  EXPECT_EQ(calls[0].field_manager, "bulwark");
  EXPECT_FALSE(
      calls[0].body.find({"metadata", "annotations", kReportHashAnnotation})->str().empty());
  cache_last_write();

  clock.advance(std::chrono::hours(1));  // a later judgement, same verdict: no write
  keeper.keep(subject, judge(true), false);
  EXPECT_EQ(writer.calls().size(), 1u);

  keeper.keep(subject, judge(false), false);  // fixed
  ASSERT_EQ(writer.calls().size(), 2u);
  EXPECT_EQ(writer.calls()[1].body.find({"summary", "fail"})->as_int(), 0);
  EXPECT_EQ(keeper.writes(), 2u);
}

TEST_F(ReportKeeperTest, RemovedWhenNoPolicySelectsTheWorkloadButNotWhileHeld) {
  keeper.keep(subject, judge(true), false);
  cache_last_write();
  keeper.keep(subject, judge(true, false), true);  // held by an unreadable policy
  EXPECT_EQ(writer.calls().size(), 1u);
  keeper.keep(subject, judge(true, false), false);
  ASSERT_EQ(writer.calls().size(), 2u);
  EXPECT_EQ(writer.calls()[1].verb, Verb::kRemove);
  EXPECT_EQ(writer.calls()[1].target(), "reports/shop/deployment-web");
}

TEST_F(ReportKeeperTest, AReportSomeoneElseWroteIsLeftAlone) {
  cache.put_json(R"({"metadata":{"name":"deployment-web","namespace":"shop",
                     "labels":{"app.kubernetes.io/managed-by":"kyverno"}}})");
  keeper.keep(subject, judge(true), false);
  keeper.keep(subject, judge(true, false), false);
  EXPECT_TRUE(writer.calls().empty());
}

TEST_F(ReportKeeperTest, AFailedWriteFailsTheReconcileUnlessTheCrdIsGone) {
  writer.fail_next(kube::ApiError(500, "InternalError", "etcd is away"));
  EXPECT_THROW(keeper.keep(subject, judge(true), false), kube::ApiError);
  writer.fail_next(kube::ApiError(404, "NotFound", "the server could not find the resource"));
  EXPECT_NO_THROW(keeper.keep(subject, judge(true), false));
}

}  // namespace
}  // namespace bulwark::reconcilers
