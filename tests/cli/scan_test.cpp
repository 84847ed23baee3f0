// bulwark scan end to end: the real binary for exit codes and streams, run_scan() for formats.
#include "app/cli/scan.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "operator/rbac/bootstrap_roles.h"
#include "tests/cli/scan_helpers.h"
#include "tests/support/paths.h"

namespace bulwark::cli {
namespace {

using namespace scan_testing;

TEST(ScanBinary, SamplesFlagExactlyTheViolatingWorkloads) {
  auto r = run_binary("scan -f deploy/samples/workloads -o json");
  EXPECT_EQ(r.status, 1) << r.err;
  for (const char* name : {"db-migrate", "cache", "debug", "node-agent"}) {
    EXPECT_EQ(posture_of(r.out, name), "violating") << name;
  }
  for (const char* name : {"web", "nightly-report"}) {
    EXPECT_EQ(posture_of(r.out, name), "compliant") << name;
  }
  EXPECT_NE(r.out.find("\"workloads\":6,\"compliant\":2,\"violating\":4"), std::string::npos);
  EXPECT_NE(r.out.find("\"skipped\":2"), std::string::npos);
}

// The operator's Deployment and the canary's DaemonSet.
TEST(ScanBinary, TheOperatorsOwnManifestsPassRestricted) {
  auto r = run_binary("scan -f deploy/operator --level restricted -o json");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"workloads\":2,\"compliant\":2"), std::string::npos) << r.out;
}

TEST(ScanBinary, ExitZeroWhenClean) {
  TempDir d;
  auto r = run_binary("scan -f " + d.write("good.yaml", kGoodPod));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("PASS  Pod good"), std::string::npos);
  EXPECT_EQ(r.out.find("\033["), std::string::npos);  // no colour when not a terminal
}

TEST(ScanBinary, ReadsStandardInput) {
  auto r = run_binary("scan -f - -o json", kBadPod);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("\"file\":\"<stdin>\""), std::string::npos);
  auto j =
      run_binary("scan -", R"({"kind":"Pod","metadata":{"name":"j"},"spec":{"hostPID":true}})");
  EXPECT_EQ(j.status, 1);
  EXPECT_NE(j.out.find("hostPID"), std::string::npos);
}

TEST(ScanBinary, MalformedYamlIsExitTwoWithFileDocumentAndLine) {
  TempDir d;
  const auto bad = d.write("bad.yaml", std::string(kGoodPod) + "---\nkind: Pod\nspec: [oops\n");
  auto r = run_binary("scan -f " + bad);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(bad + ": document 1, line "), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("PASS  Pod good"), std::string::npos);  // what parsed is still reported
}

TEST(ScanBinary, DocumentsAfterAMalformedOneAreStillScanned) {
  TempDir d;
  const auto f = d.write("mixed.yaml", std::string("kind: Pod\nspec: {a: [1\n---\n") + kBadPod);
  auto r = run_binary("scan -f " + f + " -o json");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(f + ": document 0, line "), std::string::npos) << r.err;
  EXPECT_EQ(posture_of(r.out, "bad"), "violating");
  EXPECT_NE(r.out.find("\"document\":1"), std::string::npos);
}

TEST(ScanBinary, BinaryEmptyAndMissingFiles) {
  TempDir d;
  const auto bin = d.write("blob.yaml", std::string("\x7f"
                                                    "ELF\0\0\0",
                                                    7));
  auto r = run_binary("scan -f " + bin);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("binary file"), std::string::npos);
  const auto empty = d.write("empty.yaml", "");
  auto e = run_binary("scan -f " + empty + " -f " + d.write("good.yaml", kGoodPod));
  EXPECT_EQ(e.status, 0);
  EXPECT_NE(e.err.find("empty file"), std::string::npos);
  auto m = run_binary("scan -f /nonexistent/x.yaml");
  EXPECT_EQ(m.status, 2);
  EXPECT_NE(m.err.find("/nonexistent/x.yaml: no such file"), std::string::npos);
}

TEST(ScanBinary, FoldersAreReadRecursivelyInNameOrderWithoutFollowingLinks) {
  TempDir d;
  d.write("b/deep/two.yml", kBadPod);
  d.write("a.yaml", kGoodPod);
  d.write("notes.txt", "not a manifest");
  fs::create_directory_symlink(d.path(), d.path() + "/b/loop");
  auto r = run_binary("scan -f " + d.path() + " -o json");
  EXPECT_EQ(r.status, 1) << r.err;
  const auto good = r.out.find("\"name\":\"good\""), bad = r.out.find("\"name\":\"bad\"");
  ASSERT_NE(good, std::string::npos);
  ASSERT_NE(bad, std::string::npos);
  EXPECT_LT(good, bad);
  EXPECT_NE(r.out.find("\"files\":2,"), std::string::npos) << r.out;
}

