// bulwark scan against evasion, item by item as a user meets it: exit status and report.
#include <gtest/gtest.h>

#include "app/cli/scan.h"
#include "tests/cli/scan_helpers.h"
#include "tests/support/paths.h"

namespace bulwark::cli {
namespace {

using namespace scan_testing;

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
