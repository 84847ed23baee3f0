// Image references, the kubelet's imageIDs and repository coverage (operator/images/reference.h).
#include "operator/images/reference.h"

#include <gtest/gtest.h>

namespace bulwark::images {
namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

TEST(Covers, WholePathComponentsOnly) {
  EXPECT_TRUE(covers("registry.example.com/team", "registry.example.com/team/app", false));
  EXPECT_FALSE(covers("registry.example.com/team", "registry.example.com/teamx/app", false));
  EXPECT_FALSE(covers("registry.example.com", "registry.example.com.evil.io/team/app", false));
  // allowedRegistries names places; imageReferences a repository too, unless it ends in "/*".
  EXPECT_FALSE(covers("registry.example.com/team/app", "registry.example.com/team/app", false));
  EXPECT_TRUE(covers("registry.example.com/team/app", "registry.example.com/team/app", true));
  EXPECT_FALSE(covers("registry.example.com/team/*", "registry.example.com/team", true));
  EXPECT_TRUE(covers("registry.example.com/team/*", "registry.example.com/team/a/b", true));
  // Entries are places, as allowedRegistries': without a host, a path on Docker Hub, so its
  // official images are "library/NAME" (or "docker.io/library/NAME").
  EXPECT_TRUE(covers("library/nginx", "docker.io/library/nginx", true));
  EXPECT_TRUE(covers("docker.io/library/nginx", "docker.io/library/nginx", true));
  EXPECT_FALSE(covers("nginx", "docker.io/library/nginx", true));
  EXPECT_TRUE(covers("127.0.0.71:5000", "127.0.0.71:5000/team/app", true));
  EXPECT_TRUE(covers("bitnami", "docker.io/bitnami/redis", false));
  EXPECT_FALSE(covers("", "docker.io/library/nginx", true));
  EXPECT_FALSE(covers("/*", "docker.io/library/nginx", true));
}

TEST(RegistryPath, DockerHubIsAskedAtItsApiHost) {
  EXPECT_EQ(registry_path("docker.io/library/nginx").host, "registry-1.docker.io");
  EXPECT_EQ(registry_path("docker.io/library/nginx").path, "library/nginx");
  EXPECT_EQ(registry_path("198.18.0.1:5000/team/app").host, "198.18.0.1:5000");
  EXPECT_EQ(registry_path("198.18.0.1:5000/team/app").path, "team/app");
}

TEST(ParseImageId, RegistryDigestsOfEveryRuntime) {
  auto containerd = parse_image_id("198.18.0.1:5000/team/app@" + kDigest);
  ASSERT_TRUE(containerd);
  EXPECT_EQ(containerd->repository, "198.18.0.1:5000/team/app");
  EXPECT_EQ(containerd->digest, kDigest);
  auto dockershim = parse_image_id("docker-pullable://nginx@" + kDigest);
  ASSERT_TRUE(dockershim);
  EXPECT_EQ(dockershim->repository, "docker.io/library/nginx");
}

TEST(ParseImageId, LocalImageIdsAreNoRegistryDigest) {
  EXPECT_FALSE(parse_image_id(kDigest));                // containerd, imported image
  EXPECT_FALSE(parse_image_id("docker://" + kDigest));  // docker, built locally
  EXPECT_FALSE(parse_image_id(std::string(64, 'a')));   // CRI-O's image ID
  EXPECT_FALSE(parse_image_id("repo@sha256:abc"));      // no full digest
  EXPECT_FALSE(parse_image_id("repo@sha512:" + std::string(128, 'a')));
  EXPECT_FALSE(parse_image_id("@" + kDigest));
  EXPECT_FALSE(parse_image_id(""));
}

TEST(Sha256Digest, ExactForm) {
  EXPECT_TRUE(is_sha256_digest(kDigest));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(63, 'a')));
}

TEST(Canonical, AnotherSpellingOfTheSamePlaceIsCoveredAlike) {
  // Each pulls what the first names (distribution's normalization); coverage must agree.
  for (const char* image : {"docker.io/nginx:1", "nginx:1", "index.docker.io/library/nginx",
                            "registry-1.docker.io/library/nginx@sha256:abc"}) {
    EXPECT_EQ(repository_of(parse_image(image)), "docker.io/library/nginx") << image;
  }
  EXPECT_EQ(repository_of(parse_image("index.docker.io/myorg/app:1")), "docker.io/myorg/app");
  EXPECT_EQ(repository_of(parse_image("REGISTRY.Example.com/team/app")),
            "registry.example.com/team/app");
  EXPECT_EQ(repository_of(parse_image("registry.example.com:443/team/app")),
            "registry.example.com/team/app");
  EXPECT_EQ(repository_of(parse_image("Team/app")), "team/app");  // uppercase: a host
  for (const char* image : {"REGISTRY.EXAMPLE.COM/team/app", "registry.example.com:443/team/app"}) {
    EXPECT_TRUE(covers("registry.example.com/team", repository_of(parse_image(image)), true))
        << image;
  }
  EXPECT_TRUE(
      covers("docker.io/library/nginx", repository_of(parse_image("docker.io/nginx")), true));
}

TEST(Covers, DockerHubAsAPlaceIsAllOfIt) {
  // Not only its official images: "library/" is for one-component image names alone.
  for (const char* entry :
       {"docker.io", "docker.io/*", "index.docker.io", "registry-1.docker.io", "Docker.io"}) {
    EXPECT_TRUE(covers(entry, "docker.io/attacker/evil", true)) << entry;
    EXPECT_TRUE(covers(entry, "docker.io/library/nginx", true)) << entry;
    EXPECT_TRUE(covers(entry, "docker.io/bitnami/redis", false)) << entry;
  }
  EXPECT_TRUE(covers("docker.io/library", "docker.io/library/nginx", false));
  EXPECT_FALSE(covers("docker.io/library", "docker.io/attacker/evil", false));
}

}  // namespace
}  // namespace bulwark::images
