// The engine as a whole: which kinds it reads, selection, exemptions and their expiry.
#include <gtest/gtest.h>

#include <algorithm>

#include "operator/base/time_text.h"
#include "operator/policy/control_ids.h"
#include "operator/posture/check.h"
#include "operator/rbac/permission_checks.h"
#include "operator/rbac/rbac.h"
#include "tests/posture/eval_helpers.h"

namespace bulwark::testing {
namespace {

using namespace std::chrono_literals;

const char* const kPrivilegedContainer =
    "{containers: [{name: a, image: 'i:1', securityContext: {privileged: true}}]}";

TEST(WorkloadFrom, ReadsThePodTemplateOfEveryKind) {
  struct Case {
    std::string kind;
    std::string wrap;  // YAML around the pod template, with $T for it
    std::string path;
  };
  const std::string tmpl =
      "{metadata: {labels: {a: b}}, spec: " + std::string(kPrivilegedContainer) + "}";
  for (const auto& c : std::vector<Case>{
           {"Deployment", "{template: $T}", "spec.template.spec.containers[0]"},
           {"StatefulSet", "{template: $T}", "spec.template.spec.containers[0]"},
           {"DaemonSet", "{template: $T}", "spec.template.spec.containers[0]"},
           {"ReplicaSet", "{template: $T}", "spec.template.spec.containers[0]"},
           {"ReplicationController", "{template: $T}", "spec.template.spec.containers[0]"},
           {"Job", "{template: $T}", "spec.template.spec.containers[0]"},
           {"CronJob", "{jobTemplate: {spec: {template: $T}}}",
            "spec.jobTemplate.spec.template.spec.containers[0]"},
       }) {
    SCOPED_TRACE(c.kind);
    std::string spec = c.wrap;
    spec.replace(spec.find("$T"), 2, tmpl);
    const auto doc =
        parse_yaml("apiVersion: apps/v1\nkind: " + c.kind +
                   "\nmetadata: {name: w, namespace: ns, labels: {team: x}}\nspec: " + spec);
    auto w = posture::workload_from(doc);
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->name, "w");
    EXPECT_EQ(w->namespace_name, "ns");
    EXPECT_EQ(w->labels.at("team"), "x");
    crds::SecurityPolicySpec p;
    p.pod_security.level = crds::PssLevel::kBaseline;
    auto vs = posture::PolicyEvaluator(p).evaluate(*w, {}).violations;
    ASSERT_EQ(vs.size(), 1u);
    EXPECT_EQ(vs[0].path, c.path + ".securityContext.privileged");
  }
}

TEST(WorkloadFrom, KindsWithoutAPodTemplateAreNotWorkloads) {
  EXPECT_FALSE(posture::workload_from(parse_yaml("kind: ConfigMap\nmetadata: {name: c}")));
  EXPECT_FALSE(posture::workload_from(parse_yaml("kind: Service\nspec: {}")));
  EXPECT_FALSE(posture::workload_from(parse_yaml("just: data")));
  EXPECT_FALSE(posture::workload_from(parse_yaml("- a list")));
}

TEST(WorkloadFrom, MissingTemplateIsAnEmptyPod) {
  auto doc = parse_yaml("kind: Deployment\nmetadata: {name: d}");
  auto w = posture::workload_from(doc);
  ASSERT_TRUE(w.has_value());
  crds::SecurityPolicySpec p;
  EXPECT_TRUE(posture::PolicyEvaluator(p).evaluate(*w, {}).violations.empty());
}

TEST(Selection, KindsExcludedNamespacesAndSelectors) {
  crds::SecurityPolicySpec p;
  p.match.kinds = {"Deployment"};
  p.match.workload_selector.match_labels = {{"team", "shop"}};
  crds::LabelSelector::Requirement req;
  req.key = "env";
  req.op = crds::LabelSelector::Requirement::Operator::kIn;
  req.values = {"prod"};
  p.match.namespace_selector.match_expressions.push_back(req);
  posture::PolicyEvaluator e(p);

  auto doc =
      parse_yaml("kind: Deployment\nmetadata: {name: d, namespace: shop, labels: {team: shop}}");
  auto w = *posture::workload_from(doc);
  crds::Labels prod{{"env", "prod"}}, dev{{"env", "dev"}};
  EXPECT_TRUE(e.selects(w, &prod));
  EXPECT_FALSE(e.selects(w, &dev));
  EXPECT_TRUE(e.selects(w, nullptr));  // labels unknown offline: not applied

  w.labels["team"] = "other";
  EXPECT_FALSE(e.selects(w, &prod));
  w.labels["team"] = "shop";
  w.namespace_name = "kube-system";
  EXPECT_FALSE(e.selects(w, &prod));
  w.namespace_name = "shop";
  w.kind = "Pod";
  EXPECT_FALSE(e.selects(w, &prod));
}

TEST(LabelSelector, Operators) {
  using Op = crds::LabelSelector::Requirement::Operator;
  crds::LabelSelector s;
  s.match_expressions = {
      {"a", Op::kNotIn, {"x"}}, {"b", Op::kExists, {}}, {"c", Op::kDoesNotExist, {}}};
  EXPECT_TRUE(s.matches({{"a", "y"}, {"b", ""}}));
  EXPECT_TRUE(s.matches({{"b", "1"}}));
  EXPECT_FALSE(s.matches({{"a", "x"}, {"b", "1"}}));
  EXPECT_FALSE(s.matches({{"b", "1"}, {"c", "1"}}));
  EXPECT_FALSE(s.matches({}));
  EXPECT_TRUE(crds::LabelSelector{}.matches({}));
}

class Exemptions : public ::testing::Test {
 protected:
  Exemptions()
      : doc_(parse_yaml("kind: Deployment\nmetadata: {name: d, namespace: batch, labels: {app: "
                        "legacy}}\nspec: {template: {spec: {hostNetwork: true, containers: [{name: "
                        "a, image: 'i:1', securityContext: {privileged: true}}]}}}")),
        workload_(*posture::workload_from(doc_)) {
    policy_.pod_security.level = crds::PssLevel::kBaseline;
  }
  posture::Verdict eval(std::chrono::system_clock::time_point now) {
    return posture::PolicyEvaluator(policy_).evaluate(workload_, {now});
  }

