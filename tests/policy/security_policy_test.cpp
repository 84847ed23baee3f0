// Reading a SecurityPolicy: defaults, every field, and errors that name the field.
#include "operator/policy/security_policy.h"

#include <gtest/gtest.h>

#include <sstream>

#include "operator/base/time_text.h"
#include "operator/document/reader.h"

namespace bulwark::crds {
namespace {

PolicyParseResult parse(const std::string& yaml) {
  std::istringstream in(yaml);
  document::Value v;
  EXPECT_TRUE(document::make_yaml_reader(in)->next(v));
  return parse_security_policy(v);
}

const std::string kHeader =
    "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p, generation: 4}\n";

std::vector<std::string> fields(const PolicyParseResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.field);
  return out;
}

TEST(SecurityPolicy, DefaultsFromTheApi) {
  auto r = parse(kHeader + "spec: {}\n");
  ASSERT_TRUE(r.ok());
  const auto& s = r.policy.spec;
  EXPECT_EQ(r.policy.name, "p");
  EXPECT_EQ(r.policy.generation, 4);
  EXPECT_EQ(s.pod_security.level, PssLevel::kRestricted);
  EXPECT_TRUE(s.pod_security.version.latest());
  EXPECT_TRUE(s.images.forbid_latest_tag);
  EXPECT_FALSE(s.images.require_digest);
  EXPECT_TRUE(s.network.default_deny);
  EXPECT_TRUE(s.network.allow_dns_egress);
  EXPECT_EQ(s.enforcement.mode, EnforcementMode::kAudit);
  ASSERT_EQ(s.enforcement.actions.size(), 1u);
  EXPECT_EQ(s.match.kinds.size(),
            8u);  // every row of posture/workload_kinds.h, ReplicationController too
  EXPECT_EQ(s.match.exclude_namespaces,
            (std::vector<std::string>{"kube-system", "kube-public", "kube-node-lease"}));
}

TEST(SecurityPolicy, ReadsEveryField) {
  auto r = parse(kHeader + R"(spec:
  match:
    namespaceSelector: {matchLabels: {env: prod}}
    excludeNamespaces: [ops]
    workloadSelector: {matchExpressions: [{key: tier, operator: In, values: [web]}]}
    kinds: [Deployment]
  podSecurity: {level: baseline, version: v1.29}
  images: {allowedRegistries: [r.io/], forbidLatestTag: false, requireDigest: true, maxSeverity: High}
  resources: {requireLimits: true, requireRequests: true}
  serviceAccount: {forbidAutomountToken: true}
  network: {defaultDeny: false, allowDNSEgress: false}
  enforcement: {mode: Enforce, actions: [Annotate, Quarantine, ScaleToZero]}
  exemptions:
  - {name: a, namespaces: [batch], controls: [runAsNonRoot], expires: "2027-03-01T00:00:00Z", reason: r}
)");
  ASSERT_TRUE(r.ok()) << r.errors[0].field << ": " << r.errors[0].message;
  const auto& s = r.policy.spec;
  EXPECT_EQ(s.match.namespace_selector.match_labels.at("env"), "prod");
  EXPECT_EQ(s.match.workload_selector.match_expressions[0].values[0], "web");
  EXPECT_EQ(s.pod_security.level, PssLevel::kBaseline);
  EXPECT_EQ(s.pod_security.version.minor, 29);
  EXPECT_EQ(s.images.max_severity, Severity::kHigh);
  EXPECT_TRUE(s.images.require_digest);
  EXPECT_FALSE(s.images.forbid_latest_tag);
  EXPECT_TRUE(s.resources.require_limits && s.resources.require_requests);
  EXPECT_TRUE(s.service_account.forbid_automount_token);
  EXPECT_FALSE(s.network.default_deny);
  EXPECT_EQ(s.enforcement.mode, EnforcementMode::kEnforce);
  EXPECT_EQ(s.enforcement.actions.size(), 3u);
  ASSERT_EQ(s.exemptions.size(), 1u);
  EXPECT_EQ(s.exemptions[0].expires, base::parse_rfc3339("2027-03-01T00:00:00Z"));
}

TEST(SecurityPolicy, ErrorsNameTheField) {
  auto r = parse(kHeader + R"(spec:
  podSecurity: {level: strict, version: "1.29"}
  images: {forbidLatestTag: maybe, maxSeverity: Severe}
  enforcement: {mode: Enforce, actions: [Delete]}
  match: {kinds: [Secret], workloadSelector: {matchExpressions: [{key: a, operator: In}]}}
  exemptions:
  - {name: a, controls: [runAsRoot], expires: tomorrow}
  - {name: a}
  - {controls: []}
  unknownField: 1
)");
  EXPECT_EQ(fields(r),
            (std::vector<std::string>{
                "spec.match.workloadSelector.matchExpressions[0].values", "spec.match.kinds[0]",
                "spec.podSecurity.level", "spec.podSecurity.version", "spec.images.forbidLatestTag",
                "spec.images.maxSeverity", "spec.enforcement.actions[0]",
                "spec.exemptions[0].controls[0]", "spec.exemptions[0].expires",
                "spec.exemptions[1].name", "spec.exemptions[2].name", "spec.unknownField"}));
  EXPECT_NE(r.errors[2].message.find("strict"), std::string::npos);
}

// What Quarantine does on a node that does not enforce NetworkPolicy: Report unless asked.
TEST(SecurityPolicy, UnenforcedQuarantineIsReportOrScaleToZero) {
  EXPECT_EQ(parse(kHeader + "spec: {}\n").policy.spec.enforcement.unenforced_quarantine,
            UnenforcedQuarantine::kReport);
  auto r = parse(kHeader + "spec: {enforcement: {unenforcedQuarantine: ScaleToZero}}\n");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.policy.spec.enforcement.unenforced_quarantine, UnenforcedQuarantine::kScaleToZero);
  EXPECT_EQ(fields(parse(kHeader + "spec: {enforcement: {unenforcedQuarantine: Delete}}\n")),
            std::vector<std::string>{"spec.enforcement.unenforcedQuarantine"});
}

