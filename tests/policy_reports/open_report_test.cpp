// The OpenReports Report of a workload: one result per (policy, judged control), fail with what to
// change, skip naming the exemption and its expiry, pass; the summary; the cap; the name; the
// owner reference; and the content compared without timestamps. And the YAML it is printed as.
#include "operator/policy_reports/open_report.h"

#include <gtest/gtest.h>

#include <sstream>

#include "operator/base/time_text.h"
#include "operator/document/json_writer.h"
#include "operator/document/reader.h"
#include "operator/document/yaml_writer.h"

namespace bulwark::policy_reports {
namespace {

using document::Value;

class OpenReportTest : public ::testing::Test {
 protected:
  OpenReportTest() {
    exemption.name = "legacy";
    exemption.expires = base::parse_rfc3339("2027-03-01T00:00:00Z");
    verdict.violations.push_back({"privileged", crds::Severity::kCritical,
                                  "container \"a\" must not set securityContext.privileged=true",
                                  "spec.template.spec.containers[0].securityContext.privileged"});
    verdict.violations.push_back({"privileged", crds::Severity::kCritical,
                                  "container \"b\" must not set securityContext.privileged=true",
                                  "spec.template.spec.containers[1].securityContext.privileged"});
    verdict.exempted.push_back({"hostPorts", crds::Severity::kHigh, "port 80", "spec.x"});
    verdict.exempted_by.push_back(&exemption);
  }
  Value report(const std::string& uid = "", const std::string& quarantine_not_enforced = "") {
    return open_report({"apps/v1", "Deployment", "web", "shop", uid},
                       {{"prod",
                         {"privileged", "hostPorts", "sysctls"},
                         &verdict,
                         "v1.37",
                         quarantine_not_enforced}},
                       1000);
  }
  static const Value& result(const Value& r, std::string_view rule) {
    for (const auto& item : r.find("results")->items) {
      if (item.find("rule")->str() == rule) return item;
    }
    throw std::runtime_error("no result for " + std::string(rule));
  }

