// Keys and signature verification (operator/images/public_key.h, signature_check.h), against
// signatures made by OpenSSL (testdata/make_openssl.sh) and by cosign (testdata/cosign/).
#include "operator/images/signature_check.h"

#include <gtest/gtest.h>

#include "operator/base/files.h"
#include "operator/images/public_key.h"
#include "tests/support/paths.h"

namespace bulwark::images {
namespace {

std::string testdata(const std::string& name) {
  auto text = base::read_file(std::string(test::source_dir()) + "/tests/images/testdata/" + name);
  if (!text) ADD_FAILURE() << "no testdata " << name;
  return text.value_or("");
}

PublicKey key(const std::string& name) {
  std::string error;
  auto k = PublicKey::from_pem(testdata(name), error);
  if (!k) ADD_FAILURE() << name << ": " << error;
  return *k;
}

// The payload's claims (make_openssl.sh): this digest, this repository.
const std::string kImageDigest = sha256_digest("image");
const std::string kRepository = "registry.test/team/app";

FetchedSignature signature(const std::string& key_name,
                           const std::string& payload_name = "payload.json") {
  const std::string payload = testdata(payload_name);
  FetchedSignature s;
  s.layer.digest = sha256_digest(payload);
  s.layer.size = std::int64_t(payload.size());
  const std::string stem = payload_name.substr(0, payload_name.rfind(".json"));
  s.layer.signature_base64 = testdata(stem + "." + key_name + ".sig");
  s.payload = payload;
  return s;
}

TEST(PublicKey, TakesP256AndRsaAndNamesWhatItRefuses) {
  EXPECT_EQ(key("ec.pub").algorithm(), "ECDSA P-256");
  EXPECT_EQ(key("rsa.pub").algorithm(), "RSA 3072");
  EXPECT_EQ(key("ec.pub").fingerprint().substr(0, 7), "sha256:");
  EXPECT_NE(key("ec.pub").fingerprint(), key("other.pub").fingerprint());
  std::string error;
  EXPECT_FALSE(PublicKey::from_pem(testdata("p384.pub"), error));
  EXPECT_NE(error.find("secp384r1"), std::string::npos) << error;
  EXPECT_FALSE(PublicKey::from_pem(testdata("rsa1024.pub"), error));
  EXPECT_NE(error.find("1024 bits"), std::string::npos) << error;
  EXPECT_FALSE(PublicKey::from_pem("not a key", error));
  EXPECT_FALSE(
      PublicKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", error));
  EXPECT_EQ(error, "the PEM public key does not parse");
}

TEST(PublicKey, VerifiesOnlyItsOwnSignatureOverTheExactPayload) {
  const std::string payload = testdata("payload.json");
  const auto ec_sig = decode_base64(testdata("payload.ec.sig"));
  const auto rsa_sig = decode_base64(testdata("payload.rsa.sig"));
  ASSERT_TRUE(ec_sig && rsa_sig);
  EXPECT_TRUE(key("ec.pub").verifies(payload, *ec_sig));
  EXPECT_TRUE(key("rsa.pub").verifies(payload, *rsa_sig));
  EXPECT_FALSE(key("other.pub").verifies(payload, *ec_sig));
  EXPECT_FALSE(key("rsa.pub").verifies(payload, *ec_sig));
  EXPECT_FALSE(key("ec.pub").verifies(payload + " ", *ec_sig));
  EXPECT_FALSE(key("ec.pub").verifies(payload, ""));
}

TEST(JudgeSignatures, VerifiedByAnyListedKey) {
  const SignedImage image{kRepository, kImageDigest, {}};
  auto v = judge_signatures(image, {signature("other"), signature("ec")},
                            {key("rsa.pub"), key("ec.pub")});
  EXPECT_EQ(v.result, SignatureResult::kVerified) << v.detail;
  EXPECT_NE(v.detail.find(key("ec.pub").fingerprint()), std::string::npos);
  EXPECT_EQ(judge_signatures(image, {signature("rsa")}, {key("rsa.pub")}).result,
            SignatureResult::kVerified);
}

TEST(JudgeSignatures, NoSignatureIsUnsigned) {
  auto v = judge_signatures({kRepository, kImageDigest, {}}, {}, {key("ec.pub")});
  EXPECT_EQ(v.result, SignatureResult::kUnsigned);
}

TEST(JudgeSignatures, AnotherKeyIsABadSignature) {
  auto v = judge_signatures({kRepository, kImageDigest, {}}, {signature("other")}, {key("ec.pub")});
  EXPECT_EQ(v.result, SignatureResult::kBadSignature);
  EXPECT_EQ(v.detail, "no signature verifies under the policy's keys");
}

TEST(JudgeSignatures, ASignatureForAnotherDigestDoesNotCarryOver) {
  // What a tag moved to an unsigned image meets: the signature names the digest it was made for.
  auto v = judge_signatures({kRepository, sha256_digest("another image"), {}}, {signature("ec")},
                            {key("ec.pub")});
  EXPECT_EQ(v.result, SignatureResult::kBadSignature);
  EXPECT_NE(v.detail.find("for another digest (" + kImageDigest + ")"), std::string::npos)
      << v.detail;
}

TEST(JudgeSignatures, ASignatureCopiedToAnotherRepositoryDoesNotCarryOver) {
  // cosign verify accepts it (it reads no docker-reference); Bulwark does not.
  auto v = judge_signatures({"registry.test/other/app", kImageDigest, {}}, {signature("ec")},
                            {key("ec.pub")});
  EXPECT_EQ(v.result, SignatureResult::kBadSignature);
  EXPECT_NE(v.detail.find("copied from another repository"), std::string::npos) << v.detail;
  // ...unless the entry lists the identity it accepts (a mirror).
  auto mirror = judge_signatures({"mirror.test/team/app", kImageDigest, {kRepository}},
                                 {signature("ec")}, {key("ec.pub")});
  EXPECT_EQ(mirror.result, SignatureResult::kVerified) << mirror.detail;
}

TEST(JudgeSignatures, APayloadThatIsNotTheLayersIsRefused) {
  FetchedSignature s = signature("ec");
  s.payload = *s.payload + "\n";  // a registry serving other bytes under the digest
  auto v = judge_signatures({kRepository, kImageDigest, {}}, {s}, {key("ec.pub")});
  EXPECT_EQ(v.result, SignatureResult::kBadSignature);
  EXPECT_NE(v.detail.find("does not match its digest"), std::string::npos);
}

TEST(JudgeSignatures, APayloadNotFetchedIsNotEvaluatedUnlessAnotherVerifies) {
  FetchedSignature missing = signature("ec");
  missing.payload.reset();
  EXPECT_EQ(judge_signatures({kRepository, kImageDigest, {}}, {missing, signature("other")},
                             {key("ec.pub")})
                .result,
            SignatureResult::kNotEvaluated);
  EXPECT_EQ(judge_signatures({kRepository, kImageDigest, {}}, {missing, signature("rsa")},
                             {key("rsa.pub")})
                .result,
            SignatureResult::kVerified);
}

TEST(JudgeSignatures, APayloadTheRegistryServedWrongIsABrokenSignatureNotAnOutage) {
  // A layer declaring size 0 over a real blob: fetched, refused for its size. No verdict to
  // wait for: the image is not signed by it.
  FetchedSignature s = signature("other");
  s.payload.reset();
  s.refused = "registry.test announced a body over 0 bytes";
  auto v = judge_signatures({kRepository, kImageDigest, {}}, {s}, {key("ec.pub")});
  EXPECT_EQ(v.result, SignatureResult::kBadSignature);
  EXPECT_NE(v.detail.find("payload is refused"), std::string::npos) << v.detail;
}

TEST(SimpleSigning, KeysDifferingOnlyInCaseAreAmbiguous) {
  std::string error;
  EXPECT_FALSE(parse_simple_signing(
      R"({"critical":{"image":{"docker-manifest-digest":"sha256:a"}},"Critical":{}})", error));
  EXPECT_NE(error.find("differ only in case"), std::string::npos);
  EXPECT_FALSE(parse_simple_signing(
      R"({"critical":{"image":{"docker-manifest-digest":"sha256:a","Docker-Manifest-Digest":"b"}}})",
      error));
}

TEST(JudgeSignatures, OnlyAContainerImageSignatureCounts) {
  // The same key and claims, signed as a blob (critical.type not cosign's image signature).
  auto v = judge_signatures({kRepository, kImageDigest, {}}, {signature("ec", "payload-blob.json")},
                            {key("ec.pub")});
  EXPECT_EQ(v.result, SignatureResult::kBadSignature);
  EXPECT_NE(v.detail.find("not as a container image signature"), std::string::npos) << v.detail;
}

}  // namespace
}  // namespace bulwark::images