  document::Value doc_;
  posture::Workload workload_;
  crds::SecurityPolicySpec policy_;
  const std::chrono::system_clock::time_point now_ = *base::parse_rfc3339("2026-11-28T10:00:00Z");
};

TEST_F(Exemptions, NoExemptionMeansViolating) {
  auto v = eval(now_);
  EXPECT_EQ(v.posture, posture::Posture::kViolating);
  EXPECT_EQ(v.violations.size(), 2u);
}

TEST_F(Exemptions, ControlExemptionExcusesOnlyThatControl) {
  crds::Exemption ex;
  ex.name = "x";
  ex.controls = {"privileged"};
  policy_.exemptions.push_back(ex);
  auto v = eval(now_);
  EXPECT_EQ(v.posture, posture::Posture::kViolating);
  EXPECT_EQ(controls(v.violations), std::set<std::string>{"hostNamespaces"});
  EXPECT_EQ(controls(v.exempted), std::set<std::string>{"privileged"});
}

TEST_F(Exemptions, FullExemptionMakesTheWorkloadExempt) {
  crds::Exemption ex;
  ex.name = "all";
  ex.namespaces = {"batch"};
  ex.workload_selector.match_labels = {{"app", "legacy"}};
  policy_.exemptions.push_back(ex);
  auto v = eval(now_);
  EXPECT_EQ(v.posture, posture::Posture::kExempt);
  EXPECT_TRUE(v.violations.empty());
  EXPECT_EQ(v.exempted.size(), 2u);
}

// A control whose input could not be read is neither compliant nor violating: the workload is
// not-evaluated, naming the control and why, unless a violation or an exemption decides.
TEST_F(Exemptions, AControlWithoutItsInputIsNotEvaluatedNeverCompliant) {
  policy_.pod_security.level = crds::PssLevel::kPrivileged;
  policy_.images.forbid_latest_tag = false;
  policy_.images.max_severity = crds::Severity::kHigh;
  policy_.permissions.forbid = {"rbacSecretsRead"};
  posture::EvaluationContext context{now_};
  context.vulnerabilities_unread = "no report";
  auto v = posture::PolicyEvaluator(policy_).evaluate(workload_, context);
  EXPECT_EQ(v.posture, posture::Posture::kNotEvaluated);
  ASSERT_EQ(v.not_evaluated.size(), 2u);  // in docs/api.md's order of controls
  EXPECT_EQ(v.not_evaluated[0].control, "imageVulnerabilities");
  EXPECT_EQ(v.not_evaluated[0].reason, "no report");
  EXPECT_EQ(v.not_evaluated[1].control, "rbacSecretsRead");
  // With its inputs it is judged.
  const rbac::Permissions none;
  const posture::VulnerabilityCounts clean{};
  context.permissions = &none;
  context.vulnerabilities = &clean;
  EXPECT_EQ(posture::PolicyEvaluator(policy_).evaluate(workload_, context).posture,
            posture::Posture::kCompliant);
  // An exemption of the control excuses it from being evaluated too.
  crds::Exemption ex;
  ex.name = "vulns";
  ex.controls = {"imageVulnerabilities"};
  policy_.exemptions.push_back(ex);
  context.vulnerabilities = nullptr;
  v = posture::PolicyEvaluator(policy_).evaluate(workload_, context);
  EXPECT_EQ(v.posture, posture::Posture::kExempt);  // excused, not proven compliant
  EXPECT_TRUE(v.not_evaluated.empty());
  ASSERT_EQ(v.exempted.size(), 1u);
  EXPECT_EQ(v.exempted[0].message, "not evaluated: no report");
  // A violation decides whatever else is unknown.
  policy_.pod_security.level = crds::PssLevel::kBaseline;
  context.permissions = nullptr;
  EXPECT_EQ(posture::PolicyEvaluator(policy_).evaluate(workload_, context).posture,
            posture::Posture::kViolating);
}

TEST_F(Exemptions, OtherNamespaceOrLabelsDoNotMatch) {
  crds::Exemption ex;
  ex.name = "other";
  ex.namespaces = {"shop"};
  policy_.exemptions.push_back(ex);
  crds::Exemption ex2;
  ex2.name = "labels";
  ex2.workload_selector.match_labels = {{"app", "web"}};
  policy_.exemptions.push_back(ex2);
  EXPECT_EQ(eval(now_).posture, posture::Posture::kViolating);
}

TEST_F(Exemptions, ExpiredExemptionNoLongerApplies) {
  crds::Exemption ex;
  ex.name = "temp";
  ex.expires = now_ + 1h;
  policy_.exemptions.push_back(ex);
  EXPECT_EQ(eval(now_).posture, posture::Posture::kExempt);
  EXPECT_EQ(eval(now_ + 1h - 1s).posture, posture::Posture::kExempt);
  EXPECT_EQ(eval(now_ + 1h).posture, posture::Posture::kViolating);
}

TEST(Severity, EveryControlHasOne) {
  EXPECT_EQ(posture::severity_of("privileged"), crds::Severity::kCritical);
  EXPECT_EQ(posture::severity_of("imageDigest"), crds::Severity::kLow);
  EXPECT_EQ(posture::severity_of("runAsNonRoot"), crds::Severity::kHigh);
}

TEST(PolicyEvaluator, PicksChecksOncePerLevelAndVersion) {
  crds::SecurityPolicySpec p;
  p.pod_security.version = *crds::PssVersion::parse("v1.0");
  auto ids = posture::PolicyEvaluator(p).pss_controls();
  // At 1.0 restricted: no allowPrivilegeEscalation (1.8), capabilities_restricted (1.22),
  // runAsUser (1.23), seccompProfile_restricted (1.19), hostProbes (1.34), procMount_restricted
  // (1.35).
  std::set<std::string> got(ids.begin(), ids.end());
  EXPECT_EQ(got,
            (std::set<std::string>{"appArmorProfile", "capabilities_baseline", "hostNamespaces",
                                   "hostPorts", "privileged", "procMount", "restrictedVolumes",
                                   "runAsNonRoot", "seLinuxOptions", "seccompProfile_baseline",
                                   "sysctls", "windowsHostProcess"}));
  p.pod_security.version = {};
  EXPECT_EQ(posture::PolicyEvaluator(p).pss_controls().size(), 15u);
}

}  // namespace
}  // namespace bulwark::testing