TEST(ScanBinary, TooLargeJsonIsRefusedClearly) {
  TempDir d;
  const auto big = d.path() + "/big.json";
  {
    std::ofstream f(big);
    f << "[";
    const std::string chunk(1 << 20, ' ');
    for (int i = 0; i < 40; ++i) f << chunk;
    f << "]";
  }
  auto r = run_binary("scan -f " + big);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("file is too large"), std::string::npos) << r.err;
}

TEST(ScanBinary, UsageErrorsAreExitTwo) {
  EXPECT_EQ(run_binary("scan").status, 2);
  EXPECT_EQ(run_binary("scan -f x --level privileged").status, 2);
  EXPECT_EQ(run_binary("scan -f x --pss-version 1.2").status, 2);
  EXPECT_EQ(run_binary("scan -f x -o xml").status, 2);
  EXPECT_EQ(run_binary("scan --bogus").status, 2);
  EXPECT_EQ(run_binary("frobnicate").status, 2);
  auto help = run_binary("scan --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_EQ(help.out.rfind("usage: bulwark scan", 0), 0u);
  auto v = run_binary("version");
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(v.out.rfind("bulwark ", 0), 0u);
}

TEST(ScanBinary, InvalidPolicyIsExitTwoNamingTheField) {
  TempDir d;
  const auto policy = d.write("p.yaml",
                              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\n"
                              "metadata: {name: p}\nspec: {podSecurity: {level: strict}}\n");
  auto r = run_binary("scan -f deploy/samples/workloads --policy " + policy);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("spec.podSecurity.level: must be one of"), std::string::npos) << r.err;
}

// --now replays a decision at a given instant (the differential test of issue 34 gives scan the
// instant it gave the operator and the webhook): an exemption applies before its expires, not
// after; a malformed instant is a usage error.
TEST(ScanBinary, NowDecidesWhetherAnExemptionHasLapsed) {
  TempDir d;
  const auto policy = d.write(
      "p.yaml",
      "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
      "spec:\n  podSecurity: {level: baseline}\n  exemptions:\n"
      "  - {name: legacy, controls: [privileged], reason: r, expires: '2030-01-01T00:00:00Z'}\n");
  const auto pod = d.write("pod.yaml", kBadPod);
  const std::string args = "scan -o json --policy " + policy + " -f " + pod + " --now ";
  auto before = run_binary(args + "2029-12-31T23:59:59Z");
  EXPECT_EQ(before.status, 0) << before.err;
  EXPECT_EQ(posture_of(before.out, "bad"), "exempt");
  auto after = run_binary(args + "2030-01-01T00:00:00Z");
  EXPECT_EQ(after.status, 1) << after.err;
  EXPECT_EQ(posture_of(after.out, "bad"), "violating");
  auto bad = run_binary(args + "tomorrow");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--now must be an RFC 3339 time"), std::string::npos) << bad.err;
}

TEST(ScanFormats, LevelAndVersionFlags) {
  ScanOptions o;
  o.paths = {"-"};
  const std::string pod = "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a}]}\n";
  std::string out, err;
  EXPECT_EQ(scan(o, pod, out, err), kExitViolations);
  o.level = crds::PssLevel::kBaseline;
  EXPECT_EQ(scan(o, pod, out, err), kExitClean);
  const std::string sysctl =
      "kind: Pod\nmetadata: {name: p}\nspec: {securityContext: {sysctls: "
      "[{name: net.ipv4.tcp_rmem}]}, containers: [{name: a}]}\n";
  EXPECT_EQ(scan(o, sysctl, out, err), kExitClean);
  o.pss_version = crds::PssVersion::parse("v1.31");
  EXPECT_EQ(scan(o, sysctl, out, err), kExitViolations);
}

