// The pure half of the posture reconciler: what the policies make of a workload, no transport.
#include "reconcilers/workload_judgement.h"

#include <gtest/gtest.h>

#include "operator/base/time_text.h"
#include "operator/document/reader.h"

namespace bulwark::reconcilers {
namespace {

const char* const kPrivileged =
    R"({"kind":"Deployment","metadata":{"name":"cart","namespace":"shop"},"spec":{"template":)"
    R"({"spec":{"containers":[{"name":"app","image":"i:1","securityContext":{"privileged":true}}]}}}})";

LoadedPolicy policy(const std::string& name, const std::string& spec_json) {
  auto parsed = crds::parse_security_policy(document::parse_json(
      R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":")" +
      name + R"("},"spec":)" + spec_json + "}"));
  EXPECT_TRUE(parsed.ok());
  LoadedPolicy p{std::move(parsed.policy), "uid-" + name, {}, false, nullptr};
  p.evaluator = std::make_shared<posture::PolicyEvaluator>(p.policy.spec);
  return p;
}

WorkloadJudgement judge(const std::vector<LoadedPolicy>& policies, std::string_view kind,
                        std::chrono::system_clock::time_point now = {}) {
  static const auto doc = document::parse_json(kPrivileged);
  const auto workload = posture::workload_from(doc, "Deployment");
  return judge_workload(*workload, kind, "shop", {}, policies, {now, nullptr});
}

TEST(WorkloadJudgement, NoPolicyNoPosture) {
  const auto j = judge({}, "Deployment");
  EXPECT_FALSE(j.posture.has_value());
  EXPECT_TRUE(j.selecting.empty());
}

TEST(WorkloadJudgement, EnforceActionsOnlyInEnforceAndScaleOnlyWhereItScales) {
  const auto audit = policy("audit", R"({"podSecurity":{"level":"baseline"},)"
                                     R"("images":{"forbidLatestTag":false}})");
  const auto enforce = policy(
      "enforce", R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":false},)"
                 R"("enforcement":{"mode":"Enforce","actions":["Quarantine","ScaleToZero"]}})");
  const auto j = judge({audit, enforce}, "Deployment");
  EXPECT_EQ(j.posture, posture::Posture::kViolating);
  EXPECT_EQ(j.controls, std::set<std::string>{"privileged"});
  EXPECT_EQ(j.selecting, (std::vector<std::string>{"audit", "enforce"}));
  EXPECT_TRUE(j.quarantine);
  EXPECT_EQ(j.scalers, std::vector<std::string>{"uid-enforce"});
  ASSERT_EQ(j.outcomes.size(), 2u);
  EXPECT_FALSE(j.outcomes[0].enforced);
  EXPECT_TRUE(j.outcomes[1].enforced);
  EXPECT_TRUE(judge({enforce}, "DaemonSet").scalers.empty());
  EXPECT_FALSE(judge({audit}, "Deployment").quarantine);
}

TEST(WorkloadJudgement, AnExemptionMakesItExemptUntilItsExpiry) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::hours(24 * 365 * 57));
  const auto p = policy("p", R"({"podSecurity":{"level":"baseline"},"images":{"forbidLatestTag":)"
                             R"(false},"exemptions":[{"name":"e","controls":["privileged"],)"
                             R"("expires":"2030-01-01T00:00:00Z"}]})");
  const auto j = judge({p}, "Deployment", now);
  EXPECT_EQ(j.posture, posture::Posture::kExempt);
  ASSERT_TRUE(j.next_expiry.has_value());
  EXPECT_EQ(*j.next_expiry, base::parse_rfc3339("2030-01-01T00:00:00Z"));
  EXPECT_FALSE(j.quarantine);
}

}  // namespace
}  // namespace bulwark::reconcilers
