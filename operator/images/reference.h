#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace bulwark::images {

// An image reference split as the container runtime reads it. `registry` is the explicit one;
// `normalized` adds Docker Hub's implicit "docker.io/" (and "library/") so allow-lists can name
// either.
struct ImageRef {
  std::string registry;  // empty when the reference names none
  std::string tag;       // empty when none
  std::string digest;    // "sha256:..." or empty
  std::string normalized;
};
ImageRef parse_image(std::string_view image);

// The reference without its tag and digest: "registry/path/name" ("docker.io/library/nginx").
std::string repository_of(const ImageRef& ref);

// "sha256:" and 64 lowercase hex digits: the only digest Bulwark reads as naming content.
bool is_sha256_digest(std::string_view digest);

// Whether a repository ("registry/path/name", normalized) lies under `entry`, by whole path
// components: "registry.example.com/team" covers "registry.example.com/team/app" but not
// "registry.example.com/teamx/app" nor "registry.example.com.evil.io/team/app". An entry without
// a registry host ("bitnami") is a path on Docker Hub (its official images are "library/NAME").
// `exact_too`: the
// entry names a repository that it covers itself as well (images.verify's imageReferences),
// unless it ends in "/*" (only what lies under it); allowedRegistries names places, never one
// repository.
bool covers(std::string_view entry, std::string_view repository, bool exact_too);

// A repository as the registry API addresses it: the host to ask ("registry-1.docker.io" for
// Docker Hub's "docker.io", as every client does) and the path below it ("library/nginx").
struct RegistryPath {
  std::string host;
  std::string path;
};
RegistryPath registry_path(std::string_view repository);

// The image a container runs, from the kubelet's status.containerStatuses[].imageID when it names
// a registry digest: "registry/repo@sha256:..." (containerd, CRI-O), with any "docker-pullable://"
// or other "scheme://" prefix dropped (cri-dockerd). Nullopt for an image known only by its local
// ID ("sha256:...", "docker://sha256:...": built or imported on the node, never pulled by digest).
struct RunningImage {
  std::string repository;  // normalized, as repository_of
  std::string digest;      // "sha256:<64 hex>"
};
std::optional<RunningImage> parse_image_id(std::string_view image_id);

}  // namespace bulwark::images
