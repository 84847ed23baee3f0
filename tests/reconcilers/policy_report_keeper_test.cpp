// The report keeper: a Report applied when the content changed and only then, removed when no
// policy selects the workload, left alone while unreadable policies hold the workload, and never
// touched when someone else wrote it.
#include "reconcilers/policy_report_keeper.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "operator/document/reader.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"
#include "tests/fakes/fake_event_recorder.h"
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
    workload = posture::workload_from(doc, "Deployment");  // the judgement points into it
    std::vector<LoadedPolicy> policies;
    if (selected) policies.push_back(policy);
    held_policies = std::move(policies);
    return judge_workload(*workload, "Deployment", "shop", {}, held_policies,
                          {clock.wall_now(), nullptr});
  }
  // The last write as the API server would give it back.
  document::Value last_write() {
    auto calls = writer.calls();
    EXPECT_FALSE(calls.empty());
    document::Value written = calls.back().body;
    written.child("metadata").set("namespace", document::Value::string("shop"));
    written.child("metadata").set("uid", document::Value::string("report-uid"));
    return written;
  }
  // The cache as the watch would bring `report` back: projected as the operator's cache is.
  void cache_report(document::Value report) { cache.put(project_report(std::move(report))); }
  void cache_last_write() { cache_report(last_write()); }

  const policy_reports::Subject subject{"apps/v1", "Deployment", "web", "shop", "uid-web"};
  LoadedPolicy policy;
  std::vector<LoadedPolicy> held_policies;
  document::Value doc;
  std::optional<posture::Workload> workload;
  testing::FakeClock clock;
  testing::FakeCache cache;
  testing::FakeObjectWriter writer;
  PolicyReportKeeper keeper{writer, cache, clock};
};

TEST_F(ReportKeeperTest, AppliedOnceThenOnlyWhenTheVerdictChanges) {
  keeper.keep(subject, judge(true), false);
  auto calls = writer.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verb, Verb::kApply);
  EXPECT_EQ(calls[0].target(), "reports/shop/deployment-web");
  EXPECT_EQ(calls[0].field_manager, "bulwark");
  // No annotation: every byte of a report is kept by etcd for every workload, and what the report
  // says is hashed from the report itself.
  EXPECT_EQ(calls[0].body.find({"metadata", "annotations"}), nullptr);
  // A failing result says whether it has a fix (docs/api.md, Fixes): privileged=true has none.
  const auto& results = document::items_of(calls[0].body.find("results"));
  const auto failed = std::find_if(results.begin(), results.end(), [](const document::Value& r) {
    return r.find("rule")->str() == "privileged";
  });
  ASSERT_NE(failed, results.end());
  EXPECT_EQ(failed->find({"properties", "fix"})->str().substr(0, 9), "decision:");
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

// Issue 34: a user who can write reports flips Bulwark's report to pass, keeping its labels and
// hash annotation. What the report says is compared, not the annotation: rewritten, once.
TEST_F(ReportKeeperTest, AReportEditedToSayPassIsRewrittenOnceWhateverItsAnnotation) {
  keeper.keep(subject, judge(true), false);
  document::Value forged = last_write();
  for (auto& r : const_cast<document::Value*>(forged.find("results"))->items) {
    r.set("result", document::Value::string("pass"));
  }
  forged.child("summary").set("fail", document::Value::integer(0));
  cache_report(forged);
  keeper.keep(subject, judge(true), false);
  ASSERT_EQ(writer.calls().size(), 2u);
  EXPECT_EQ(writer.calls()[1].verb, Verb::kApply);
  EXPECT_GT(writer.calls()[1].body.find({"summary", "fail"})->as_int(), 0);
  cache_last_write();
  keeper.keep(subject, judge(true), false);
  EXPECT_EQ(writer.calls().size(), 2u);
}

// The API server gives keys in its own order and adds metadata: the same content, no write.
TEST_F(ReportKeeperTest, KeyOrderAndServerMetadataAreNotAChange) {
  keeper.keep(subject, judge(true), false);
  document::Value written = last_write();
  std::reverse(written.members.begin(), written.members.end());
  for (auto& r : const_cast<document::Value*>(written.find("results"))->items) {
    std::reverse(r.members.begin(), r.members.end());
  }
  written.child("metadata").set("resourceVersion", document::Value::string("77"));
  cache_report(written);
  keeper.keep(subject, judge(true), false);
  EXPECT_EQ(writer.calls().size(), 1u);
}