  crds::Exemption exemption;
  posture::Verdict verdict;
};

// A failing control that none of the workload's pods violates is said so (Harden, or another
// mutating admission, changed them); one that a pod violates too is not.
TEST_F(OpenReportTest, PodsThatPassWhatTheTemplateFailsAreSaid) {
  std::set<std::string> pod_controls;
  PolicyVerdict p{"prod",       {"privileged", "hostPorts"}, &verdict, "v1.37", "", nullptr, 2,
                  &pod_controls};
  Value r = open_report({"apps/v1", "Deployment", "web", "shop", ""}, {p}, 1000);
  EXPECT_EQ(result(r, "privileged").find({"properties", "pods"})->str().substr(0, 36),
            "pass: its 2 pods do not violate it (");
  EXPECT_EQ(result(r, "hostPorts").find({"properties", "pods"}), nullptr);  // skipped, not failed
  pod_controls.insert("privileged");
  r = open_report({"apps/v1", "Deployment", "web", "shop", ""}, {p}, 1000);
  EXPECT_EQ(result(r, "privileged").find({"properties", "pods"}), nullptr);
  p.pods = 0;  // no pod judged: nothing said
  pod_controls.clear();
  r = open_report({"apps/v1", "Deployment", "web", "shop", ""}, {p}, 1000);
  EXPECT_EQ(result(r, "privileged").find({"properties", "pods"}), nullptr);
}

// A quarantine that could not be done is said on each failing result, never on a pass or a skip.
TEST_F(OpenReportTest, AQuarantineNotEnforcedIsSaidOnEachFailure) {
  const Value r = report("", "HostNetwork");
  EXPECT_EQ(result(r, "privileged").find({"properties", "quarantine"})->str(),
            "NotEnforced: HostNetwork");
  EXPECT_EQ(result(r, "hostPorts").find({"properties", "quarantine"}), nullptr);
  EXPECT_EQ(result(r, "sysctls").find({"properties", "quarantine"}), nullptr);
  EXPECT_EQ(report().find("results")->items[0].find({"properties", "quarantine"}), nullptr);
}

TEST_F(OpenReportTest, OneResultPerJudgedControlFailSkipOrPass) {
  const Value r = report();
  EXPECT_EQ(r.find("apiVersion")->str(), "openreports.io/v1alpha1");
  EXPECT_EQ(r.find("kind")->str(), "Report");
  EXPECT_EQ(r.find({"metadata", "name"})->str(), "deployment-web");
  EXPECT_EQ(r.find({"metadata", "namespace"})->str(), "shop");
  EXPECT_EQ(r.find({"metadata", "labels", "app.kubernetes.io/managed-by"})->str(), "bulwark");
  EXPECT_EQ(r.find({"scope", "kind"})->str(), "Deployment");
  EXPECT_EQ(r.find("source")->str(), "bulwark");
  ASSERT_EQ(r.find("results")->items.size(), 3u);

  const Value& fail = result(r, "privileged");
  EXPECT_EQ(fail.find("result")->str(), "fail");
  EXPECT_EQ(fail.find("policy")->str(), "prod");
  EXPECT_EQ(fail.find("severity")->str(), "critical");
  EXPECT_EQ(fail.find("category")->str(), "Pod Security Standards (Baseline)");
  EXPECT_NE(fail.find("message")->str().find("container \"b\""), std::string::npos);
  EXPECT_EQ(fail.find({"properties", "paths"})->str(),
            "spec.template.spec.containers[0].securityContext.privileged, "
            "spec.template.spec.containers[1].securityContext.privileged");
  EXPECT_EQ(fail.find({"properties", "pssVersion"})->str(), "v1.37");
  EXPECT_EQ(fail.find({"timestamp", "seconds"})->as_int(), 1000);

  const Value& skip = result(r, "hostPorts");
  EXPECT_EQ(skip.find("result")->str(), "skip");
  EXPECT_EQ(skip.find({"properties", "exemption"})->str(), "legacy");
  EXPECT_EQ(skip.find({"properties", "expires"})->str(), "2027-03-01T00:00:00Z");

  EXPECT_EQ(result(r, "sysctls").find("result")->str(), "pass");
  EXPECT_EQ(result(r, "sysctls").find("message"), nullptr);
  EXPECT_EQ(document::to_json(*r.find("summary")),
            R"({"pass":1,"fail":1,"warn":0,"error":0,"skip":1})");
  // Offline: no uid, so no owner reference.
  EXPECT_EQ(r.find({"metadata", "ownerReferences"}), nullptr);
}

// A control Bulwark could not read the inputs of is OpenReports' "error", with the reason.
TEST_F(OpenReportTest, AControlNotEvaluatedIsAnErrorWithItsReason) {
  verdict.not_evaluated.push_back({"sysctls", "no input"});
  const Value r = report();
  EXPECT_EQ(result(r, "sysctls").find("result")->str(), "error");
  EXPECT_EQ(result(r, "sysctls").find({"properties", "reason"})->str(), "no input");
  EXPECT_EQ(result(r, "sysctls").find("message")->str(), "not evaluated: no input");
  EXPECT_EQ(r.find({"summary", "error"})->as_int(), 1);
  EXPECT_EQ(r.find({"summary", "pass"})->as_int(), 0);
}

TEST_F(OpenReportTest, InAClusterTheWorkloadOwnsItsReport) {
  const Value r = report("uid-7");
  const Value& owner = r.find({"metadata", "ownerReferences"})->items.at(0);
  EXPECT_EQ(document::to_json(owner),
            R"({"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":"uid-7"})");
  EXPECT_EQ(r.find({"scope", "uid"})->str(), "uid-7");
}

TEST_F(OpenReportTest, TheContentKeyIgnoresOnlyTimestamps) {
  const Value a = report();
  const Value b =
      open_report({"apps/v1", "Deployment", "web", "shop", ""},
                  {{"prod", {"privileged", "hostPorts", "sysctls"}, &verdict, "v1.37", ""}}, 2000);
  EXPECT_EQ(content_key(a), content_key(b));
  verdict.violations.pop_back();
  EXPECT_NE(content_key(a), content_key(report()));
}

TEST_F(OpenReportTest, ResultsAreCappedDroppingPassesFirst) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kMaxResults + 20; ++i) names.push_back("c" + std::to_string(i));
  std::vector<std::string_view> controls(names.begin(), names.end());
  controls.push_back("privileged");
  const Value r =
      open_report({"v1", "Pod", "p", "shop", ""}, {{"prod", controls, &verdict, "latest", ""}}, 1);
  EXPECT_EQ(r.find("results")->items.size(), kMaxResults);
  EXPECT_EQ(r.find("results")->items.front().find("rule")->str(), "privileged");
  EXPECT_EQ(r.find({"summary", "fail"})->as_int(), 1);
}