namespace bulwark::testing {
namespace {

// A pod of many violating containers keeps 64 findings a control and one counting the rest: the
// verdict is the same, the memory of one admission review bounded.
TEST(PolicyEvaluator, KeepsAtMost64FindingsAControl) {
  std::string containers;
  for (int i = 0; i < 1000; ++i) {
    containers += std::string(i > 0 ? ", " : "") + "{name: c" + std::to_string(i) +
                  ", image: r.example.com/a:1, securityContext: {privileged: true}}";
  }
  const auto vs = eval_pod("{containers: [" + containers + "]}", crds::PssLevel::kBaseline);
  ASSERT_EQ(vs.size(), posture::detail::kMaxFindingsPerControl + 1);
  EXPECT_EQ(vs[0].path, "spec.containers[0].securityContext.privileged");
  EXPECT_EQ(vs.back().control, "privileged");
  EXPECT_EQ(vs.back().message, "and 936 more findings like these");
  EXPECT_EQ(vs.back().path, "");
}

// One row per control: the IDs users write (kControlIds, the CRD's enum) are exactly the Pod
// Security checks (upstream's order there, docs/api.md's in kControlIds), then Bulwark's own
// checks and the RBAC controls in docs/api.md's order, and each has a severity and a category
// from its row.
TEST(ControlTables, EveryControlIdIsOneRowOfOneTable) {
  std::vector<std::string_view> rows;
  for (const auto& c : posture::detail::pss_checks()) rows.push_back(c.id);
  const auto pss = static_cast<std::ptrdiff_t>(rows.size());
  for (const auto& c : posture::detail::own_checks()) rows.push_back(c.id);
  for (const auto& c : rbac::permission_controls()) rows.push_back(c.id);
  std::vector<std::string_view> ids(crds::kControlIds.begin(), crds::kControlIds.end());
  ASSERT_EQ(rows.size(), ids.size());
  std::sort(rows.begin(), rows.begin() + pss);
  std::sort(ids.begin(), ids.begin() + pss);
  EXPECT_EQ(rows, ids);
  for (const auto& c : posture::detail::own_checks()) {
    EXPECT_EQ(posture::severity_of(c.id), c.severity) << c.id;
    EXPECT_EQ(posture::category_of(c.id), c.category) << c.id;
    // A workload control has a check; only a namespace control has neither switch nor check.
    EXPECT_EQ(c.enabled == nullptr, c.judge == nullptr) << c.id;
  }
  EXPECT_EQ(posture::category_of("rbacEscalate"), "RBAC");
  EXPECT_EQ(posture::severity_of("rbacEscalate"), crds::Severity::kCritical);
}

}  // namespace
}  // namespace bulwark::testing
