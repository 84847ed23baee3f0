#include "operator/posture/fixes.h"

#include <gtest/gtest.h>

#include "operator/document/json_writer.h"
#include "operator/policy/control_ids.h"
#include "tests/posture/eval_helpers.h"

namespace bulwark::posture {
namespace {

using bulwark::testing::parse_yaml;
using document::Value;

struct Fixed {
  FixPlan plan;
  Value doc;  // the document with the plan applied
  Verdict before;
  Verdict after;  // the patched document's verdict
};

crds::SecurityPolicySpec restricted() {
  crds::SecurityPolicySpec policy;
  policy.images.forbid_latest_tag = false;
  policy.pod_security.level = crds::PssLevel::kRestricted;
  return policy;
}

Fixed fix(const std::string& yaml, const crds::SecurityPolicySpec& policy = restricted()) {
  Fixed out;
  out.doc = parse_yaml(yaml);
  const Value original = out.doc;
  const PolicyEvaluator evaluator(policy);
  out.before = evaluator.evaluate(*workload_from(original), {});
  out.plan = plan_fixes(*workload_from(original), out.before);
  EXPECT_TRUE(apply_patch(out.doc, out.plan.ops));
  out.after = evaluator.evaluate(*workload_from(out.doc), {});
  return out;
}

std::string pod(const std::string& spec) {
  return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: " + spec;
}

std::string ops_json(const FixPlan& plan) { return document::to_json(patch_document(plan.ops)); }

TEST(FixTable, OneRowPerControlInOrderAndAPlanExactlyForTheFixable) {
  const auto& table = fix_table();
  ASSERT_EQ(table.size(), crds::kControlIds.size());
  for (std::size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].control, crds::kControlIds[i]);
    EXPECT_EQ(table[i].fixable, table[i].plan != nullptr) << table[i].control;
    EXPECT_FALSE(table[i].what.empty()) << table[i].control;
    EXPECT_EQ(table[i].fixable, !table[i].unless.empty()) << table[i].control;
  }
  EXPECT_EQ(fix_rule("privileged")->fixable, false);
  EXPECT_EQ(fix_rule("allowPrivilegeEscalation")->fixable, true);
  EXPECT_EQ(fix_rule("nope"), nullptr);
  // A network or RBAC control without a row of its own takes its family's reason.
  EXPECT_NE(fix_rule("rbacWildcard")->what.find("roles and bindings"), std::string_view::npos);
  EXPECT_NE(fix_rule("networkEgressToWorld")->what.find("NetworkPolicies"), std::string_view::npos);
}

TEST(Fixes, ABareContainerGetsOneSecurityContextAndOnlyRunAsNonRootIsLeft) {
  const auto f =
      fix("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
          "    spec:\n      containers: [{name: app, image: nginx}]\n");
  EXPECT_EQ(ops_json(f.plan),
            R"([{"op":"add","path":"/spec/template/spec/containers/0/securityContext","value":)"
            R"({"capabilities":{"drop":["ALL"]},"allowPrivilegeEscalation":false,)"
            R"("seccompProfile":{"type":"RuntimeDefault"}}}])");
  EXPECT_EQ(f.plan.fixed, 3u);
  EXPECT_EQ(f.plan.left, 1u);
  EXPECT_EQ(bulwark::testing::controls(f.after.violations),
            (std::set<std::string>{"runAsNonRoot"}));
}

TEST(Fixes, ANumericUserAboveZeroMakesRunAsNonRootFixableAndThePodCompliant) {
  const auto f =
      fix(pod("{securityContext: {runAsUser: 1000}, containers: [{name: a, image: x}, "
              "{name: b, image: y, securityContext: {runAsNonRoot: false}}]}"));
  EXPECT_EQ(f.plan.left, 0u);
  EXPECT_EQ(f.after.posture, Posture::kCompliant);
  EXPECT_EQ(f.doc.find({"spec", "containers"})
                ->items[1]
                .find({"securityContext", "runAsNonRoot"})
                ->as_bool(),
            true);
}

TEST(Fixes, RunAsNonRootNeedsADecisionWithoutAUserOrWithRoot) {
  for (const auto& context : {"{}", "{runAsUser: 0}", "{runAsUser: \"1000\"}"}) {
    const auto f = fix(
        pod("{containers: [{name: a, image: x, securityContext: " + std::string(context) + "}]}"));
    EXPECT_TRUE(bulwark::testing::has(f.after.violations, "runAsNonRoot")) << context;
  }
}

// The pod's own false would reach containers added later (kubectl debug), whose user nobody
// checked: only the containers' are set.
TEST(Fixes, ThePodsRunAsNonRootFalseIsLeftAndItsContainersAreFixed) {
  const auto f =
      fix(pod("{securityContext: {runAsNonRoot: false, runAsUser: 7}, "
              "containers: [{name: a, image: x}]}"));
  EXPECT_EQ(f.doc.find({"spec", "securityContext", "runAsNonRoot"})->as_bool(), false);
  EXPECT_EQ(f.doc.find({"spec", "containers"})
                ->items[0]
                .find({"securityContext", "runAsNonRoot"})
                ->as_bool(),
            true);
  EXPECT_EQ(f.plan.left, 1u);
  ASSERT_EQ(f.after.violations.size(), 1u);
  EXPECT_EQ(f.after.violations[0].path, "spec.securityContext.runAsNonRoot");
}