TEST(ScanFormats, KindListAndMultiDocument) {
  ScanOptions o;
  o.paths = {"-"};
  o.format = OutputFormat::kJson;
  std::string out, err;
  const std::string input =
      "apiVersion: v1\nkind: List\nitems:\n"
      "- {kind: Pod, metadata: {name: one}, spec: {hostIPC: true}}\n"
      "- {kind: Service, metadata: {name: svc}}\n"
      "---\n" +
      std::string(kGoodPod);
  EXPECT_EQ(scan(o, input, out, err), kExitViolations) << err;
  EXPECT_NE(out.find("\"name\":\"one\""), std::string::npos);
  EXPECT_NE(out.find("\"document\":1,\"kind\":\"Pod\",\"namespace\":\"\",\"name\":\"good\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"workloads\":2"), std::string::npos);
  EXPECT_NE(out.find("\"skipped\":1"), std::string::npos);
}

TEST(ScanFormats, JsonCarriesControlSeverityMessagePathAndLine) {
  ScanOptions o;
  o.paths = {"-"};
  o.format = OutputFormat::kJson;
  o.level = crds::PssLevel::kBaseline;
  std::string out, err;
  scan(o, kBadPod, out, err);
  EXPECT_NE(out.find("{\"control\":\"privileged\",\"severity\":\"critical\",\"message\":"
                     "\"container \\\"a\\\" must not set securityContext.privileged=true\","
                     "\"path\":\"spec.containers[0].securityContext.privileged\",\"line\":8}"),
            std::string::npos)
      << out;
}

TEST(ScanFormats, SarifIsVersion2_1_0WithRulesAndRegions) {
  ScanOptions o;
  o.paths = {"-"};
  o.format = OutputFormat::kSarif;
  o.level = crds::PssLevel::kBaseline;
  std::string out, err;
  scan(o, kBadPod, out, err);
  EXPECT_NE(out.find("\"version\":\"2.1.0\""), std::string::npos);
  EXPECT_NE(out.find("\"ruleId\":\"privileged\",\"level\":\"error\""), std::string::npos);
  EXPECT_NE(out.find("\"region\":{\"startLine\":8}"), std::string::npos);
  EXPECT_NE(out.find("{\"id\":\"runAsNonRoot\""), std::string::npos);
  EXPECT_NE(out.find("\"security-severity\":\"9.5\""), std::string::npos);
}

// A scan reads no vulnerability report: images.maxSeverity is not evaluated, in every format,
// and the workload is never called compliant (exit 0: nothing violates).
TEST(ScanFormats, AControlWithoutItsInputIsNotEvaluatedInEveryFormat) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  podSecurity: {level: privileged}\n"
              "  images: {forbidLatestTag: false, maxSeverity: High}\n");
  const std::string pod =
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: "
      "'i:1'}]}\n";
  ScanOptions o;
  o.paths = {"-"};
  o.policy_file = policy;
  std::string out, err;
  o.format = OutputFormat::kJson;
  EXPECT_EQ(scan(o, pod, out, err), kExitClean) << err;
  EXPECT_NE(out.find("\"posture\":\"not-evaluated\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"notEvaluated\":[{\"control\":\"imageVulnerabilities\",\"reason\":"
                     "\"bulwark scan reads no vulnerability reports"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"compliant\":0,"), std::string::npos);
  EXPECT_NE(out.find("\"notEvaluated\":1,"), std::string::npos);
  o.format = OutputFormat::kSarif;
  scan(o, pod, out, err);
  EXPECT_NE(out.find("\"ruleId\":\"imageVulnerabilities\",\"kind\":\"open\",\"level\":\"none\""),
            std::string::npos)
      << out;
  o.format = OutputFormat::kOpenReports;
  scan(o, pod, out, err);
  EXPECT_NE(out.find("result: error"), std::string::npos) << out;
  o.format = OutputFormat::kTable;
  scan(o, pod, out, err);
  EXPECT_NE(out.find("NOT EVALUATED  Pod p"), std::string::npos) << out;
  EXPECT_NE(out.find("1 not evaluated"), std::string::npos) << out;
}

TEST(ScanFormats, PolicyMatchAndExemptionsApply) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  match: {kinds: [Pod]}\n  podSecurity: {level: baseline}\n"
              "  images: {forbidLatestTag: false}\n"
              "  exemptions:\n  - {name: ns, namespaces: [ns], controls: [privileged]}\n");
  ScanOptions o;
  o.paths = {"-"};
  o.policy_file = policy;
  o.format = OutputFormat::kJson;
  std::string out, err;
  EXPECT_EQ(
      scan(o, std::string(kBadPod) + "---\nkind: Deployment\nmetadata: {name: d}\n", out, err),
      kExitClean)
      << err;
  EXPECT_NE(out.find("\"posture\":\"exempt\""), std::string::npos);
  EXPECT_NE(out.find("\"notSelected\":1"), std::string::npos);
  EXPECT_EQ(err, "");
}

