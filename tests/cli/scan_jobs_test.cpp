// bulwark scan -j: any number of threads writes exactly what one thread writes (every format, the
// errors and their order, the exit status, --fix-out's copies), and -j's own errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli/scan.h"
#include "tests/cli/scan_helpers.h"

namespace bulwark::cli {
namespace {

using namespace scan_testing;
namespace fs = std::filesystem;

std::string deployment(int i, bool violating) {
  std::ostringstream s;
  s << "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d" << i << ", namespace: ns"
    << i % 3 << "}\nspec:\n  template:\n    spec:\n"
    << "      serviceAccountName: sa" << i % 2 << "\n"
    << "      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n"
    << "      containers:\n      - name: a\n        image: i:1\n"
    << "        securityContext: {allowPrivilegeEscalation: " << (violating ? "true" : "false")
    << ", capabilities: {drop: [ALL]}}\n";
  return s.str();
}

// Files that exercise every path: many documents a file (several jobs each), empty documents,
// Lists, a malformed document amid good ones, a binary and an empty file, JSON good and bad,
// objects that are no workload, RBAC and NetworkPolicies (one the API server would refuse).
void write_tree(const TempDir& d) {
  for (int f = 0; f < 12; ++f) {
    std::string text;
    for (int i = 0; i < 40; ++i) {
      text += "---\n" + deployment(f * 100 + i, (i + f) % 3 == 0);
      if (i == 17 && f % 4 == 1) text += "---\nkind: [unclosed\n";
      if (i == 5) text += "---\n# only a comment\n---\n";
      if (i == 9) text += "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    }
    d.write("tree/f" + std::to_string(f / 4) + "/m" + std::to_string(f) + ".yaml", text);
  }
  d.write("tree/list.yaml",
          "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n"
          "  metadata: {name: li}\n  spec:\n    containers: [{name: a, image: i:1, "
          "securityContext: {privileged: true}}]\n");
  d.write("tree/empty.yaml", "");
  d.write("tree/binary.yaml", std::string("kind: Pod\0\x01", 11));
  d.write("tree/good.json",
          R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"hostPID":true,)"
          R"("containers":[{"name":"a","image":"i:1"}]}})");
  d.write("tree/bad.json", R"({"apiVersion":"v1", "kind":)");
  d.write("tree/rbac.yaml",
          "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
          "metadata: {name: b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: "
          "ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: sa1, "
          "namespace: ns1}]\n---\napiVersion: v1\nkind: ServiceAccount\n"
          "metadata: {name: sa0, namespace: ns0}\nautomountServiceAccountToken: false\n");
  d.write("tree/net.yaml",
          "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, "
          "namespace: ns0}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n---\n"
          "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: broken, "
          "namespace: ns1}\nspec: {podSelector: {matchLabels: {'a b': x}}}\n");
}

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome scan_with(ScanOptions o, unsigned jobs, const std::string& stdin_text = "") {
  o.jobs = jobs;
  Outcome r;
  r.status = scan(o, stdin_text, r.out, r.err);
  return r;
}

void expect_same(const ScanOptions& o, const std::string& what, const std::string& input = "",
                 std::vector<unsigned> job_counts = {3}) {
  const Outcome one = scan_with(o, 1, input);
  // -o reach prints pairs of ports, and these pods declare none.
  if (o.format != OutputFormat::kReach) {
    EXPECT_FALSE(one.out.empty()) << what;
  }
  for (unsigned jobs : job_counts) {
    const Outcome many = scan_with(o, jobs, input);
    EXPECT_EQ(many.status, one.status) << what << " -j " << jobs;
    EXPECT_EQ(many.out, one.out) << what << " -j " << jobs;
    EXPECT_EQ(many.err, one.err) << what << " -j " << jobs;
  }
}

TEST(ScanJobs, EveryFormatIsByteForByteWhatOneThreadWrites) {
  TempDir d;
  write_tree(d);
  const auto policy =
      d.write("p.yaml",
              "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
              "spec:\n  podSecurity: {level: restricted}\n  images: {forbidLatestTag: false}\n"
              "  permissions: {forbid: [rbacClusterAdmin]}\n"
              "  serviceAccount: {forbidAutomountToken: true}\n"
              "  network: {forbid: [networkIngressUnrestricted]}\n");
  for (const auto format :
       {OutputFormat::kTable, OutputFormat::kJson, OutputFormat::kSarif, OutputFormat::kOpenReports,
        OutputFormat::kPatch, OutputFormat::kReach}) {
    ScanOptions o;
    o.paths = {d.path() + "/tree", d.path() + "/missing.yaml"};
    o.format = format;
    o.level = crds::PssLevel::kRestricted;
    expect_same(
        o, "format " + std::to_string(static_cast<int>(format)), "",
        format == OutputFormat::kJson ? std::vector<unsigned>{2, 3, 8} : std::vector<unsigned>{3});
    // With a policy whose controls wait for the files' RBAC and NetworkPolicies.
    o.level.reset();
    o.policy_file = policy;
    expect_same(o, "policy, format " + std::to_string(static_cast<int>(format)));
  }
  ScanOptions o;
  o.paths = {d.path() + "/tree"};
  const Outcome one = scan_with(o, 1);
  EXPECT_EQ(one.status, kExitBadInput);  // the malformed documents and files
  EXPECT_NE(one.err.find("document 21, line 244"), std::string::npos) << one.err;
  EXPECT_NE(one.out.find("workloads in"), std::string::npos) << one.out;
}

TEST(ScanJobs, StandardInputYamlAndJsonReadTheSame) {
  std::string many;
  for (int i = 0; i < 100; ++i) many += "---\n" + deployment(i, i % 5 == 0);
  many += "---\nkind: [unclosed\n---\n" + deployment(1000, true);
  ScanOptions o;
  o.paths = {"-"};
  o.format = OutputFormat::kJson;
  expect_same(o, "stdin yaml", many);
  expect_same(o, "stdin json", R"({"kind":"Pod","metadata":{"name":"j"},"spec":{"hostPID":true}})");
}

std::map<std::string, std::string> files_under(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = read(e.path());
  }
  return out;
}

TEST(ScanJobs, FixOutWritesTheSameCopies) {
  TempDir d;
  write_tree(d);
  const auto one = run_in(d.path(), "scan --level restricted -j 1 --fix-out fixed1 tree");
  const auto four = run_in(d.path(), "scan --level restricted -j 4 --fix-out fixed4 tree");
  EXPECT_EQ(one.status, kExitBadInput) << one.err;
  EXPECT_EQ(four.status, one.status);
  EXPECT_EQ(four.out, one.out);
  const auto copies = files_under(d.path() + "/fixed1");
  EXPECT_GE(copies.size(), 9u);
  EXPECT_EQ(files_under(d.path() + "/fixed4"), copies);
}

TEST(ScanJobs, TheFlagTakesAWholeNumberOfOneOrMore) {
  std::ostringstream err;
  for (const char* good : {"-j4", "--jobs=2"}) {
    auto o = parse_scan_args({good, "x.yaml"}, err);
    ASSERT_TRUE(o.has_value()) << good;
    EXPECT_GE(o->jobs, 2u);
  }
  auto o = parse_scan_args({"-j", "3", "x.yaml"}, err);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->jobs, 3u);
  for (const char* bad : {"0", "-1", "two", "", "1.5", "99999"}) {
    std::ostringstream e;
    EXPECT_FALSE(parse_scan_args({"-j", bad, "x.yaml"}, e).has_value()) << bad;
    EXPECT_NE(e.str().find("-j must be a number of threads"), std::string::npos) << e.str();
  }
  std::ostringstream e;
  EXPECT_FALSE(parse_scan_args({"x.yaml", "-j"}, e).has_value());
  EXPECT_NE(e.str().find("-j needs a number"), std::string::npos) << e.str();
}

TEST(ScanJobs, TheBinaryRefusesABadCountWithExitTwo) {
  auto r = run_binary("scan -j 0 -f deploy/samples/workloads");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("-j must be a number of threads, 1 or more, not \"0\""), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace bulwark::cli