TEST(Fixes, AllowPrivilegeEscalationIsNeverSetBesidePrivilegedOrSysAdminOrOverAnExplicitTrue) {
  for (const auto& context :
       {"{privileged: true}", "{capabilities: {add: [SYS_ADMIN]}}",
        "{capabilities: {add: [CAP_SYS_ADMIN]}}", "{allowPrivilegeEscalation: true}"}) {
    const auto f = fix(
        pod("{containers: [{name: a, image: x, securityContext: " + std::string(context) + "}]}"));
    EXPECT_TRUE(bulwark::testing::has(f.after.violations, "allowPrivilegeEscalation")) << context;
    EXPECT_EQ(ops_json(f.plan).find("allowPrivilegeEscalation"), std::string::npos) << context;
  }
}

TEST(Fixes, ALLIsAppendedToAnExistingDropListAndAddedCapabilitiesStay) {
  const auto f =
      fix(pod("{containers: [{name: a, image: x, securityContext: {capabilities: "
              "{drop: [NET_RAW], add: [NET_ADMIN]}}}]}"));
  EXPECT_NE(ops_json(f.plan).find(
                R"({"op":"add","path":"/spec/containers/0/securityContext/capabilities/drop/-",)"
                R"("value":"ALL"})"),
            std::string::npos);
  const auto& caps =
      *f.doc.find({"spec", "containers"})->items[0].find({"securityContext", "capabilities"});
  EXPECT_EQ(document::to_json(caps), R"({"drop":["NET_RAW","ALL"],"add":["NET_ADMIN"]})");
  EXPECT_TRUE(bulwark::testing::has(f.after.violations, "capabilities_restricted"));
}

TEST(Fixes, AProfileThePodNamesIsADecision) {
  const auto f =
      fix(pod("{securityContext: {seccompProfile: {type: Unconfined}}, "
              "containers: [{name: a, image: x}]}"));
  EXPECT_EQ(ops_json(f.plan).find("seccompProfile"), std::string::npos);
  EXPECT_TRUE(bulwark::testing::has(f.after.violations, "seccompProfile_restricted"));
  const auto annotated =
      fix("apiVersion: v1\nkind: Pod\nmetadata: {name: p, annotations: "
          "{container.seccomp.security.alpha.kubernetes.io/a: unconfined}}\n"
          "spec: {containers: [{name: a, image: x}]}\n");
  EXPECT_EQ(ops_json(annotated.plan).find("seccompProfile"), std::string::npos);
}

TEST(Fixes, ACompliantPodGetsNoPatchAndAFixedOneNoSecond) {
  const auto f =
      fix(pod("{securityContext: {runAsUser: 10}, initContainers: [{name: i, image: "
              "x}], containers: [{name: a, image: x}, {name: b, image: x}]}"));
  EXPECT_EQ(f.after.posture, Posture::kCompliant);
  const auto again = plan_fixes(*workload_from(f.doc), f.after);
  EXPECT_TRUE(again.ops.empty());
  EXPECT_EQ(again.fixed + again.left, 0u);
  // Init containers come first, as the checks visit them.
  EXPECT_EQ(f.plan.ops.front().path, "/spec/initContainers/0/securityContext");
}

TEST(Fixes, AnExemptedControlIsNotFixed) {
  auto policy = restricted();
  crds::Exemption exemption;
  exemption.name = "legacy";
  exemption.controls = {"seccompProfile_restricted"};
  policy.exemptions.push_back(exemption);
  const auto f = fix(pod("{containers: [{name: a, image: x}]}"), policy);
  EXPECT_EQ(ops_json(f.plan).find("seccompProfile"), std::string::npos);
  EXPECT_NE(ops_json(f.plan).find("allowPrivilegeEscalation"), std::string::npos);
}

TEST(Fixes, WindowsPodsGetNoLinuxFields) {
  const auto f =
      fix(pod("{os: {name: windows}, securityContext: {runAsNonRoot: true}, "
              "containers: [{name: a, image: x}]}"));
  EXPECT_TRUE(f.plan.ops.empty());
  EXPECT_EQ(f.after.posture, Posture::kCompliant);
}

TEST(Fixes, AnUnreadableSecurityContextIsLeftAlone) {
  const auto f = fix(pod("{containers: [{name: a, image: x, securityContext: [1]}]}"));
  EXPECT_TRUE(f.plan.ops.empty());
  EXPECT_EQ(f.plan.fixed, 0u);
}

TEST(Fixes, AListItemsPathsCarryThePrefix) {
  const Value doc = parse_yaml(pod("{containers: [{name: a, image: x}]}"));
  const auto workload = workload_from(doc);
  const auto verdict = PolicyEvaluator(restricted()).evaluate(*workload, {});
  const auto plan = plan_fixes(*workload, verdict, "/items/3");
  ASSERT_FALSE(plan.ops.empty());
  EXPECT_EQ(plan.ops[0].path, "/items/3/spec/containers/0/securityContext");
}

TEST(ApplyPatch, AddsByPointerWithEscapesAndRefusesWhatDoesNotResolve) {
  Value doc = parse_yaml("{a: {b/c: [1, 2]}}");
  EXPECT_TRUE(apply_patch(doc, {{"/a/b~1c/-", Value::integer(3)}, {"/a/~0x", Value::null()}}));
  EXPECT_EQ(document::to_json(doc), R"({"a":{"b/c":[1,2,3],"~x":null}})");
  EXPECT_TRUE(apply_patch(doc, {{"/a/b~1c/0", Value::integer(0)}}));
  EXPECT_EQ(document::to_json(doc), R"({"a":{"b/c":[0,1,2,3],"~x":null}})");
  for (const auto* path : {"", "a", "/missing/x", "/a/b~1c/9", "/a/b~1c/x", "/a/b~1c/-/y",
                           "/a/b~1c/99999999999999999999"}) {
    Value copy = doc;
    EXPECT_FALSE(apply_patch(copy, {{path, Value::integer(1)}})) << path;
  }
}

}  // namespace
}  // namespace bulwark::posture