// A namespace selector needs the cluster's namespace labels: offline, every workload is judged
// (never left out as not selected), and stderr says so.
TEST(ScanFormats, ANamespaceSelectorIsNotAppliedOfflineAndSaysSo) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  match: {namespaceSelector: {matchLabels: {env: prod}}}\n"
              "  podSecurity: {level: baseline}\n  images: {forbidLatestTag: false}\n");
  ScanOptions o;
  o.paths = {"-"};
  o.policy_file = policy;
  std::string out, err;
  EXPECT_EQ(scan(o, kBadPod, out, err), kExitViolations);
  EXPECT_NE(err.find("match.namespaceSelector is not applied offline"), std::string::npos) << err;
}

// The network controls read the NetworkPolicies, Services and Namespaces of the scanned files,
// wherever they come; an invalid NetworkPolicy is exit 2 naming its document and field.
TEST(ScanNetwork, PoliciesAndServicesOfTheScannedFilesAreResolvedAmongThemselves) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  podSecurity: {level: privileged}\n  images: {forbidLatestTag: false}\n"
              "  network: {forbid: [networkIngressUnrestricted, networkExposedService]}\n");
  d.write("chart/a-deploy.yaml",
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
          "spec:\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n"
          "      containers: [{name: a, image: i:1}]\n---\n"
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: shop}\n"
          "spec:\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n"
          "      containers: [{name: a, image: i:1}]\n");
  d.write("chart/b-net.yaml",
          "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
          "metadata: {name: db, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: db}}\n"
          "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
          "spec: {type: NodePort, selector: {app: web}, ports: [{port: 80}]}\n");
  ScanOptions o;
  o.paths = {d.path() + "/chart"};
  o.policy_file = policy;
  o.format = OutputFormat::kJson;
  std::string out, err;
  EXPECT_EQ(scan(o, "", out, err), kExitViolations) << err;
  EXPECT_NE(out.find("no NetworkPolicy selects this pod for Ingress"), std::string::npos) << out;
  EXPECT_NE(out.find("Service shop/web (NodePort) exposes this pod's port 80/TCP"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"compliant\":1"), std::string::npos) << out;  // db: its policy isolates it
  EXPECT_EQ(err.find("hold no NetworkPolicy"), std::string::npos) << err;

  d.write("chart/c-bad.yaml",
          "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad}\n"
          "spec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/40}}]}]\n");
  out.clear();
  err.clear();
  EXPECT_EQ(scan(o, "", out, err), kExitBadInput);
  EXPECT_NE(err.find("c-bad.yaml: document 0: NetworkPolicy bad: spec.ingress[0].from[0].ipBlock."
                     "cidr: \"10.0.0.0/40\" is not a valid CIDR"),
            std::string::npos)
      << err;
}

