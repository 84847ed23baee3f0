// Verifying images against a registry, and the verdict cache (operator/registry).
#include "operator/registry/signature_verifier.h"

#include <gtest/gtest.h>

#include "operator/base/files.h"
#include "operator/images/cosign_format.h"
#include "operator/registry/pod_signatures.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_registry.h"
#include "tests/support/paths.h"

namespace bulwark::testing {
namespace {

using images::SignatureResult;

std::string testdata(const std::string& name) {
  return base::read_file(std::string(test::source_dir()) + "/tests/images/testdata/" + name)
      .value_or("");
}

// The image whose digest the OpenSSL-made payload names (testdata/make_openssl.sh): its
// "manifest" is the text "image", in registry.test/team/app.
class Verifier : public ::testing::Test {
 protected:
  Verifier() {
    digest = fake.put_manifest("team/app", "v1", "image");
    std::string error;
    trust.keys.push_back(*images::PublicKey::from_pem(testdata("ec.pub"), error));
  }
  // Signs the image with the payload signed by `key` (testdata/make_openssl.sh).
  void sign(const std::string& key) {
    fake.put_signature("team/app", digest, testdata("payload.json"),
                       testdata("payload." + key + ".sig"));
  }
  FakeRegistry fake;
  FakeClock clock;
  registry::SignatureVerifier verifier{fake, clock, {std::chrono::seconds(60), 2}};
  registry::TrustedKeys trust;
  std::string digest;
};

TEST_F(Verifier, ATagIsResolvedAndItsSignatureVerified) {
  sign("ec");
  std::string error;
  EXPECT_EQ(verifier.resolve("registry.test/team/app:v1", trust, error), digest);
  auto v = verifier.verify_digest("registry.test/team/app", digest, trust);
  EXPECT_EQ(v.result, SignatureResult::kVerified) << v.detail;
}

TEST_F(Verifier, NoSignatureManifestIsUnsignedAndAnotherKeyIsBad) {
  EXPECT_EQ(verifier.verify_digest("registry.test/team/app", digest, trust).result,
            SignatureResult::kUnsigned);
  sign("other");
  clock.advance(std::chrono::seconds(61));  // past the cached verdict
  EXPECT_EQ(verifier.verify_digest("registry.test/team/app", digest, trust).result,
            SignatureResult::kBadSignature);
}

TEST_F(Verifier, VerdictsAreCachedButNotEvaluatedNeverIs) {
  sign("ec");
  verifier.verify_digest("registry.test/team/app", digest, trust);
  const int asked = fake.requests();
  EXPECT_EQ(verifier.verify_digest("registry.test/team/app", digest, trust).result,
            SignatureResult::kVerified);
  EXPECT_EQ(fake.requests(), asked);  // served from the cache
  EXPECT_EQ(verifier.counts().cache_hits, 1u);

  const std::string other = fake.put_manifest("team/app", "v2", "other image");
  fake.set_down(true);
  EXPECT_EQ(verifier.verify_digest("registry.test/team/app", other, trust).result,
            SignatureResult::kNotEvaluated);
  fake.set_down(false);
  EXPECT_EQ(verifier.verify_digest("registry.test/team/app", other, trust).result,
            SignatureResult::kUnsigned);  // asked again once the registry is back
}

TEST_F(Verifier, AKeyChangeIsAnotherVerdict) {
  sign("ec");
  EXPECT_EQ(verifier.verify_digest("registry.test/team/app", digest, trust).result,
            SignatureResult::kVerified);
  registry::TrustedKeys other;
  std::string error;
  other.keys.push_back(*images::PublicKey::from_pem(testdata("other.pub"), error));
  EXPECT_EQ(verifier.verify_digest("registry.test/team/app", digest, other).result,
            SignatureResult::kBadSignature);
}

TEST_F(Verifier, TheCacheIsBounded) {
  for (const char* body : {"a", "b", "c"}) {
    verifier.verify_digest("registry.test/team/app", images::sha256_digest(body), trust);
  }
  const int asked = fake.requests();
  verifier.verify_digest("registry.test/team/app", images::sha256_digest("a"), trust);
  EXPECT_GT(fake.requests(), asked);  // "a" was dropped (two entries kept)
}

TEST_F(Verifier, PodImagesTakeTheWorstOfTheirEntries) {
  sign("ec");
  crds::ImagesSpec spec;
  spec.verify.push_back({{"registry.test/team/*"}, {{testdata("ec.pub"), "", ""}}, {}, ""});
  registry::InlineTrust inline_trust;
  auto one = registry::verify_pod_images(
      verifier, inline_trust, spec,
      {{"app", "registry.test/team/app:v1", "", ""}, {"side", "nginx:1.27", "", ""}});
  ASSERT_EQ(one.size(), 1u);  // nginx is covered by no entry
  EXPECT_EQ(one.at("app").verdict.result, SignatureResult::kVerified);
  EXPECT_EQ(one.at("app").image, "registry.test/team/app@" + digest);

  spec.verify.push_back({{"registry.test/team/app"}, {{testdata("other.pub"), "", ""}}, {}, ""});
  spec.verify.push_back({{"registry.test/team/app"}, {{"", "keys", "cosign.pub"}}, {}, ""});
  auto both = registry::verify_pod_images(verifier, inline_trust, spec,
                                          {{"app", "registry.test/team/app:v1", "", ""}});
  EXPECT_EQ(both.at("app").verdict.result, SignatureResult::kBadSignature);
  spec.verify.erase(spec.verify.begin() + 1);
  auto secret = registry::verify_pod_images(verifier, inline_trust, spec,
                                            {{"app", "registry.test/team/app:v1", "", ""}});
  EXPECT_EQ(secret.at("app").verdict.result, SignatureResult::kNotEvaluated);
  EXPECT_NE(secret.at("app").verdict.detail.find("Secret \"keys\""), std::string::npos);
}

}  // namespace
}  // namespace bulwark::testing
