// images.verify: which entries cover an image, what their verdicts depend on, and what an entry's
// repository patterns may hold (security_policy.h).
#include <algorithm>

#include "operator/images/reference.h"
#include "operator/policy/security_policy.h"

namespace bulwark::crds {

// An imageReferences or signedIdentities entry is a repository path (registry host and path,
// "/*" at the end for what lies under it), as references name them: no scheme, tag, digest,
// other wildcard or uppercase, each of which would otherwise silently cover nothing.
std::string repository_pattern_problem(std::string_view r, bool wildcard) {
  if (wildcard && r.size() >= 2 && r.substr(r.size() - 2) == "/*") r.remove_suffix(2);
  if (r.empty()) return "is empty";
  if (r.find("://") != std::string_view::npos) return "names a scheme: give HOST/PATH";
  if (r.find('*') != std::string_view::npos) {
    return wildcard ? "may end in \"/*\", and holds no other wildcard" : "holds a wildcard";
  }
  if (r.find('@') != std::string_view::npos) return "names a digest: give the repository";
  const auto slash = r.find('/');
  const auto colon = r.rfind(':');
  if (slash != std::string_view::npos && colon != std::string_view::npos && colon > slash) {
    return "names a tag: give the repository";
  }
  if (std::any_of(r.begin(), r.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return "holds uppercase letters, which no registry host or repository path does as pulled";
  }
  return "";
}

std::vector<const ImageVerifyEntry*> verify_entries_for(const ImagesSpec& images,
                                                        std::string_view image) {
  std::vector<const ImageVerifyEntry*> out;
  if (images.verify.empty()) return out;
  const std::string repository = images::repository_of(images::parse_image(image));
  for (const ImageVerifyEntry& e : images.verify) {
    if (std::any_of(e.image_references.begin(), e.image_references.end(),
                    [&](const std::string& r) { return images::covers(r, repository, true); })) {
      out.push_back(&e);
    }
  }
  return out;
}

std::string verify_key(const ImagesSpec& images) {
  // Every field length-prefixed: no text in one field can pass for a field boundary.
  std::string key;
  const auto add = [&key](std::string_view field) {
    key += std::to_string(field.size()) + ":";
    key += field;
  };
  for (const ImageVerifyEntry& e : images.verify) {
    key += "E" + std::to_string(e.image_references.size());
    for (const auto& r : e.image_references) add(r);
    key += "K" + std::to_string(e.public_keys.size());
    for (const auto& k : e.public_keys) {
      add(k.pem);
      add(k.secret_name);
      add(k.secret_key);
    }
    key += "I" + std::to_string(e.signed_identities.size());
    for (const auto& i : e.signed_identities) add(i);
    add(e.credentials_secret);
  }
  return key;
}

}  // namespace bulwark::crds