// -o reach: the model's matrix for the files' pods, on the destination's declared ports; a
// namespaceSelector over a namespace the files lack is unknown, never allowed or denied.
TEST(ScanNetwork, ReachPrintsTheMatrixOfTheFilesPods) {
  const std::string files = R"(
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: c, image: i:1, ports: [{name: http, containerPort: 80}]}]}
status: {podIP: 198.18.0.10, hostIP: 198.18.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
spec: {containers: [{name: c, image: i:1, ports: [{containerPort: 53, protocol: UDP}]}]}
status: {podIP: 198.18.0.11, hostIP: 198.18.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: other}
spec: {containers: [{name: c, image: i:1}]}
status: {podIP: 198.18.0.12, hostIP: 198.18.0.1}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}], ports: [{port: http}]},
            {from: [{namespaceSelector: {matchLabels: {team: z}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{ipBlock: {cidr: 198.18.0.8/30}}]}]
)";
  ScanOptions o;
  o.paths = {"-"};
  o.format = OutputFormat::kReach;
  std::string out, err;
  EXPECT_EQ(scan(o, files, out, err), kExitClean) << err;
  EXPECT_EQ(
      out,
      R"j({"from":"Pod/other/c","to":"Pod/x/a","port":80,"protocol":"TCP","reach":"unknown",)j"
      R"j("egress":"allowed","ingress":"unknown","reason":"egress: no NetworkPolicy selects other/c for Egress; ingress: ingress )j"
      R"j(rule 2 of NetworkPolicy x/a selects by what is not known (a namespace's labels )j"
      R"j(or a pod's address)"})j"
      "\n"
      R"j({"from":"Pod/other/c","to":"Pod/x/b","port":53,"protocol":"UDP","reach":"denied",)j"
      R"j("egress":"allowed","ingress":"denied","reason":"ingress: isolated for Ingress by NetworkPolicy b of x; no rule )j"
      R"j(admits it"})j"
      "\n"
      R"j({"from":"Pod/x/a","to":"Pod/x/b","port":53,"protocol":"UDP","reach":"allowed",)j"
      R"j("egress":"allowed","ingress":"allowed","reason":"egress: no NetworkPolicy selects x/a for Egress; ingress: ingress )j"
      R"j(rule 1 of NetworkPolicy x/b"})j"
      "\n"
      R"j({"from":"Pod/x/b","to":"Pod/x/a","port":80,"protocol":"TCP","reach":"allowed",)j"
      R"j("egress":"allowed","ingress":"allowed","reason":"egress: no NetworkPolicy selects x/b for Egress; ingress: ingress )j"
      R"j(rule 1 of NetworkPolicy x/a"})j"
      "\n");
  // With the namespace in the files, the rule is decided.
  out.clear();
  EXPECT_EQ(scan(o,
                 files + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other, labels: "
                         "{team: z}}\n",
                 out, err),
            kExitClean);
  EXPECT_NE(out.find(R"j("from":"Pod/other/c","to":"Pod/x/a","port":80,"protocol":"TCP",)j"
                     R"j("reach":"allowed")j"),
            std::string::npos)
      << out;
}

TEST(ScanNetwork, FilesWithoutNetworkPoliciesSaySo) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  podSecurity: {level: privileged}\n  images: {forbidLatestTag: false}\n"
              "  network: {forbid: [networkEgressUnrestricted]}\n");
  ScanOptions o;
  o.paths = {d.write("pod.yaml", kGoodPod)};
  o.policy_file = policy;
  std::string out, err;
  EXPECT_EQ(scan(o, "", out, err), kExitViolations) << err;
  EXPECT_NE(err.find("the files hold no NetworkPolicy: every workload is judged as no "
                     "NetworkPolicy isolates it"),
            std::string::npos)
      << err;
}

// A chart whose Deployment runs as an account the same chart binds to cluster-admin fails in CI,
// wherever in the files the binding comes; the finding names the chain and the line of
// serviceAccountName.
TEST(ScanPermissions, RolesAndBindingsOfTheScannedFilesAreResolvedAmongThemselves) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  podSecurity: {level: privileged}\n  images: {forbidLatestTag: false}\n"
              "  permissions: {forbid: [rbacClusterAdmin, rbacSecretsRead]}\n");
  d.write("chart/a-deploy.yaml",
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
          "spec:\n  template:\n    spec:\n      serviceAccountName: web\n"
          "      containers: [{name: a, image: i:1}]\n---\n"
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: quiet, namespace: shop}\n"
          "spec:\n  template:\n    spec:\n      containers: [{name: a, image: i:1}]\n");
  d.write("chart/b-rbac.yaml",
          "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
          "metadata: {name: web-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: "
          "ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: web, "
          "namespace: shop}]\n");
  ScanOptions o;
  o.paths = {d.path() + "/chart"};
  o.policy_file = policy;
  o.format = OutputFormat::kJson;
  std::string out, err;
  EXPECT_EQ(scan(o, "", out, err), kExitViolations) << err;
  EXPECT_NE(out.find("ClusterRoleBinding/web-admin -> ClusterRole/cluster-admin rules[0]"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"control\":\"rbacClusterAdmin\""), std::string::npos);
  EXPECT_NE(out.find("\"control\":\"rbacSecretsRead\""), std::string::npos);
  EXPECT_NE(out.find("\"line\":7"), std::string::npos) << out;
  EXPECT_NE(out.find("\"compliant\":1"), std::string::npos) << out;
  // Without the policy's permissions the same files pass.
  o.policy_file.clear();
  o.level = crds::PssLevel::kBaseline;
  EXPECT_EQ(scan(o, "", out, err), kExitClean) << out;
}

