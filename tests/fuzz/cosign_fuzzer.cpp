// The image signature parsers on any bytes (cosign's signature manifest and simple-signing payload,
// base64, a registry's WWW-Authenticate challenge and Location URL): never crash, stay within
// their bounds, and what base64 decodes encodes back to text that decodes the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "operator/images/cosign_format.h"
#include "operator/images/reference.h"
#include "operator/registry/challenge.h"

namespace {

std::string encode(std::string_view bytes) {
  // basic_authorization("", x) is "Basic " + base64(":" + x): strip both.
  const std::string full = bulwark::registry::basic_authorization("", bytes);
  return full.substr(6);
}

void base64_round_trip(std::string_view input) {
  const auto decoded = bulwark::images::decode_base64(input);
  if (!decoded) return;
  const auto again = bulwark::images::decode_base64(encode(*decoded));
  if (!again || again->size() != decoded->size() + 1 || again->substr(1) != *decoded) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string error;
  switch (data[0] % 6) {
    case 0: {
      const auto m = images::parse_signature_manifest(input, error);
      if (m && m->layers.size() > images::kMaxSignatureLayers) std::abort();
      for (const auto& l : m ? m->layers : decltype(m->layers){}) {
        if (!images::is_sha256_digest(l.digest) || l.size < 0 ||
            l.size > images::kMaxPayloadBytes) {
          std::abort();
        }
      }
      break;
    }
    case 1:
      images::parse_simple_signing(input, error);
      break;
    case 2:
      base64_round_trip(input);
      break;
    case 3:
      if (auto c = registry::parse_challenge(input); c && c->scheme.empty()) std::abort();
      break;
    case 4:
      if (auto u = registry::parse_url(input);
          u && (u->path.empty() || u->path.front() != '/' ||
                (!u->scheme.empty() && u->scheme != "http" && u->scheme != "https"))) {
        std::abort();
      }
      break;
    default:
      images::parse_image_id(input);
      images::covers(input, "registry.test/team/app", true);
      break;
  }
  return 0;
}