TEST(SecurityPolicy, PermissionsForbidTakesRbacControlsOnlyOnceEach) {
  auto ok = parse(kHeader + "spec:\n  permissions: {forbid: [rbacClusterAdmin, rbacPodExec]}\n");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.policy.spec.permissions.forbid,
            (std::vector<std::string>{"rbacClusterAdmin", "rbacPodExec"}));
  auto bad = parse(kHeader +
                   "spec:\n  permissions: {forbid: [privileged, rbacAll, rbacWildcard, "
                   "rbacWildcard], allow: []}\n");
  EXPECT_EQ(fields(bad),
            (std::vector<std::string>{"spec.permissions.forbid[0]", "spec.permissions.forbid[1]",
                                      "spec.permissions.forbid[3]", "spec.permissions.allow"}));
  EXPECT_NE(bad.errors[0].message.find("RBAC control"), std::string::npos);
}

TEST(SecurityPolicy, NetworkForbidTakesWorkloadNetworkControlsOnlyOnceEach) {
  auto ok = parse(
      kHeader + "spec:\n  network: {forbid: [networkIngressUnrestricted, networkEgressToWorld]}\n");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.policy.spec.network.forbid,
            (std::vector<std::string>{"networkIngressUnrestricted", "networkEgressToWorld"}));
  EXPECT_TRUE(parse(kHeader + "spec: {}\n").policy.spec.network.forbid.empty());
  // networkDefaultDeny is the namespace's (defaultDeny turns it on), an RBAC ID is not network.
  auto bad = parse(kHeader +
                   "spec:\n  network: {forbid: [networkDefaultDeny, rbacWildcard, "
                   "networkExposedService, networkExposedService]}\n");
  EXPECT_EQ(fields(bad),
            (std::vector<std::string>{"spec.network.forbid[0]", "spec.network.forbid[1]",
                                      "spec.network.forbid[3]"}));
  EXPECT_NE(bad.errors[0].message.find("network control"), std::string::npos);
}

TEST(SecurityPolicy, LabelKeysAndValuesTheSchemaCannotCheck) {
  auto r = parse(kHeader + R"(spec:
  match:
    namespaceSelector: {matchLabels: {"bad key!": x, "example.com/team": "ok", env: "no spaces"}}
    workloadSelector: {matchExpressions: [{key: "Bad_Prefix.io/app", operator: Exists}]}
)");
  EXPECT_EQ(fields(r),
            (std::vector<std::string>{"spec.match.namespaceSelector.matchLabels.bad key!",
                                      "spec.match.namespaceSelector.matchLabels.env",
                                      "spec.match.workloadSelector.matchExpressions[0].key"}));
  EXPECT_TRUE(parse(kHeader + "spec: {match: {namespaceSelector: {matchLabels: "
                              "{app.kubernetes.io/name: web-1, tier: ''}}}}\n")
                  .ok());
  // A requirement's values: strings, as the schema says, but any string (one no label holds
  // matches nothing): a policy the API server took stays readable.
  EXPECT_TRUE(parse(kHeader + "spec: {match: {workloadSelector: {matchExpressions: [{key: team, "
                              "operator: In, values: [payments/core, -a]}]}}}\n")
                  .ok());
  EXPECT_EQ(
      fields(parse(kHeader + "spec: {match: {workloadSelector: {matchExpressions: [{key: "
                             "team, operator: In, values: [1]}], matchLabels: {a: true}}}}\n")),
      (std::vector<std::string>{"spec.match.workloadSelector.matchLabels.a",
                                "spec.match.workloadSelector.matchExpressions[0].values[0]"}));
}

TEST(SecurityPolicy, WrongKindOrVersion) {
  auto r = parse("apiVersion: v1\nkind: Pod\nspec: {}\n");
  EXPECT_EQ(fields(r), (std::vector<std::string>{"apiVersion", "kind"}));
}

TEST(SecurityPolicy, WrongShapes) {
  auto r = parse(kHeader + "spec: {podSecurity: [restricted], exemptions: {name: x}}\n");
  EXPECT_EQ(fields(r), (std::vector<std::string>{"spec.podSecurity", "spec.exemptions"}));
}

TEST(PssVersionParse, AcceptsLatestAndV1N) {
  EXPECT_TRUE(PssVersion::parse("latest")->latest());
  EXPECT_EQ(PssVersion::parse("v1.0")->minor, 0);
  EXPECT_EQ(PssVersion::parse("v1.37")->effective_minor(), 37);
  EXPECT_EQ(PssVersion::parse("v1.99")->effective_minor(), PssVersion::kLatestKnownMinor);
  EXPECT_FALSE(PssVersion::parse("1.29"));
  EXPECT_FALSE(PssVersion::parse("v2.0"));
  EXPECT_FALSE(PssVersion::parse("v1.x"));
  EXPECT_FALSE(PssVersion::parse("v1."));
}

}  // namespace
}  // namespace bulwark::crds
