// The registry client's protocol: auth challenges, redirects, bounds (operator/registry).
#include "operator/registry/registry_client.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <mutex>

#include "operator/images/public_key.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/http.h"

namespace bulwark::registry {
namespace {

// One scripted answer: status, headers, body chunks.
struct Scripted {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::vector<std::string> chunks;
};

// What a request looked like, with the server it went to.
struct Seen {
  std::string server, path, authorization;
};

// Answers every server's requests from one script, in order, recording them.
class Script {
 public:
  void add(Scripted s) { answers_.push_back(std::move(s)); }
  std::vector<Seen> seen;
  std::unique_ptr<kube::ResponseStream> next(const std::string& server,
                                             const kube::HttpRequest& r) {
    std::lock_guard lock(mu_);
    Seen s{server, r.path, ""};
    for (const auto& [k, v] : r.headers) {
      if (k == "Authorization") s.authorization = v;
    }
    seen.push_back(s);
    if (answers_.empty()) throw kube::TransportError("connection refused");
    auto a = std::move(answers_.front());
    answers_.pop_front();
    return std::make_unique<Stream>(std::move(a));
  }

 private:
  class Stream : public kube::ResponseStream {
   public:
    explicit Stream(Scripted s) : s_(std::move(s)) {}
    int status() const override { return s_.status; }
    std::optional<std::string> header(std::string_view name) const override {
      auto it = s_.headers.find(std::string(name));
      if (it == s_.headers.end()) return std::nullopt;
      return it->second;
    }
    bool read(std::string& out) override {
      if (next_ >= s_.chunks.size()) return false;
      out += s_.chunks[next_++];
      return true;
    }
    void cancel() override { next_ = s_.chunks.size(); }

   private:
    Scripted s_;
    std::size_t next_ = 0;
  };
  std::mutex mu_;
  std::deque<Scripted> answers_;
};

class ScriptTransport : public kube::HttpTransport {
 public:
  ScriptTransport(Script& script, std::string server) : script_(script), server_(server) {}
  kube::HttpResponse send(const kube::HttpRequest&) override { return {500, "", std::nullopt}; }
  std::unique_ptr<kube::ResponseStream> open_stream(const kube::HttpRequest& r) override {
    return script_.next(server_, r);
  }