// A chart that only binds Kubernetes' own `edit` gets what the authorizer would grant: the
// pinned release's built-in role (aggregated from system:aggregate-to-edit), said on stderr.
// Before, the binding granted nothing and the account passed every control.
TEST(ScanPermissions, BuiltInClusterRolesTheFilesOnlyBindAreThePinnedReleases) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  podSecurity: {level: privileged}\n  images: {forbidLatestTag: false}\n"
              "  permissions: {forbid: [rbacSecretsRead, rbacPodExec, rbacWorkloadCreate, "
              "rbacNodeProxy]}\n");
  d.write("chart.yaml",
          "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
          "spec:\n  template:\n    spec:\n      serviceAccountName: web\n"
          "      containers: [{name: a, image: i:1}]\n---\n"
          "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
          "metadata: {name: web-edit, namespace: shop}\nroleRef: {apiGroup: "
          "rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\nsubjects: [{kind: "
          "ServiceAccount, name: web}]\n");
  ScanOptions o;
  o.paths = {d.path() + "/chart.yaml"};
  o.policy_file = policy;
  o.format = OutputFormat::kJson;
  std::string out, err;
  EXPECT_EQ(scan(o, "", out, err), kExitViolations) << err;
  for (const char* control : {"rbacSecretsRead", "rbacPodExec", "rbacWorkloadCreate"}) {
    EXPECT_NE(out.find("\"control\":\"" + std::string(control) + "\""), std::string::npos)
        << control << "\n"
        << out;
  }
  EXPECT_EQ(out.find("rbacNodeProxy"), std::string::npos) << out;
  EXPECT_NE(out.find("RoleBinding/shop/web-edit -> ClusterRole/edit"), std::string::npos);
  EXPECT_NE(err.find("using Kubernetes v1.37.2's built-in edit"), std::string::npos) << err;
  EXPECT_FALSE(rbac::bootstrap_cluster_roles().roles.empty());
  // Found by review: a role of the files that aggregates the built-in ones gets their rules too,
  // though no binding names a role the files lack.
  d.write(
      "chart.yaml",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
      "spec:\n  template:\n    spec:\n      serviceAccountName: web\n"
      "      containers: [{name: a, image: i:1}]\n---\n"
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: my-admin}\n"
      "aggregationRule: {clusterRoleSelectors: [{matchLabels: "
      "{rbac.authorization.k8s.io/aggregate-to-admin: 'true'}}]}\nrules: []\n---\n"
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
      "metadata: {name: web-admin, namespace: shop}\nroleRef: {apiGroup: "
      "rbac.authorization.k8s.io, kind: ClusterRole, name: my-admin}\nsubjects: [{kind: "
      "ServiceAccount, name: web}]\n");
  err.clear();
  EXPECT_EQ(scan(o, "", out, err), kExitViolations) << err;
  EXPECT_NE(out.find("\"control\":\"rbacSecretsRead\""), std::string::npos) << out;
  EXPECT_EQ(err.find("built-in"), std::string::npos) << err;  // no binding uses one
}

// A Deployment that leaves automountServiceAccountToken unset passes when the chart's own
// ServiceAccount (wherever in the files) says false, and fails when its account is not in the
// files or says true.
TEST(ScanPermissions, AnAccountOfTheScannedFilesDecidesATokenThePodLeavesUnset) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  podSecurity: {level: privileged}\n  images: {forbidLatestTag: false}\n"
              "  serviceAccount: {forbidAutomountToken: true}\n");
  auto deployment = [](const std::string& name, const std::string& account) {
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name +
           ", namespace: shop}\nspec:\n  template:\n    spec:\n      serviceAccountName: " +
           account + "\n      containers: [{name: a, image: i:1}]\n---\n";
  };
  d.write("chart/a.yaml", deployment("quiet", "quiet") + deployment("chatty", "chatty") +
                              deployment("unknown", "elsewhere"));
  d.write("chart/b.yaml",
          "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: quiet, namespace: shop}\n"
          "automountServiceAccountToken: false\n---\n"
          "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: chatty, namespace: shop}\n"
          "automountServiceAccountToken: true\n");
  ScanOptions o;
  o.paths = {d.path() + "/chart"};
  o.policy_file = policy;
  o.format = OutputFormat::kJson;
  std::string out, err;
  EXPECT_EQ(scan(o, "", out, err), kExitViolations) << err;
  EXPECT_NE(out.find("\"compliant\":1"), std::string::npos) << out;
  EXPECT_NE(out.find("\"violating\":2"), std::string::npos) << out;
  EXPECT_NE(out.find("its ServiceAccount sets automountServiceAccountToken=true"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("or its ServiceAccount must"), std::string::npos) << out;
}

}  // namespace
}  // namespace bulwark::cli
