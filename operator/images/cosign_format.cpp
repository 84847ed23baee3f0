// cosign's classic signature storage, read (docs/api.md, Image signatures).
#include "operator/images/cosign_format.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "operator/document/reader.h"
#include "operator/images/reference.h"

namespace bulwark::images {
namespace {

using document::Value;

// A manifest or payload is small: anything near this is no signature manifest.
document::ReadLimits small_json() {
  document::ReadLimits limits;
  limits.max_json_bytes = 4u << 20;
  limits.max_depth = 32;
  limits.max_nodes_per_document = 100'000;
  limits.max_expanded_bytes = 16u << 20;
  return limits;
}

std::optional<Value> read_object(std::string_view json, std::string& error) {
  try {
    Value v = document::parse_json(json, small_json());
    if (!v.is_mapping()) {
      error = "not a JSON object";
      return std::nullopt;
    }
    return v;
  } catch (const document::ParseError& e) {
    error = std::string("not JSON: ") + e.what();
    return std::nullopt;
  }
}

// The string member `key` of `v`, or "" when it is absent or no string.
std::string string_at(const Value* v, std::string_view key) {
  const Value* m = v != nullptr ? v->find(key) : nullptr;
  return m != nullptr && m->is_string() ? m->text : std::string();
}

// One layer of a manifest: nullopt when it is not a simple-signing layer with a signature
// (skipped); an error when it claims to be one but is malformed.
std::optional<SignatureLayer> read_layer(const Value& layer, std::size_t index,
                                         std::string& error) {
  if (string_at(&layer, "mediaType") != kSimpleSigningType) return std::nullopt;
  const Value* annotations = layer.find("annotations");
  const std::string signature = string_at(annotations, kSignatureAnnotation);
  if (signature.empty()) return std::nullopt;
  SignatureLayer out;
  out.digest = string_at(&layer, "digest");
  out.signature_base64 = signature;
  const std::string at = "layers[" + std::to_string(index) + "]";
  if (!is_sha256_digest(out.digest)) {
    error = at + ".digest is not a sha256 digest";
    return std::nullopt;
  }
  const Value* size = layer.find("size");
  const auto n = size != nullptr ? size->as_int() : std::nullopt;
  if (!n || *n < 0 || *n > kMaxPayloadBytes) {
    error = at + ".size is missing or not between 0 and " + std::to_string(kMaxPayloadBytes);
    return std::nullopt;
  }
  out.size = *n;
  return out;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string signature_tag(std::string_view digest) {
  if (!is_sha256_digest(digest)) return "";
  return "sha256-" + std::string(digest.substr(7)) + ".sig";
}

std::optional<SignatureManifest> parse_signature_manifest(std::string_view json,
                                                          std::string& error) {
  auto doc = read_object(json, error);
  if (!doc) return std::nullopt;
  const Value* layers = doc->find("layers");
  if (layers == nullptr || !layers->is_sequence()) {
    error = "no layers list";
    return std::nullopt;
  }
  SignatureManifest out;
  for (std::size_t i = 0; i < layers->items.size(); ++i) {
    auto layer = read_layer(layers->items[i], i, error);
    if (!error.empty()) return std::nullopt;
    if (!layer || out.layers.size() >= kMaxSignatureLayers) {
      ++out.skipped;
      continue;
    }
    out.layers.push_back(std::move(*layer));
  }
  return out;
}

namespace {

// Two keys that Go's decoder would take for one (it matches field names case-insensitively, the
// last one winning): which claim cosign read cannot be told.
bool ambiguous(const Value* v) {
  if (v == nullptr || !v->is_mapping()) return false;
  std::set<std::string> seen;
  for (const auto& [key, value] : v->members) {
    std::string lower = key;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    if (!seen.insert(lower).second) return true;
  }
  return false;
}

}  // namespace

std::optional<SimpleSigning> parse_simple_signing(std::string_view json, std::string& error) {
  auto doc = read_object(json, error);
  if (!doc) return std::nullopt;
  const Value* critical = doc->find("critical");
  const Value* top = &*doc;
  for (const Value* level : std::initializer_list<const Value*>{
           top, critical, critical != nullptr ? critical->find("image") : nullptr,
           critical != nullptr ? critical->find("identity") : nullptr}) {
    if (ambiguous(level)) {
      error = "keys that differ only in case (Go's decoder would read another claim)";
      return std::nullopt;
    }
  }
  if (critical == nullptr || !critical->is_mapping()) {
    error = "no critical object";
    return std::nullopt;
  }
  const Value* digest = critical->find({"image", "docker-manifest-digest"});
  if (digest == nullptr || !digest->is_string()) {
    error = "no critical.image.docker-manifest-digest";
    return std::nullopt;
  }
  SimpleSigning out;
  out.docker_manifest_digest = digest->text;
  out.docker_reference = string_at(critical->find("identity"), "docker-reference");
  out.type = string_at(critical, "type");
  return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != '\r' && c != '\n') clean.push_back(c);  // Go's decoder skips line breaks
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(clean.size() / 4 * 3);
  for (std::size_t i = 0; i < clean.size(); i += 4) {
    std::array<int, 4> v{};
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = clean[i + j];
      // '=' only at the end of the last group, and only in its last two places.
      if (c == '=' && i + 4 == clean.size() && j >= 2 && (j == 3 || clean[i + 3] == '=')) {
        ++pad;
        v[j] = 0;
        continue;
      }
      if (pad > 0 || (v[j] = base64_value(c)) < 0) return std::nullopt;
    }
    const unsigned bits =
        (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) | unsigned(v[3]);
    out.push_back(char(bits >> 16));
    if (pad < 2) out.push_back(char((bits >> 8) & 0xff));
    if (pad < 1) out.push_back(char(bits & 0xff));
  }
  return out;
}

}  // namespace bulwark::images
