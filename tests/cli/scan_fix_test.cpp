// bulwark scan -o patch and --fix-out: the patch of what has a safe fix, and fixed copies of the
// files read (docs/api.md, Fixes).
#include "app/cli/scan_fix.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli/scan.h"
#include "tests/cli/scan_helpers.h"
#include "tests/support/paths.h"

namespace bulwark::cli {
namespace {

using namespace scan_testing;

const char* const kBareDeployment =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
    "spec:\n  template:\n    spec:\n      securityContext: {runAsUser: 1000}\n"
    "      containers:\n      - name: app  # the web server\n        image: nginx:1\n";

TEST(ScanPatch, OneLinePerDocumentWithTheExactPatchAndTheOriginalsExitStatus) {
  ScanOptions o;
  o.paths = {"-"};
  o.level = crds::PssLevel::kRestricted;
  o.format = OutputFormat::kPatch;
  std::string out, err;
  EXPECT_EQ(scan(o, std::string(kBareDeployment) + "---\n" + kGoodPod, out, err), kExitViolations)
      << err;
  EXPECT_EQ(out, R"({"file":"<stdin>","document":0,"kind":"Deployment","namespace":"shop",)"
                 R"("name":"web","fixed":4,"left":0,"patch":[{"op":"add",)"
                 R"("path":"/spec/template/spec/containers/0/securityContext","value":)"
                 R"({"capabilities":{"drop":["ALL"]},"allowPrivilegeEscalation":false,)"
                 R"("runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}}}]})"
                 "\n");
}

TEST(ScanPatch, AListItemsPatchStartsAtTheItem) {
  ScanOptions o;
  o.paths = {"-"};
  o.format = OutputFormat::kPatch;
  o.level = crds::PssLevel::kRestricted;
  std::string out, err;
  scan(o,
       "{\"kind\":\"List\",\"items\":[{\"kind\":\"Service\"},{\"kind\":\"Pod\",\"metadata\":"
       "{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"}]}}]}",
       out, err);
  EXPECT_NE(out.find(R"("path":"/items/1/spec/containers/0/securityContext")"), std::string::npos)
      << out << err;
}