// Summarised, a policy's passing controls are one result that says how many; fails and skips
// are listed as ever, and the summary counts controls either way. The two forms are different
// content, so a change of form rewrites a report once.
TEST_F(OpenReportTest, PassesSummarisedAreOneResultAPolicy) {
  const Value r =
      open_report({"apps/v1", "Deployment", "web", "shop", ""},
                  {{"prod", {"privileged", "hostPorts", "sysctls"}, &verdict, "v1.37", ""}}, 1000,
                  Format::kOpenReports, Passes::kSummarised);
  ASSERT_EQ(r.find("results")->items.size(), 3u);
  EXPECT_EQ(result(r, "privileged").find("result")->str(), "fail");
  EXPECT_EQ(result(r, "hostPorts").find("result")->str(), "skip");
  const Value& passing = result(r, kPassingRule);
  EXPECT_EQ(document::to_json(passing),
            R"({"source":"bulwark","policy":"prod","rule":"passing","result":"pass",)"
            R"("message":"1 control passes","timestamp":{"seconds":1000,"nanos":0}})");
  EXPECT_EQ(document::to_json(*r.find("summary")),
            R"({"pass":1,"fail":1,"warn":0,"error":0,"skip":1})");
  EXPECT_NE(content_key(r), content_key(report()));
}

// A compliant workload's report under a policy of 20 controls, as Bulwark writes it, leaves room
// in 1 KiB for what the API server adds (uid, versions, managedFields): as stored, 802 bytes
// against 3,623 with every pass listed (docs/benchmarks.md, Policy reports).
TEST_F(OpenReportTest, ACompliantWorkloadsReportIsSmall) {
  posture::Verdict clean;
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) names.push_back("restrictedControl" + std::to_string(i));
  const std::vector<std::string_view> controls(names.begin(), names.end());
  const auto body = [&](Passes passes) {
    return document::to_json(
        open_report({"v1", "Pod", "pod-12345", "sc-17", "0c7e2a8c-3a5b-4f0e-9d6e-2b1f5a8e7c41"},
                    {{"sc-baseline", controls, &clean, "latest", ""}}, 1765000000,
                    Format::kOpenReports, passes));
  };
  EXPECT_LT(body(Passes::kSummarised).size(), 700u) << body(Passes::kSummarised);
  EXPECT_GT(body(Passes::kListed).size(), 2500u);
}

TEST_F(OpenReportTest, TheWgPolicyFormatIsThePolicyReportItGrewOutOf) {
  const Value r =
      open_report({"apps/v1", "Deployment", "web", "shop", ""},
                  {{"prod", {"privileged"}, &verdict, "latest", ""}}, 1, Format::kWgPolicy);
  EXPECT_EQ(r.find("apiVersion")->str(), "wgpolicyk8s.io/v1alpha2");
  EXPECT_EQ(r.find("kind")->str(), "PolicyReport");
  EXPECT_EQ(r.find("source"), nullptr);  // not in that schema
  EXPECT_EQ(r.find("results")->items.at(0).find("source")->str(), "bulwark");
}

TEST(ReportName, IsFoundFromTheWorkloadAndStaysAValidName) {
  EXPECT_EQ(report_name("StatefulSet", "db"), "statefulset-db");
  const std::string long_name(250, 'a');
  const std::string n = report_name("Deployment", long_name);
  EXPECT_EQ(n.size(), 253u);
  EXPECT_NE(n, report_name("Deployment", long_name + "b"));
}

TEST(YamlWriter, ReadsBackAsTheSameJson) {
  Value v = Value::object();
  v.set("yes", Value::string("true"))
      .set("version", Value::string("1.0"))
      .set("empty", Value::string(""))
      .set("nothing", Value::null())
      .set("count", Value::integer(3))
      .set("flag", Value::boolean(false))
      .set("text", Value::string("a: b # c\nsecond line"))
      .set("list", Value::array().push(Value::string("on")).push(Value::object()));
  std::istringstream in(document::to_yaml(v));
  Value back;
  ASSERT_TRUE(document::make_yaml_reader(in)->next(back));
  EXPECT_EQ(document::to_json(back), document::to_json(v)) << document::to_yaml(v);
}

}  // namespace
}  // namespace bulwark::policy_reports
