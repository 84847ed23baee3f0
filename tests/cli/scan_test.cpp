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
#include "tests/support/paths.h"

namespace bulwark::cli {
namespace {

namespace fs = std::filesystem;

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `bulwark` with the given arguments through the shell; stdin from `input` when given.
Run run_binary(const std::string& args, const std::string& input = "") {
  const fs::path dir = fs::temp_directory_path() / ("bulwark-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto in = dir / "stdin", out = dir / "stdout", err = dir / "stderr";
  std::ofstream(in) << input;
  const std::string cmd = std::string("cd ") + test::source_dir() + " && " +
                          test::bulwark_binary() + " " + args + " <" + in.string() + " >" +
                          out.string() + " 2>" + err.string();
  Run r;
  const int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::stringstream o, e;
  o << std::ifstream(out).rdbuf();
  e << std::ifstream(err).rdbuf();
  r.out = o.str();
  r.err = e.str();
  fs::remove_all(dir);
  return r;
}

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("bulwark-scan-" + std::to_string(++counter_) + "-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

const char* const kBadPod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: ns}\n"
    "spec:\n  containers:\n  - name: a\n    image: i:1\n"
    "    securityContext: {privileged: true}\n";
const char* const kGoodPod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n"
    "  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n"
    "  containers:\n  - name: a\n    image: i:1\n"
    "    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n";

// The posture the JSON report gives the workload named `name`.
std::string posture_of(const std::string& json, const std::string& name) {
  const auto at = json.find("\"name\":\"" + name + "\"");
  if (at == std::string::npos) return "(absent)";
  const auto p = json.find("\"posture\":\"", at) + 11;
  return json.substr(p, json.find('"', p) - p);
}

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

TEST(ScanBinary, TheOperatorsOwnManifestsPassRestricted) {
  auto r = run_binary("scan -f deploy/operator --level restricted -o json");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"workloads\":1,\"compliant\":1"), std::string::npos) << r.out;
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

int scan(ScanOptions o, const std::string& stdin_text, std::string& out, std::string& err) {
  std::istringstream in(stdin_text);
  std::ostringstream o_out, o_err;
  const int status = run_scan(o, in, o_out, o_err, *crds::parse_rfc3339("2026-11-28T10:00:00Z"));
  out = o_out.str();
  err = o_err.str();
  return status;
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

// The evasion issue, item by item, as a user meets it: exit status and report.
TEST(ScanEvasion, Yaml11BooleansAndIntegersReadAsKubernetesReadsThem) {
  // A restricted-clean pod but for one field, spelled as the API server reads true or 0.
  auto pod = [](const std::string& host, const std::string& run_as_user) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + host +
           "  securityContext: {runAsNonRoot: true, runAsUser: " + run_as_user +
           ", seccompProfile: {type: RuntimeDefault}}\n"
           "  containers:\n  - name: a\n    image: i:1\n    securityContext:\n"
           "      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n";
  };
  EXPECT_EQ(run_binary("scan -f -", pod("", "1000")).status, 0);
  for (const auto& evasive : {pod("  hostNetwork: Y\n", "1000"), pod("  hostPID: on\n", "1000"),
                              pod("  hostIPC: !!bool yes\n", "1000"), pod("", "0x0"),
                              pod("", "0.0"), pod("", "0o0"), pod("", "-0")}) {
    auto r = run_binary("scan -f - -o json", evasive);
    EXPECT_EQ(r.status, 1) << evasive << r.out << r.err;
  }
  auto privileged = run_binary(
      "scan -f - -o json", std::string(kBadPod).replace(std::string(kBadPod).find("true"), 4, "y"));
  EXPECT_EQ(privileged.status, 1) << privileged.out << privileged.err;
  EXPECT_NE(privileged.out.find("\"control\":\"privileged\""), std::string::npos);
  // runAsNonRoot: Y is true to the API server, so it is no violation.
  std::string good = kGoodPod;
  good.replace(good.find("runAsNonRoot: true"), 18, "runAsNonRoot: Y");
  auto y = run_binary("scan -f - -o json", good);
  EXPECT_EQ(y.status, 0) << y.out << y.err;
}

TEST(ScanEvasion, DuplicateKeysAreExitTwoNamingThePathInJsonAndYaml) {
  auto j = run_binary("scan -f -", R"({"kind":"Pod","metadata":{"name":"j"},"spec":{"containers":)"
                                   R"([{"name":"a","image":"i:1","securityContext":)"
                                   R"({"privileged":false,"privileged":true}}]}})");
  EXPECT_EQ(j.status, 2);
  EXPECT_NE(j.err.find("spec.containers[0].securityContext.privileged: duplicate"),
            std::string::npos)
      << j.err;
  std::string yaml = kBadPod;
  yaml.replace(yaml.find("{privileged: true}"), 18, "{privileged: false, privileged: true}");
  auto y = run_binary("scan -f -", yaml);
  EXPECT_EQ(y.status, 2);
  EXPECT_NE(y.err.find("spec.containers[0].securityContext.privileged: duplicate"),
            std::string::npos)
      << y.err;
  // A quoted "<<" is a literal key to kubectl (dropped as unknown), not a merge.
  std::string quoted = kGoodPod;
  quoted.replace(quoted.find("{allowPrivilegeEscalation: false"), 32,
                 "{\"<<\": {privileged: true}, allowPrivilegeEscalation: false");
  auto q = run_binary("scan -f - -o json", quoted);
  EXPECT_EQ(q.status, 0) << q.out << q.err;
}

TEST(ScanEvasion, AnExemptionExpiringAfter2262StillApplies) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  podSecurity: {level: baseline}\n  images: {forbidLatestTag: false}\n"
              "  exemptions:\n  - {name: far, controls: [privileged], expires: "
              "\"2300-01-01T00:00:00Z\"}\n");
  auto r = run_binary("scan -f - -o json --policy " + policy, kBadPod);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(posture_of(r.out, "bad"), "exempt");
}

