// Keys and registry credentials from the operator's Secrets (operator/registry/secret_trust.h).
#include "operator/registry/secret_trust.h"

#include <gtest/gtest.h>

#include "operator/base/files.h"
#include "tests/base/fake_clock.h"
#include "tests/support/paths.h"

namespace bulwark::registry {
namespace {

std::string testdata(const std::string& name) {
  return base::read_file(std::string(test::source_dir()) + "/tests/images/testdata/" + name)
      .value_or("");
}

// Secrets by name, counting reads.
class FakeSecrets : public SecretReader {
 public:
  std::optional<std::map<std::string, std::string>> read(const std::string& name,
                                                         std::string& error) override {
    ++reads;
    auto it = secrets.find(name);
    if (it == secrets.end()) {
      error = "Secret bulwark-system/" + name + " cannot be read: not found";
      return std::nullopt;
    }
    return it->second;
  }
  std::map<std::string, std::map<std::string, std::string>> secrets;
  int reads = 0;
};

TEST(DockerConfig, CredentialsByTheHostTheRegistryApiIsAskedAt) {
  std::string error;
  const auto c =
      parse_docker_config(R"({"auths":{"https://index.docker.io/v1/":{"auth":"dTpwOnc="},)"
                          R"("198.18.0.1:5000":{"username":"ci","password":"s3cret"}}})",
                          error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->at("registry-1.docker.io").username, "u");
  EXPECT_EQ(c->at("registry-1.docker.io").password, "p:w");  // split at the first colon
  EXPECT_EQ(c->at("198.18.0.1:5000").password, "s3cret");
  EXPECT_FALSE(parse_docker_config("{}", error));
  EXPECT_EQ(error, "no \"auths\" object");
  EXPECT_FALSE(parse_docker_config(R"({"auths":{"h":{"auth":"bm9jb2xvbg=="}}})", error));
  EXPECT_FALSE(parse_docker_config("not json", error));
}

class SecretTrustTest : public ::testing::Test {
 protected:
  crds::ImageVerifyEntry entry() {
    crds::ImageVerifyEntry e;
    e.image_references = {"198.18.0.1:5000/team/*"};
    e.public_keys = {{"", "team-keys", "cosign.pub"}, {testdata("rsa.pub"), "", ""}};
    e.credentials_secret = "pull";
    return e;
  }
  FakeSecrets secrets;
  testing::FakeClock clock;
  SecretTrust trust{secrets, clock, std::chrono::seconds(60)};
};

TEST_F(SecretTrustTest, KeysAndCredentialsFromTheNamedSecrets) {
  secrets.secrets["team-keys"] = {{"cosign.pub", testdata("ec.pub")}};
  secrets.secrets["pull"] = {
      {".dockerconfigjson", R"({"auths":{"198.18.0.1:5000":{"username":"ci","password":"x"}}})"}};
  std::string error;
  const auto t = trust.trust_for(entry(), error);
  ASSERT_TRUE(t) << error;
  ASSERT_EQ(t->keys.size(), 2u);
  EXPECT_EQ(t->keys[0].algorithm(), "ECDSA P-256");
  EXPECT_EQ(t->keys[1].algorithm(), "RSA 3072");
  EXPECT_EQ(t->credentials.at("198.18.0.1:5000").username, "ci");
}

TEST_F(SecretTrustTest, WhatCannotBeReadSaysWhichSecretAndWhy) {
  std::string error;
  EXPECT_FALSE(trust.trust_for(entry(), error));
  EXPECT_EQ(error, "Secret bulwark-system/team-keys cannot be read: not found");
  secrets.secrets["team-keys"] = {{"other", "x"}};
  clock.advance(std::chrono::seconds(61));
  EXPECT_FALSE(trust.trust_for(entry(), error));
  EXPECT_EQ(error, "Secret team-keys has no key \"cosign.pub\"");
  secrets.secrets["team-keys"] = {{"cosign.pub", testdata("p384.pub")}};
  clock.advance(std::chrono::seconds(61));
  EXPECT_FALSE(trust.trust_for(entry(), error));
  EXPECT_NE(error.find("secp384r1"), std::string::npos) << error;
  secrets.secrets["team-keys"] = {{"cosign.pub", testdata("ec.pub")}};
  secrets.secrets["pull"] = {{"token", "x"}};
  clock.advance(std::chrono::seconds(61));
  EXPECT_FALSE(trust.trust_for(entry(), error));
  EXPECT_NE(error.find("no .dockerconfigjson"), std::string::npos) << error;
}

TEST_F(SecretTrustTest, ASecretIsReadAtMostOnceARefreshAndARotationIsTakenAfterIt) {
  secrets.secrets["team-keys"] = {{"cosign.pub", testdata("ec.pub")}};
  secrets.secrets["pull"] = {{".dockerconfigjson", R"({"auths":{}})"}};
  std::string error;
  ASSERT_TRUE(trust.trust_for(entry(), error)) << error;
  ASSERT_TRUE(trust.trust_for(entry(), error));
  EXPECT_EQ(secrets.reads, 2);  // each Secret once
  secrets.secrets["team-keys"] = {{"cosign.pub", testdata("other.pub")}};
  const auto before = trust.trust_for(entry(), error)->keys[0].fingerprint();
  clock.advance(std::chrono::seconds(61));
  const auto after = trust.trust_for(entry(), error)->keys[0].fingerprint();
  EXPECT_NE(before, after);
}

}  // namespace
}  // namespace bulwark::registry
