// Exec credential plugins: what the plugin is given, the token's caching until it expires or a
// 401, the errors that say what went wrong, and a real process through run_process.
#include "operator/kube/exec_credential.h"

#include <gtest/gtest.h>

#include "operator/base/time_text.h"
#include "operator/document/reader.h"

namespace bulwark::kube {
namespace {

using namespace std::chrono_literals;

ProcessResult answer(int code, std::string out, std::string err = "", bool timed_out = false) {
  ProcessResult r;
  r.exit_code = code;
  r.out = std::move(out);
  r.err = std::move(err);
  r.timed_out = timed_out;
  return r;
}

ExecConfig plugin() {
  ExecConfig e;
  e.api_version = "client.authentication.k8s.io/v1";
  e.command = "get-token";
  e.args = {"--cluster", "prod"};
  e.env = {{"AWS_PROFILE", "ops"}};
  e.interactive_mode = "Never";
  return e;
}

std::string credential(const std::string& token, const std::string& expires = "") {
  return R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":")" +
         token + "\"" + (expires.empty() ? "" : R"(,"expirationTimestamp":")" + expires + "\"") +
         "}}";
}

// A plugin that answers from a script of results and records what it was given.
struct FakePlugin {
  explicit FakePlugin(std::vector<ProcessResult> a) : answers(std::move(a)) {}
  std::vector<ProcessResult> answers;
  std::vector<std::vector<std::string>> argvs;
  std::vector<std::vector<std::pair<std::string, std::string>>> envs;
  ProcessRunner runner() {
    return [this](const std::vector<std::string>& argv,
                  const std::vector<std::pair<std::string, std::string>>& env,
                  std::chrono::milliseconds) {
      argvs.push_back(argv);
      envs.push_back(env);
      const ProcessResult r = answers.at(std::min(argvs.size(), answers.size()) - 1);
      return r;
    };
  }
};

ClusterConfig cluster() {
  ClusterConfig c;
  c.server = "https://api.example:6443";
  c.ca_pem = "CA";
  return c;
}

TEST(ExecCredential, RunsThePluginWithItsArgsEnvAndExecInfo) {
  FakePlugin p({answer(0, credential("tok-1"))});
  ExecConfig e = plugin();
  e.provide_cluster_info = true;
  ExecCredentialSource source(e, cluster(), p.runner());
  EXPECT_EQ(source.token(), "tok-1");
  ASSERT_EQ(p.argvs.size(), 1u);
  EXPECT_EQ(p.argvs[0], (std::vector<std::string>{"get-token", "--cluster", "prod"}));
  ASSERT_EQ(p.envs[0].size(), 2u);
  EXPECT_EQ(p.envs[0][0], (std::pair<std::string, std::string>{"AWS_PROFILE", "ops"}));
  EXPECT_EQ(p.envs[0][1].first, "KUBERNETES_EXEC_INFO");
  const auto info = document::parse_json(p.envs[0][1].second);
  EXPECT_EQ(info.find("kind")->str(), "ExecCredential");
  EXPECT_EQ(info.find({"spec", "interactive"})->as_bool(), false);
  EXPECT_EQ(info.find({"spec", "cluster", "server"})->str(), "https://api.example:6443");
  EXPECT_EQ(info.find({"spec", "cluster", "certificate-authority-data"})->str(), "Q0E=");
}

TEST(ExecCredential, TheTokenIsCachedUntilItExpires) {
  FakePlugin p({answer(0, credential("tok-1", "2026-11-28T12:00:00Z")),
                answer(0, credential("tok-2", "2026-11-28T13:00:00+01:00"))});
  auto now = *base::parse_rfc3339("2026-11-28T11:00:00Z");
  ExecCredentialSource source(plugin(), cluster(), p.runner(), [&] { return now; });
  EXPECT_EQ(source.token(), "tok-1");
  now += 59min;
  EXPECT_EQ(source.token(), "tok-1");
  EXPECT_EQ(p.argvs.size(), 1u);
  now += 1min;  // noon: expired
  EXPECT_EQ(source.token(), "tok-2");
  EXPECT_EQ(source.token(), "tok-2");  // 13:00+01:00 is noon UTC: expired again
  EXPECT_EQ(p.argvs.size(), 3u);
}

TEST(ExecCredential, WithoutAnExpiryTheTokenIsKeptUntilInvalidated) {
  FakePlugin p({answer(0, credential("tok-1")), answer(0, credential("tok-2"))});
  ExecCredentialSource source(plugin(), cluster(), p.runner());
  EXPECT_EQ(source.token(), "tok-1");
  EXPECT_EQ(source.token(), "tok-1");
  source.invalidate();  // a 401
  EXPECT_EQ(source.token(), "tok-2");
  EXPECT_EQ(p.argvs.size(), 2u);
}

std::string error_from(ProcessResult result, ExecConfig e = plugin()) {
  FakePlugin p({std::move(result)});
  ExecCredentialSource source(e, cluster(), p.runner());
  try {
    source.token();
  } catch (const ConfigError& err) {
    return err.what();
  }
  return "(no error)";
}

TEST(ExecCredential, FailuresSayWhatThePluginSaid) {
  ExecConfig hinted = plugin();
  hinted.install_hint = "install get-token from example.com";
  EXPECT_EQ(error_from(answer(1, "", "token expired; run login\n"), hinted),
            "exec plugin get-token failed (exit status 1): token expired; run login "
            "(install get-token from example.com)");
  EXPECT_EQ(error_from(answer(-1, "", "", true)),
            "exec plugin get-token did not finish within 60 s");
  EXPECT_EQ(error_from(answer(-1, "", "No such file or directory")),
            "exec plugin get-token could not be run: No such file or directory");
  EXPECT_NE(error_from(answer(0, "not json")).find("did not print an ExecCredential"),
            std::string::npos);
  EXPECT_NE(error_from(answer(0, R"({"kind":"Other"})")).find("did not print an ExecCredential"),
            std::string::npos);
  EXPECT_NE(
      error_from(
          answer(
              0,
              R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t"}})"))
          .find("answered with apiVersion"),
      std::string::npos);
  EXPECT_NE(
      error_from(
          answer(
              0,
              R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"x","clientKeyData":"y"}})"))
          .find("client certificate"),
      std::string::npos);
  EXPECT_NE(error_from(answer(0, credential(""))).find("gave no token"), std::string::npos);
  EXPECT_NE(error_from(answer(0, credential("t", "tomorrow"))).find("not RFC 3339"),
            std::string::npos);
}

TEST(RunProcess, RunsARealProcessWithItsEnvironmentAndNoStdin) {
  const auto r = run_process({"/bin/sh", "-c", "echo \"$GREETING\"; cat; echo oops >&2; exit 3"},
                             {{"GREETING", "hello"}}, 5s);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "hello\n");  // cat read /dev/null: nothing
  EXPECT_EQ(r.err, "oops\n");
}

TEST(RunProcess, AProcessPastItsLimitIsKilled) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_process({"/bin/sh", "-c", "sleep 30"}, {}, 300ms);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(RunProcess, AMissingCommandSaysSo) {
  const auto r = run_process({"bulwark-no-such-plugin"}, {}, 5s);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());
}

}  // namespace
}  // namespace bulwark::kube