 private:
  Script& script_;
  std::string server_;
};

class RegistryClient : public ::testing::Test {
 protected:
  std::unique_ptr<Registry> client(RegistrySettings settings = {}) {
    return make_registry(std::move(settings), [this](const kube::ClusterConfig& c) {
      return std::make_unique<ScriptTransport>(script, c.server);
    });
  }
  Script script;
  const images::RegistryPath repo{"registry.test", "team/app"};
};

Scripted ok(std::string body) {
  return {200, {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}}, {std::move(body)}};
}

TEST_F(RegistryClient, ReadsAManifestAnonymouslyAndComputesItsDigest) {
  script.add(ok("{\"schemaVersion\":2}"));
  auto r = client()->manifest(repo, "v1", nullptr);
  ASSERT_EQ(r.status, Fetched::Status::kOk) << r.error;
  EXPECT_EQ(r.digest, images::sha256_digest("{\"schemaVersion\":2}"));
  ASSERT_EQ(script.seen.size(), 1u);
  EXPECT_EQ(script.seen[0].server, "https://registry.test");
  EXPECT_EQ(script.seen[0].path, "/v2/team/app/manifests/v1");
}

TEST_F(RegistryClient, PlainHttpOnlyForInsecureListedHosts) {
  script.add(ok("{}"));
  RegistrySettings s;
  s.insecure_hosts = {"registry.test"};
  client(s)->manifest(repo, "v1", nullptr);
  EXPECT_EQ(script.seen[0].server, "http://registry.test");
}

TEST_F(RegistryClient, FollowsABearerChallengeAndKeepsTheToken) {
  script.add({401,
              {{"WWW-Authenticate",
                "Bearer realm=\"https://auth.test/token\",service=\"reg\",scope=\"x\""}},
              {}});
  script.add(ok(R"({"token":"t1","expires_in":300})"));
  script.add(ok("{}"));
  script.add(ok("{}"));
  auto c = client();
  BasicCredentials creds{"u", "p"};
  ASSERT_EQ(c->manifest(repo, "v1", &creds).status, Fetched::Status::kOk);
  ASSERT_EQ(c->manifest(repo, "v2", &creds).status, Fetched::Status::kOk);
  ASSERT_EQ(script.seen.size(), 4u);
  EXPECT_EQ(script.seen[1].server, "https://auth.test");
  // Its own scope, never the challenge's: the token is for pulling this repository only.
  EXPECT_EQ(script.seen[1].path, "/token?service=reg&scope=repository%3Ateam%2Fapp%3Apull");
  EXPECT_EQ(script.seen[1].authorization, "Basic dTpw");
  EXPECT_EQ(script.seen[2].authorization, "Bearer t1");
  EXPECT_EQ(script.seen[3].authorization, "Bearer t1");  // kept: no second challenge
}

TEST_F(RegistryClient, NeverSendsCredentialsToAPlainHttpRealm) {
  script.add({401, {{"WWW-Authenticate", "Bearer realm=\"http://auth.test/token\""}}, {}});
  BasicCredentials creds{"u", "p"};
  auto r = client()->manifest(repo, "v1", &creds);
  EXPECT_EQ(r.status, Fetched::Status::kFailed);
  EXPECT_NE(r.error.find("not an HTTPS URL"), std::string::npos) << r.error;
  EXPECT_EQ(script.seen.size(), 1u);
}

TEST_F(RegistryClient, BasicChallengeNeedsCredentials) {
  script.add({401, {{"WWW-Authenticate", "Basic realm=\"r\""}}, {}});
  auto r = client()->manifest(repo, "v1", nullptr);
  EXPECT_EQ(r.status, Fetched::Status::kFailed);
  EXPECT_NE(r.error.find("asks for credentials"), std::string::npos);
  script.add({401, {{"WWW-Authenticate", "Basic realm=\"r\""}}, {}});
  script.add(ok("{}"));
  BasicCredentials creds{"u", "p"};
  EXPECT_EQ(client()->manifest(repo, "v1", &creds).status, Fetched::Status::kOk);
  EXPECT_EQ(script.seen.back().authorization, "Basic dTpw");
  // Refused twice: the credentials are wrong; no loop.
  script.add({401, {{"WWW-Authenticate", "Basic realm=\"r\""}}, {}});
  script.add({401, {{"WWW-Authenticate", "Basic realm=\"r\""}}, {}});
  EXPECT_EQ(client()->manifest(repo, "v1", &creds).status, Fetched::Status::kFailed);
}

TEST_F(RegistryClient, RedirectsKeepCredentialsToTheirHostAndAreBounded) {
  script.add({401, {{"WWW-Authenticate", "Basic realm=\"r\""}}, {}});
  script.add({307, {{"Location", "https://storage.test/blob?sig=1"}}, {}});
  script.add(ok("payload"));
  BasicCredentials creds{"u", "p"};
  auto r = client()->blob(repo, images::sha256_digest("payload"), 100, &creds);
  ASSERT_EQ(r.status, Fetched::Status::kOk) << r.error;
  EXPECT_EQ(script.seen[2].server, "https://storage.test");
  EXPECT_EQ(script.seen[2].path, "/blob?sig=1");
  EXPECT_EQ(script.seen[2].authorization, "");

  for (int i = 0; i < 4; ++i) script.add({302, {{"Location", "/v2/loop"}}, {}});
  r = client()->manifest(repo, "v1", nullptr);
  EXPECT_EQ(r.status, Fetched::Status::kFailed);
  EXPECT_NE(r.error.find("redirected more than 3 times"), std::string::npos) << r.error;
  script.add({302, {{"Location", "http://elsewhere.test/x"}}, {}});
  EXPECT_NE(client()->manifest(repo, "v1", nullptr).error.find("plain HTTP"), std::string::npos);
}

TEST_F(RegistryClient, BodiesAreBounded) {
  RegistrySettings s;
  s.max_manifest_bytes = 10;
  script.add({200, {{"Content-Length", "99999999999999999999"}}, {"x"}});
  EXPECT_NE(client(s)->manifest(repo, "v1", nullptr).error.find("announced a body over 10"),
            std::string::npos);
  script.add({200, {}, {"0123456", "789abc"}});
  EXPECT_NE(client(s)->manifest(repo, "v1", nullptr).error.find("sent a body over 10"),
            std::string::npos);
}

TEST_F(RegistryClient, ContentMustMatchTheDigestAskedFor) {
  script.add(ok("other"));
  auto r = client()->blob(repo, images::sha256_digest("payload"), 100, nullptr);
  EXPECT_EQ(r.status, Fetched::Status::kFailed);
  EXPECT_NE(r.error.find("other content"), std::string::npos);
  script.add(ok("other"));
  EXPECT_EQ(client()->manifest(repo, images::sha256_digest("manifest"), nullptr).status,
            Fetched::Status::kFailed);
}

TEST_F(RegistryClient, AManifestMustComeAsOne) {
  script.add({200, {{"Content-Type", "text/html"}}, {"<html>"}});
  auto r = client()->manifest(repo, "v1", nullptr);
  EXPECT_EQ(r.status, Fetched::Status::kFailed);
  EXPECT_EQ(r.error, "registry.test answered Content-Type \"text/html\" for a manifest");
  for (std::string type : {"", "application/vnd.oci.image", "application/json",
                           "application/vnd.docker.distribution.manifest.v1+prettyjws"}) {
    script.add({200, {{"Content-Type", type}}, {"{}"}});
    EXPECT_EQ(client()->manifest(repo, "v1", nullptr).status, Fetched::Status::kFailed) << type;
  }
  script.add(
      {200, {{"Content-Type", "application/vnd.oci.image.index.v1+json; charset=utf-8"}}, {"{}"}});
  EXPECT_EQ(client()->manifest(repo, "v1", nullptr).status, Fetched::Status::kOk);
}

TEST_F(RegistryClient, NotFoundIsNotAFailure) {
  script.add({404, {}, {}});
  EXPECT_EQ(client()->manifest(repo, "sha256-x.sig", nullptr).status, Fetched::Status::kNotFound);
  script.add({500, {}, {}});
  auto r = client()->manifest(repo, "v1", nullptr);
  EXPECT_EQ(r.status, Fetched::Status::kFailed);
  EXPECT_EQ(r.error, "registry.test answered HTTP 500");
  EXPECT_EQ(client()->manifest(repo, "v1", nullptr).status, Fetched::Status::kFailed);  // refused
}

TEST_F(RegistryClient, ContentRefusedIsToldApartFromAnOutage) {
  RegistrySettings s;
  s.max_manifest_bytes = 10;
  script.add({200, {{"Content-Length", "11"}}, {"x"}});
  EXPECT_TRUE(client(s)->manifest(repo, "v1", nullptr).refused_content);
  script.add({200, {{"Content-Type", "text/html"}}, {"<html>"}});
  EXPECT_TRUE(client()->manifest(repo, "v1", nullptr).refused_content);
  script.add(ok("other"));
  EXPECT_TRUE(client()->blob(repo, images::sha256_digest("payload"), 100, nullptr).refused_content);
  script.add({503, {}, {}});
  EXPECT_FALSE(client()->manifest(repo, "v1", nullptr).refused_content);
  EXPECT_FALSE(client()->manifest(repo, "v1", nullptr).refused_content);  // refused connection
}

}  // namespace
}  // namespace bulwark::registry
