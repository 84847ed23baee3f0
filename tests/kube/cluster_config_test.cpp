// Reading kubeconfigs and the in-cluster service account.
#include "operator/kube/cluster_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace bulwark::kube {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest()
      : dir_(fs::temp_directory_path() / ("bulwark-kubeconfig-" + std::to_string(getpid()))) {
    fs::create_directories(dir_ / "certs");
  }
  ~ConfigTest() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  std::function<const char*(const char*)> env(std::map<std::string, std::string> vars) {
    env_ = std::move(vars);
    return [this](const char* k) -> const char* {
      auto it = env_.find(k);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
  }
  fs::path dir_;
  std::map<std::string, std::string> env_;
};

const char* const kTwoContexts = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: Q0EgUEVN
- name: prod
  cluster: {server: "https://prod:443", certificate-authority: certs/ca.crt}
users:
- name: dev-admin
  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}
- name: prod-bot
  user: {tokenFile: certs/token}
contexts:
- name: dev
  context: {cluster: dev, user: dev-admin}
- name: prod
  context: {cluster: prod, user: prod-bot}
)";

// Configuration files are read whole; a certificate or key that is empty (not written yet) is an
// error when the caller says so, and a folder or a missing file is never read as empty.
TEST_F(ConfigTest, ConfigFilesAreReadWholeAndEmptyOnesRefusedWhenAsked) {
  const std::string big(200000, 'x');  // more than one read of the reader's buffer
  EXPECT_EQ(read_config_file(write("big", big)), big);
  const auto empty = write("empty", "");
  EXPECT_EQ(read_config_file(empty), "");
  try {
    read_config_file(empty, "certificate", EmptyFile::kRefuse);
    ADD_FAILURE() << "an empty file was read";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read certificate " + empty + ": the file is empty");
  }
  EXPECT_THROW(read_config_file((dir_ / "certs").string()), ConfigError);  // a folder
  EXPECT_THROW(read_config_file((dir_ / "missing").string()), ConfigError);
}

TEST_F(ConfigTest, CurrentContextWithInlineData) {
  auto c = load_kubeconfig(write("config", kTwoContexts));
  EXPECT_EQ(c.server, "https://127.0.0.1:6443");
  EXPECT_EQ(c.ca_pem, "CA PEM");
  EXPECT_EQ(c.client_cert_pem, "CERT");
  EXPECT_EQ(c.client_key_pem, "KEY");
  EXPECT_FALSE(c.insecure_skip_tls_verify);
  EXPECT_NE(c.source.find("(context dev)"), std::string::npos);
}

TEST_F(ConfigTest, NamedContextWithFilesRelativeToTheKubeconfig) {
  write("certs/ca.crt", "FILE CA");
  auto c = load_kubeconfig(write("config", kTwoContexts), "prod");
  EXPECT_EQ(c.ca_pem, "FILE CA");
  EXPECT_EQ(c.token_file, (dir_ / "certs/token").string());
  EXPECT_FALSE(c.insecure_skip_tls_verify);
}

TEST_F(ConfigTest, ErrorsNameTheFileAndTheMissingPiece) {
  const auto path = write("config", kTwoContexts);
  try {
    load_kubeconfig(path, "staging");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "kubeconfig " + path + ": context \"staging\" not found");
  }
  EXPECT_THROW(load_kubeconfig(path, "prod"), ConfigError);  // certs/ca.crt does not exist
  EXPECT_THROW(load_kubeconfig((dir_ / "absent").string()), ConfigError);
  EXPECT_THROW(load_kubeconfig(write("bad", "clusters: [unclosed\n")), ConfigError);
  EXPECT_THROW(load_kubeconfig(write("nocert",
                                     "current-context: c\ncontexts: [{name: c, context: "
                                     "{cluster: c, user: u}}]\nclusters: [{name: c, "
                                     "cluster: {server: 'https://x'}}]\nusers: [{name: "
                                     "u, user: {client-certificate-data: QQ==}}]\n")),
               ConfigError);
}

