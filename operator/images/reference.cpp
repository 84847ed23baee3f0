// Image references as the container runtime reads them (docs/api.md, Images).
#include "operator/images/reference.h"

#include <algorithm>
#include <cctype>

namespace bulwark::images {
namespace {

// The repository as the runtime pulls it, so that coverage cannot be dodged by another spelling
// of the same place: the host lowercased (host names are case-insensitive), Docker Hub's other
// names ("index.docker.io", "registry-1.docker.io") and none at all as "docker.io", with
// "library/" for its one-component official images, and HTTPS's default port dropped.
std::string canonical_repository(std::string_view registry, std::string_view path) {
  std::string host(registry);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  if (host.size() > 4 && host.compare(host.size() - 4, 4, ":443") == 0)
    host.resize(host.size() - 4);
  if (host.empty() || host == "index.docker.io" || host == "registry-1.docker.io") {
    host = "docker.io";
  }
  std::string out = host + "/";
  if (host == "docker.io" && path.find('/') == std::string_view::npos) out += "library/";
  return out + std::string(path);
}

}  // namespace

ImageRef parse_image(std::string_view image) {
  ImageRef ref;
  std::string_view rest = image;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  const auto last_slash = rest.rfind('/');
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
  }
  // The first component names a registry only if it looks like a host, as the runtime decides.
  const auto first_slash = rest.find('/');
  if (first_slash != std::string_view::npos) {
    auto first = rest.substr(0, first_slash);
    // distribution's splitDockerDomain: a dot, a colon, "localhost", or any uppercase letter
    // (no repository path has one).
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost" ||
        std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      ref.registry = std::string(first);
    }
  }
  ref.normalized = canonical_repository(
      ref.registry, rest.substr(ref.registry.empty() ? 0 : ref.registry.size() + 1));
  if (!ref.tag.empty()) ref.normalized += ":" + ref.tag;
  if (!ref.digest.empty()) ref.normalized += "@" + ref.digest;
  return ref;
}

std::string repository_of(const ImageRef& ref) {
  std::string_view n = ref.normalized;
  if (!ref.digest.empty()) n = n.substr(0, n.size() - ref.digest.size() - 1);
  if (!ref.tag.empty()) n = n.substr(0, n.size() - ref.tag.size() - 1);
  return std::string(n);
}

bool is_sha256_digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.size() != kPrefix.size() + 64 || digest.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  return std::all_of(digest.begin() + kPrefix.size(), digest.end(),
                     [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); });
}

bool covers(std::string_view entry, std::string_view repository, bool exact_too) {
  if (entry.size() >= 2 && entry.substr(entry.size() - 2) == "/*") {
    entry.remove_suffix(2);
    exact_too = false;
  }
  while (!entry.empty() && entry.back() == '/') entry.remove_suffix(1);
  if (entry.empty()) return false;
  // Normalized as a repository two levels under it would be (its host's spelling made one), and
  // never given Docker Hub's "library/", which only a one-component image name takes: the place
  // "docker.io" is all of Docker Hub.
  const std::string prefix = repository_of(parse_image(std::string(entry) + "/x/x"));
  const std::string_view p = std::string_view(prefix).substr(0, prefix.size() - 4);  // "/x/x"
  if (exact_too && repository == p) return true;
  return repository.size() > p.size() && repository.substr(0, p.size()) == p &&
         repository[p.size()] == '/';
}

RegistryPath registry_path(std::string_view repository) {
  const auto slash = repository.find('/');
  if (slash == std::string_view::npos) return {"registry-1.docker.io", std::string(repository)};
  std::string host(repository.substr(0, slash));
  if (host == "docker.io" || host == "index.docker.io") host = "registry-1.docker.io";
  return {std::move(host), std::string(repository.substr(slash + 1))};
}

std::optional<RunningImage> parse_image_id(std::string_view image_id) {
  if (auto scheme = image_id.find("://"); scheme != std::string_view::npos) {
    image_id = image_id.substr(scheme + 3);
  }
  const auto at = image_id.find('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  const std::string_view digest = image_id.substr(at + 1);
  if (!is_sha256_digest(digest)) return std::nullopt;
  const ImageRef ref = parse_image(image_id);
  return RunningImage{repository_of(ref), std::string(digest)};
}

}  // namespace bulwark::images