TEST(ScanPatch, TheTableCountsTheFindingsWithAFixAndReportsCarryThePatch) {
  ScanOptions o;
  o.paths = {"-"};
  o.level = crds::PssLevel::kRestricted;
  std::string out, err;
  scan(o, kBareDeployment, out, err);
  EXPECT_NE(out.find("4 violations, 4 with a fix (-o patch)"), std::string::npos) << out;
  o.format = OutputFormat::kOpenReports;
  scan(o, std::string(kBareDeployment) + "---\n" + kBadPod, out, err);
  // Each result's patch applies on its own to the workload as it stands.
  EXPECT_NE(out.find(R"(patch: "[{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/0/)"
                     R"(securityContext\",\"value\":{\"allowPrivilegeEscalation\":false}}]")"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("fix: patch\n"), std::string::npos) << out;
  EXPECT_NE(out.find("fix: \"decision: privileged=true is a decision"), std::string::npos) << out;
}

TEST(ScanFixOut, WritesEveryFileFixedAtItsRelativePathAndTheCopiesPass) {
  TempDir d;
  d.write("in/apps/web.yaml", std::string(kBareDeployment) +
                                  "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
  d.write("in/good.json",
          "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"g\"},"
          "\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"}],"
          "\"securityContext\":{\"runAsUser\":5}}}");
  auto r = run_in(d.path(), "scan --level restricted --fix-out fixed in");
  EXPECT_EQ(r.status, 1) << r.err;  // the originals violate
  const std::string web = read(fs::path(d.path()) / "fixed/in/apps/web.yaml");
  EXPECT_EQ(web.find("# the web server"), std::string::npos);  // re-emitted: comments are lost
  EXPECT_NE(web.find("kind: Service"), std::string::npos) << web;
  EXPECT_NE(read(fs::path(d.path()) / "fixed/in/good.json").find("\"RuntimeDefault\""),
            std::string::npos);
  auto again = run_in(d.path(), "scan --level restricted fixed -o json");
  EXPECT_EQ(again.status, 0) << again.out << again.err;
  // A second run over the tree does not read the first run's copies.
  auto second = run_in(d.path(), "scan --level restricted --fix-out fixed . -o json");
  EXPECT_NE(second.out.find("\"files\":2,"), std::string::npos) << second.out;
}

// With RBAC controls, workloads are judged once every file is read: the copies are written then.
TEST(ScanFixOut, CopiesAreWrittenAlsoWhenJudgementsWaitForTheFilesRbac) {
  TempDir d;
  d.write("policy.yaml",
          "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
          "spec: {podSecurity: {level: restricted}, permissions: {forbid: [rbacWildcard]}}\n");
  d.write("in/web.yaml", kBareDeployment);
  auto r = run_in(d.path(), "scan --policy policy.yaml --fix-out fixed in");
  EXPECT_EQ(r.status, 1) << r.err;
  auto again = run_in(d.path(), "scan --policy policy.yaml fixed -o json");
  EXPECT_EQ(again.status, 0) << again.out << again.err;
}

TEST(ScanFixOut, APathOutsideTheCurrentFolderOrTheInputItselfIsRefused) {
  TempDir d;
  const std::string file = d.write("a/pod.yaml", kBadPod);
  auto outside = run_binary("scan --fix-out " + d.path() + "/out " + file);
  EXPECT_EQ(outside.status, 2);
  EXPECT_NE(outside.err.find("is outside the current folder"), std::string::npos) << outside.err;
  auto in_place = run_in(d.path(), "scan --fix-out . a/pod.yaml");
  EXPECT_EQ(in_place.status, 2);
  EXPECT_NE(in_place.err.find("is inside the --fix-out folder"), std::string::npos) << in_place.err;
  EXPECT_EQ(read(file), kBadPod);
}

TEST(ScanFixOut, TwoInputsNeverShareACopyAndNoInputLiesInTheOutputFolder) {
  TempDir d;
  d.write("stdin.yaml", kBadPod);
  d.write("fixed/a.yaml", kBadPod);
  std::ofstream(fs::path(d.path()) / "in.txt") << kBadPod;
  auto twice = run_in(d.path(), "scan --fix-out out stdin.yaml - < in.txt");
  EXPECT_EQ(twice.status, 2);
  EXPECT_NE(twice.err.find("its copy would go where stdin.yaml's went"), std::string::npos)
      << twice.err;
  auto inside = run_in(d.path(), "scan --fix-out fixed stdin.yaml fixed/a.yaml");
  EXPECT_EQ(inside.status, 2);
  EXPECT_NE(inside.err.find("is inside the --fix-out folder"), std::string::npos) << inside.err;
  EXPECT_EQ(read(fs::path(d.path()) / "fixed/a.yaml"), kBadPod);
  auto reach = run_in(d.path(), "scan --fix-out out -o reach stdin.yaml");
  EXPECT_EQ(reach.status, 2);
  // No partial copy is ever left behind.
  auto ok = run_in(d.path(), "scan --fix-out out2 stdin.yaml");
  EXPECT_TRUE(fs::exists(fs::path(d.path()) / "out2/stdin.yaml"));
  EXPECT_FALSE(fs::exists(fs::path(d.path()) / "out2/stdin.yaml.bulwark-partial"));
}

TEST(ScanFixOut, AFileWithADocumentThatCannotBeReadIsNotWritten) {
  TempDir d;
  d.write("in/x.yaml", std::string(kBadPod) + "---\nkey: [unclosed\n");
  auto r = run_in(d.path(), "scan --fix-out fixed in");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("not written under --fix-out"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(fs::path(d.path()) / "fixed/in/x.yaml"));
  EXPECT_FALSE(fs::exists(fs::path(d.path()) / "fixed/in/x.yaml.bulwark-partial"));
}

TEST(ScanFixOut, StandardInputGoesToStdinYaml) {
  std::string why;
  EXPECT_EQ(FixOut::target("out", "<stdin>", false, why), fs::path("out/stdin.yaml"));
  EXPECT_EQ(FixOut::target("out", "<stdin>", true, why), fs::path("out/stdin.json"));
  EXPECT_EQ(FixOut::target("out", "a/../b/c.yaml", false, why), fs::path("out/b/c.yaml"));
  EXPECT_FALSE(FixOut::target("out", "../c.yaml", false, why));
}

}  // namespace
}  // namespace bulwark::cli