TEST(ScanEvasion, AmplificationIsExitTwoForThatFileAndTheOthersAreScanned) {
  TempDir d;
  std::string bomb = "a0: &a0 [x, x]\n";
  for (int i = 1; i < 250; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) +
            ", *a" + std::to_string(i - 1) + "]\n";
  }
  const auto nested = d.write("1-nested.yaml", bomb);
  std::string wide = "big: &big " + std::string(60000, 'x') + "\nrefs: [";
  for (int i = 0; i < 10000; ++i) wide += i ? ", *big" : "*big";
  const auto aliases = d.write("2-aliases.yaml", wide + "]\n");
  const auto line = d.write("3-line.yaml", "a: " + std::string(40u << 20, 'x') + "\n");
  d.write("4-bad.yaml", kBadPod);
  auto r = run_binary("scan -f " + d.path() + " -o json");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find(nested + ": document 0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(aliases + ": document 0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(line + ": document 0"), std::string::npos) << r.err;
  EXPECT_EQ(posture_of(r.out, "bad"), "violating");
  auto big_stdin = run_binary("scan -f -", "[\"" + std::string(33u << 20, 'x') + "\"]");
  EXPECT_EQ(big_stdin.status, 2);
  EXPECT_NE(big_stdin.err.find("larger than 32 MiB"), std::string::npos) << big_stdin.err;
}

TEST(ScanEvasion, AllowedRegistriesMatchTheRegistryNameNotAPrefix) {
  TempDir d;
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  podSecurity: {level: privileged}\n  images: {forbidLatestTag: false, "
              "allowedRegistries: [registry.example.com]}\n");
  std::string pod = kBadPod;
  pod.replace(pod.find("image: i:1"), 10, "image: registry.example.com.evil.io/miner:1");
  auto r = run_binary("scan -f - -o json --policy " + policy, pod);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("\"control\":\"imageRegistry\""), std::string::npos);
}

TEST(ScanEvasion, FindingNoManifestIsExitTwo) {
  TempDir d;
  d.write("upper.YAML", kBadPod);
  d.write("pod.yml.txt", kBadPod);
  auto r = run_binary("scan -f " + d.path());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("no manifest found"), std::string::npos) << r.err;
  auto empty = run_binary("scan -f " + d.write("empty.yaml", ""));
  EXPECT_EQ(empty.status, 2);
  auto named = run_binary("scan -f " + d.path() + "/upper.YAML");  // named directly, it is read
  EXPECT_EQ(named.status, 1) << named.err;
}

}  // namespace
}  // namespace bulwark::cli
