// cosign's signature manifest and payload, and base64 (operator/images/cosign_format.h).
#include "operator/images/cosign_format.h"

#include <gtest/gtest.h>

namespace bulwark::images {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'b');

std::string layer(std::string_view media_type, std::string_view digest, std::string_view size,
                  std::string_view signature) {
  return std::string(R"({"mediaType":")") + std::string(media_type) + R"(","digest":")" +
         std::string(digest) + R"(","size":)" + std::string(size) +
         R"(,"annotations":{"dev.cosignproject.cosign/signature":")" + std::string(signature) +
         R"("}})";
}

std::string manifest(const std::string& layers) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,)"
         R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},)"
         R"("layers":[)" +
         layers + "]}";
}

TEST(SignatureTag, BesideTheDigest) {
  EXPECT_EQ(signature_tag(kDigest), "sha256-" + std::string(64, 'b') + ".sig");
  EXPECT_EQ(signature_tag("sha256:abc"), "");
  EXPECT_EQ(signature_tag("sha512:" + std::string(128, 'b')), "");
}

TEST(SignatureManifest, ReadsSignatureLayersAndSkipsOthers) {
  const std::string text = manifest(layer(kSimpleSigningType, kDigest, "240", "c2ln") + "," +
                                    layer("application/octet-stream", kDigest, "1", "eA==") + "," +
                                    layer(kSimpleSigningType, kDigest, "10", ""));
  std::string error;
  auto m = parse_signature_manifest(text, error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].digest, kDigest);
  EXPECT_EQ(m->layers[0].size, 240);
  EXPECT_EQ(m->layers[0].signature_base64, "c2ln");
  EXPECT_EQ(m->skipped, 2u);
}

TEST(SignatureManifest, RefusesWhatIsNoSignatureManifest) {
  std::string error;
  EXPECT_FALSE(parse_signature_manifest("not json", error));
  EXPECT_NE(error.find("not JSON"), std::string::npos);
  error.clear();
  EXPECT_FALSE(parse_signature_manifest("[1]", error));
  error.clear();
  EXPECT_FALSE(parse_signature_manifest(R"({"layers":{}})", error));
  EXPECT_EQ(error, "no layers list");
  error.clear();
  EXPECT_FALSE(parse_signature_manifest(
      manifest(layer(kSimpleSigningType, "sha256:abc", "10", "c2ln")), error));
  EXPECT_EQ(error, "layers[0].digest is not a sha256 digest");
  error.clear();
  EXPECT_FALSE(parse_signature_manifest(
      manifest(layer(kSimpleSigningType, kDigest, "104857600", "c2ln")), error));
  EXPECT_NE(error.find("layers[0].size"), std::string::npos);
  error.clear();
  EXPECT_FALSE(
      parse_signature_manifest(manifest(layer(kSimpleSigningType, kDigest, "-1", "c2ln")), error));
}

TEST(SignatureManifest, CapsTheLayersRead) {
  std::string layers;
  for (std::size_t i = 0; i < kMaxSignatureLayers + 3; ++i) {
    layers += (i == 0 ? "" : ",") + layer(kSimpleSigningType, kDigest, "10", "c2ln");
  }
  std::string error;
  auto m = parse_signature_manifest(manifest(layers), error);
  ASSERT_TRUE(m) << error;
  EXPECT_EQ(m->layers.size(), kMaxSignatureLayers);
  EXPECT_EQ(m->skipped, 3u);
}

TEST(SimpleSigning, ReadsTheCriticalClaims) {
  std::string error;
  auto s = parse_simple_signing(
      R"({"critical":{"identity":{"docker-reference":"registry.test/team/app"},)"
      R"("image":{"docker-manifest-digest":")" +
          kDigest + R"("},"type":"cosign container image signature"},"optional":null})",
      error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->docker_reference, "registry.test/team/app");
  EXPECT_EQ(s->docker_manifest_digest, kDigest);
  EXPECT_EQ(s->type, "cosign container image signature");
}

TEST(SimpleSigning, RefusesPayloadsWithoutADigestClaim) {
  std::string error;
  EXPECT_FALSE(parse_simple_signing(R"({"optional":{}})", error));
  EXPECT_EQ(error, "no critical object");
  error.clear();
  EXPECT_FALSE(
      parse_simple_signing(R"({"critical":{"image":{"docker-manifest-digest":1}}})", error));
  error.clear();
  // Go's decoder would match "Critical" too; cosign never writes it, and Bulwark refuses it.
  EXPECT_FALSE(parse_simple_signing(
      R"({"Critical":{"image":{"docker-manifest-digest":"sha256:x"}}})", error));
}

TEST(Base64, StandardAlphabetWithPadding) {
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("Zg=="), "f");
  EXPECT_EQ(decode_base64("Zm8="), "fo");
  EXPECT_EQ(decode_base64("Zm9v"), "foo");
  EXPECT_EQ(decode_base64("Zm9v\nYmFy"), "foobar");  // Go skips line breaks
  EXPECT_EQ(decode_base64("+/+/"), std::string("\xfb\xff\xbf", 3));
  EXPECT_FALSE(decode_base64("Zg"));        // padding required
  EXPECT_FALSE(decode_base64("Z==="));      // three pads
  EXPECT_FALSE(decode_base64("Zg=a"));      // data after a pad
  EXPECT_FALSE(decode_base64("Zg==Zg=="));  // a pad before the end
  EXPECT_FALSE(decode_base64("-_-_"));      // the URL alphabet
  EXPECT_FALSE(decode_base64("Zm9v "));
}

}  // namespace
}  // namespace bulwark::images