// A report of Bulwark's name without its label (pre-created, say, all pass for a violating
// workload) is never touched; the workload is then not reported, which is said: a conflict and
// one Warning Event NameConflict on the report per version. It clears when nothing needs the name.
TEST_F(ReportKeeperTest, AReportSomeoneElseWroteIsLeftAloneAndIsAConflict) {
  testing::FakeEventRecorder events;
  PolicyReportKeeper told{writer,
                          cache,
                          clock,
                          policy_reports::Format::kOpenReports,
                          policy_reports::Passes::kSummarised,
                          &events};
  cache.put_json(R"({"apiVersion":"openreports.io/v1alpha1","kind":"Report",)"
                 R"("metadata":{"name":"deployment-web","namespace":"shop","uid":"theirs",)"
                 R"("resourceVersion":"3"},"summary":{"pass":9,"fail":0}})");
  told.keep(subject, judge(true), false);
  told.keep(subject, judge(true), false);
  EXPECT_TRUE(writer.calls().empty());
  EXPECT_EQ(told.conflicts(), std::vector<std::string>{"Deployment/shop/web"});
  ASSERT_EQ(events.briefs(), std::vector<std::string>{"Report/deployment-web:NameConflict"});
  EXPECT_EQ(events.events()[0].about.uid, "theirs");
  told.keep(subject, judge(true, false), false);  // no longer selected: nothing needs the name
  EXPECT_TRUE(writer.calls().empty());
  EXPECT_TRUE(told.conflicts().empty());
}

TEST_F(ReportKeeperTest, AFailedWriteFailsTheReconcileUnlessTheCrdIsGone) {
  writer.fail_next(kube::ApiError(500, "InternalError", "etcd is away"));
  EXPECT_THROW(keeper.keep(subject, judge(true), false), kube::ApiError);
  writer.fail_next(kube::ApiError(404, "NotFound", "the server could not find the resource"));
  EXPECT_NO_THROW(keeper.keep(subject, judge(true), false));
}

using Seen = Expectations::Seen;

// The watch brings back every report the keeper applies: judging its workload again for that
// would judge every workload twice in a pass with reports on (issue 41: 20,000 reconciles for
// 10,000 pods). Only the exact version the apply answered with, from the version it was written
// over, is the echo; anything else is news.
TEST_F(ReportKeeperTest, TheEchoOfItsOwnApplyIsNoNewsButAnyOtherChangeIs) {
  std::vector<std::string> routed;
  keeper.set_change_router([&](const std::string& key) { routed.push_back(key); });
  keeper.keep(subject, judge(true), false);  // a creation: written over no version, answered 100
  const std::string key = "shop/deployment-web";
  EXPECT_EQ(keeper.own_echo({key, "", "101"}), Seen::kChange);  // not the version it made
  EXPECT_EQ(keeper.own_echo({key, "", "100"}), Seen::kEcho);
  EXPECT_EQ(keeper.own_echo({key, "100", "102"}), Seen::kChange);  // someone's edit after it
  EXPECT_EQ(keeper.own_echo({key, "", "100"}), Seen::kChange);     // an echo settles once
  EXPECT_EQ(keeper.own_echo({key, "100", ""}), Seen::kChange);     // a deletion is news
  EXPECT_TRUE(routed.empty());
}

// The watch is often faster than the apply's answer: a change from the version the apply was
// written over is held until the answer says whether it was the echo, and routed if not, or if
// the apply failed.
TEST_F(ReportKeeperTest, AChangeWhileTheApplyIsInFlightIsRoutedUnlessItWasTheEcho) {
  std::vector<std::string> routed;
  keeper.set_change_router([&](const std::string& key) { routed.push_back(key); });
  int echoes = 0;
  keeper.set_echo_observer([&] { ++echoes; });
  const std::string key = "shop/deployment-web";
  writer.before_answer([&](const std::string& version) {
    EXPECT_EQ(keeper.own_echo({key, "", version}), Seen::kHeld);
  });
  keeper.keep(subject, judge(true), false);
  EXPECT_TRUE(routed.empty());  // it was the echo, and counted as one
  EXPECT_EQ(echoes, 1);

  auto cached = last_write();
  cached.child("metadata").set("resourceVersion", document::Value::string("100"));
  cache_report(std::move(cached));
  writer.before_answer([&](const std::string&) {
    EXPECT_EQ(keeper.own_echo({key, "100", "900"}), Seen::kHeld);  // someone else's, first
  });
  keeper.keep(subject, judge(false), false);
  EXPECT_EQ(routed, std::vector<std::string>{key});
  EXPECT_EQ(echoes, 1);

  routed.clear();
  cached = last_write();
  cached.child("metadata").set("resourceVersion", document::Value::string("901"));
  cache_report(std::move(cached));
  writer.before_answer([&](const std::string&) {
    EXPECT_EQ(keeper.own_echo({key, "901", "950"}), Seen::kHeld);
  });
  writer.fail_next(kube::ApiError(500, "InternalError", "etcd is away"));
  EXPECT_THROW(keeper.keep(subject, judge(true), false), kube::ApiError);
  EXPECT_EQ(routed, std::vector<std::string>{key});
}

}  // namespace
}  // namespace bulwark::reconcilers
