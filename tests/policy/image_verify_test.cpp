// images.verify: reading its entries and which of them cover an image.
#include <gtest/gtest.h>

#include <sstream>

#include "operator/base/files.h"
#include "operator/document/reader.h"
#include "operator/policy/security_policy.h"
#include "tests/support/paths.h"

namespace bulwark::crds {
namespace {

PolicyParseResult parse_spec(const std::string& spec_yaml) {
  std::istringstream in(
      "apiVersion: bulwark.dev/v1alpha1\nkind: SecurityPolicy\n"
      "metadata: {name: p}\nspec:\n" +
      spec_yaml);
  document::Value v;
  EXPECT_TRUE(document::make_yaml_reader(in)->next(v));
  return parse_security_policy(v);
}

std::string pem(const std::string& name) {
  return base::read_file(std::string(test::source_dir()) + "/tests/images/testdata/" + name)
      .value_or("");
}

// The PEM as an indented YAML block under `indent` spaces.
std::string pem_block(const std::string& name, int indent) {
  std::string out = "|\n";
  std::istringstream lines(pem(name));
  for (std::string line; std::getline(lines, line);) out += std::string(indent, ' ') + line + "\n";
  return out;
}

std::string errors_of(const PolicyParseResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e.field + ": " + e.message + "\n";
  return out;
}

TEST(ImageVerify, ReadsEntriesWithInlineAndSecretKeys) {
  auto r = parse_spec(
      "  images:\n    verify:\n    - imageReferences: [\"registry.test/team/*\"]\n"
      "      publicKeys:\n      - pem: " +
      pem_block("ec.pub", 10) +
      "      - secret: {name: team-keys, key: cosign.pub}\n"
      "      signedIdentities: [mirror.test/team/app]\n      credentialsSecret: pull\n");
  ASSERT_TRUE(r.ok()) << errors_of(r);
  ASSERT_EQ(r.policy.spec.images.verify.size(), 1u);
  const auto& e = r.policy.spec.images.verify[0];
  EXPECT_EQ(e.image_references, std::vector<std::string>{"registry.test/team/*"});
  ASSERT_EQ(e.public_keys.size(), 2u);
  EXPECT_NE(e.public_keys[0].pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  EXPECT_EQ(e.public_keys[1].secret_name, "team-keys");
  EXPECT_EQ(e.public_keys[1].secret_key, "cosign.pub");
  EXPECT_EQ(e.signed_identities, std::vector<std::string>{"mirror.test/team/app"});
  EXPECT_EQ(e.credentials_secret, "pull");
}

TEST(ImageVerify, RefusesKeysItCannotUseByName) {
  auto r = parse_spec(
      "  images:\n    verify:\n    - imageReferences: [a.test/x]\n"
      "      publicKeys:\n      - pem: " +
      pem_block("p384.pub", 10) + "      - {}\n      - secret: {name: s}\n");
  const std::string errors = errors_of(r);
  EXPECT_NE(errors.find("spec.images.verify[0].publicKeys[0].pem: an ECDSA key on curve "
                        "secp384r1"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("publicKeys[1]: must give exactly one of pem and secret"),
            std::string::npos);
  EXPECT_NE(errors.find("publicKeys[2].secret: must name the Secret"), std::string::npos);
}

TEST(ImageVerify, RefusesKeylessByNameAndEmptyEntries) {
  auto r = parse_spec(
      "  images:\n    verify:\n    - imageReferences: [a.test/x]\n"
      "      keyless: {issuer: x}\n    - {}\n");
  const std::string errors = errors_of(r);
  EXPECT_NE(errors.find("verify[0].keyless: keyless verification (Fulcio certificates, Rekor "
                        "inclusion) is not supported"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("verify[0].publicKeys: must list at least one key"), std::string::npos);
  EXPECT_NE(errors.find("verify[1].imageReferences: must name images"), std::string::npos);
  EXPECT_EQ(errors.find("unknown field"), std::string::npos) << errors;
}

TEST(ImageVerify, EveryCoveringEntryApplies) {
  ImagesSpec images;
  images.verify.push_back({{"registry.test/team/*"}, {{"k1", "", ""}}, {}, ""});
  images.verify.push_back({{"registry.test/team/app"}, {{"k2", "", ""}}, {}, ""});
  EXPECT_EQ(verify_entries_for(images, "registry.test/team/app:1").size(), 2u);
  EXPECT_EQ(verify_entries_for(images, "registry.test/team/other@sha256:x").size(), 1u);
  EXPECT_TRUE(verify_entries_for(images, "registry.test/teamx/app").empty());
  EXPECT_TRUE(verify_entries_for(images, "nginx").empty());
  EXPECT_TRUE(verify_entries_for(ImagesSpec{}, "registry.test/team/app").empty());
}

TEST(ImageVerify, PatternsThatWouldCoverNothingAreRefused) {
  for (const char* bad : {"*", "registry.example.com/team/app:*", "registry.example.com/*/app",
                          "https://registry.example.com/team", "Registry.Example.com/team",
                          "registry.example.com/team/app:1", "registry.example.com/app@sha256:x"}) {
    EXPECT_NE(repository_pattern_problem(bad, true), "") << bad;
  }
  for (const char* good : {"registry.example.com/team/*", "registry.example.com:5000/team",
                           "library/nginx", "198.18.0.1:5000"}) {
    EXPECT_EQ(repository_pattern_problem(good, true), "") << good;
  }
  EXPECT_NE(repository_pattern_problem("registry.example.com/team/*", false), "");
  auto r = parse_spec(
      "  images:\n    verify:\n    - imageReferences: [\"*\"]\n"
      "      signedIdentities: [\"a.test/x:1\"]\n"
      "      publicKeys:\n      - pem: " +
      pem_block("ec.pub", 10));
  const std::string errors = errors_of(r);
  EXPECT_NE(errors.find("imageReferences[0]: \"*\" may end in"), std::string::npos) << errors;
  EXPECT_NE(errors.find("signedIdentities[0]: \"a.test/x:1\" names a tag"), std::string::npos);
}

TEST(ImageVerify, VerdictKeysCannotBeForgedAcrossFields) {
  ImagesSpec two, one;
  two.verify.push_back({{"a.test/x"}, {{"P1", "", ""}, {"P2", "", ""}}, {}, ""});
  one.verify.push_back({{"a.test/x"}, {{"P1//,P2", "", ""}}, {}, ""});
  EXPECT_NE(verify_key(two), verify_key(one));
  ImagesSpec ids_a, ids_b;
  ids_a.verify.push_back({{"a.test/x"}, {{"P", "", ""}}, {"a,b"}, ""});
  ids_b.verify.push_back({{"a.test/x"}, {{"P", "", ""}}, {"a", "b"}, ""});
  EXPECT_NE(verify_key(ids_a), verify_key(ids_b));
}

}  // namespace
}  // namespace bulwark::crds