TEST_F(ConfigTest, InClusterReadsTheServiceAccountMount) {
  write("ca.crt", "SA CA");
  write("token", "tok\n");
  auto c = in_cluster_config(
      env({{"KUBERNETES_SERVICE_HOST", "10.0.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      dir_.string());
  EXPECT_EQ(c.server, "https://10.0.0.1:443");
  EXPECT_EQ(c.ca_pem, "SA CA");
  EXPECT_EQ(c.token_file, (dir_ / "token").string());
  auto v6 = in_cluster_config(
      env({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      dir_.string());
  EXPECT_EQ(v6.server, "https://[fd00::1]:443");
  EXPECT_THROW(in_cluster_config(env({}), dir_.string()), ConfigError);
}

TEST_F(ConfigTest, ResolveOrder) {
  const auto path = write("config", kTwoContexts);
  EXPECT_EQ(resolve_cluster_config(path, env({})).server, "https://127.0.0.1:6443");
  EXPECT_EQ(resolve_cluster_config("", env({{"KUBECONFIG", "/nope:" + path}})).server,
            "https://127.0.0.1:6443");
  fs::create_directories(dir_ / "home/.kube");
  fs::copy_file(path, dir_ / "home/.kube/config");
  EXPECT_EQ(resolve_cluster_config("", env({{"HOME", (dir_ / "home").string()}})).server,
            "https://127.0.0.1:6443");
  EXPECT_THROW(resolve_cluster_config("", env({{"HOME", "/nonexistent"}})), ConfigError);
}

TEST_F(ConfigTest, TokenFileIsReReadAfterAMinute) {
  const auto path = write("token", "one\n");
  TokenFile t(path);
  const auto t0 = std::chrono::steady_clock::time_point{};
  EXPECT_EQ(t.token(t0), "one");
  write("token", "two");
  EXPECT_EQ(t.token(t0 + std::chrono::seconds(59)), "one");
  EXPECT_EQ(t.token(t0 + std::chrono::seconds(60)), "two");
}

// A kubeconfig of one context whose cluster and user are the given flow mappings.
std::string one_context(const std::string& cluster, const std::string& user) {
  return "current-context: c\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
         "clusters: [{name: c, cluster: " +
         cluster + "}]\nusers: [{name: u, user: " + user + "}]\n";
}

std::string error_of(const std::string& path) {
  try {
    load_kubeconfig(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

// client-go refuses a CA beside insecure-skip-tls-verify: true; so does Bulwark, naming both,
// rather than turning verification off without a word.
TEST_F(ConfigTest, InsecureSkipTlsVerifyWithACaIsRefusedNamingBoth) {
  for (const char* ca : {"certificate-authority-data: Q0EgUEVN", "certificate-authority: ca.crt"}) {
    write("ca.crt", "FILE CA");
    const auto path =
        write("config",
              one_context(
                  std::string("{server: 'https://x', insecure-skip-tls-verify: true, ") + ca + "}",
                  "{token: t}"));
    const std::string error = error_of(path);
    EXPECT_NE(error.find("insecure-skip-tls-verify: true and a certificate-authority"),
              std::string::npos)
        << ca << ": " << error;
  }
}

TEST_F(ConfigTest, AQuotedTrueForInsecureSkipTlsVerifyIsAnError) {
  const auto quoted = write(
      "quoted",
      one_context(R"({server: "https://x", insecure-skip-tls-verify: "true"})", "{token: t}"));
  EXPECT_NE(error_of(quoted).find(
                "insecure-skip-tls-verify must be true or false, not the string \"true\""),
            std::string::npos)
      << error_of(quoted);
  const auto word = write(
      "word", one_context("{server: 'https://x', insecure-skip-tls-verify: maybe}", "{token: t}"));
  EXPECT_NE(error_of(word).find("insecure-skip-tls-verify must be true or false"),
            std::string::npos);
  EXPECT_TRUE(
      load_kubeconfig(
          write("plain",
                one_context("{server: 'https://x', insecure-skip-tls-verify: true}", "{token: t}")))
          .insecure_skip_tls_verify);
}

TEST_F(ConfigTest, TlsServerNameIsReadAndProxyUrlRefused) {
  EXPECT_EQ(
      load_kubeconfig(
          write("sni", one_context("{server: 'https://10.0.0.1', tls-server-name: api.internal}",
                                   "{token: t}")))
          .tls_server_name,
      "api.internal");
  const auto proxy = write(
      "proxy", one_context("{server: 'https://x', proxy-url: 'http://proxy:3128'}", "{token: t}"));
  EXPECT_NE(error_of(proxy).find("proxy-url is not supported"), std::string::npos)
      << error_of(proxy);
}

TEST_F(ConfigTest, AuthenticationBulwarkDoesNotDoIsAnErrorNotAnAnonymousClient) {
  const std::string cluster = "{server: 'https://x'}";
  EXPECT_NE(error_of(write("ap", one_context(cluster, "{auth-provider: {name: gcp}}")))
                .find("auth-provider is not supported"),
            std::string::npos);
  EXPECT_NE(error_of(write("basic", one_context(cluster, "{username: admin, password: secret}")))
                .find("basic authentication"),
            std::string::npos);
  EXPECT_NE(error_of(write("as", one_context(cluster, "{token: t, as: someone}")))
                .find("impersonation (as)"),
            std::string::npos);
}

TEST_F(ConfigTest, ExecPluginsAreReadAndCheckedLikeClientGo) {
  auto c = load_kubeconfig(
      write("exec",
            one_context(
                "{server: 'https://x'}",
                "{exec: {apiVersion: client.authentication.k8s.io/v1, command: bin/get-token, "
                "args: [--a, b], "
                "env: [{name: K, value: V}], interactiveMode: Never, provideClusterInfo: true}}")));
  ASSERT_TRUE(c.exec);
  EXPECT_EQ(c.exec->command, (dir_ / "bin/get-token").string());  // relative to the kubeconfig
  EXPECT_EQ(c.exec->args, (std::vector<std::string>{"--a", "b"}));
  EXPECT_EQ(c.exec->env, (std::vector<std::pair<std::string, std::string>>{{"K", "V"}}));
  EXPECT_TRUE(c.exec->provide_cluster_info);
  auto on_path = load_kubeconfig(write(
      "path",
      one_context("{server: 'https://x'}",
                  "{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws}}")));
  EXPECT_EQ(on_path.exec->command, "aws");                   // looked up on PATH
  EXPECT_EQ(on_path.exec->interactive_mode, "IfAvailable");  // v1beta1's default
  const std::string cluster = "{server: 'https://x'}";
  EXPECT_NE(
      error_of(
          write("v1",
                one_context(cluster,
                            "{exec: {apiVersion: client.authentication.k8s.io/v1, command: x}}")))
          .find("interactiveMode must be set"),
      std::string::npos);
  EXPECT_NE(
      error_of(write("always", one_context(cluster,
                                           "{exec: {apiVersion: client.authentication.k8s.io/v1, "
                                           "command: x, interactiveMode: Always}}")))
          .find("needs a terminal"),
      std::string::npos);
  EXPECT_NE(
      error_of(
          write("alpha",
                one_context(
                    cluster,
                    "{exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}")))
          .find("is not supported"),
      std::string::npos);
}

TEST(Base64, Decodes) {
  EXPECT_EQ(base64_decode("aGVsbG8gd29ybGQ="), "hello world");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_THROW(base64_decode("a$b"), ConfigError);
}

}  // namespace
}  // namespace bulwark::kube
