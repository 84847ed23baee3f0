#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::images {

// cosign's key-based signatures in their classic storage (cosign v2 with
// --new-bundle-format=false, its default): beside an image of digest sha256:<hex>, in the same
// repository, a manifest tagged "sha256-<hex>.sig" whose layers are simple-signing payloads, each
// carrying its signature (base64) in the annotation dev.cosignproject.cosign/signature. Pure
// parsers, bounded, fuzzed (tests/fuzz/fuzz_cosign.cpp); what they refuse is said in the error.

// The tag of the signature manifest of `digest` ("sha256:<hex>"); "" for any other digest.
std::string signature_tag(std::string_view digest);

// The media type of a simple-signing payload layer.
inline constexpr std::string_view kSimpleSigningType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kSignatureAnnotation = "dev.cosignproject.cosign/signature";
// The critical.type of an image signature's payload (cosign's payload.CosignSignatureType).
inline constexpr std::string_view kCosignSignatureType = "cosign container image signature";

// The most signature layers one manifest is read for (cosign appends one per `cosign sign`), and
// the largest payload fetched: a payload is a few hundred bytes.
inline constexpr std::size_t kMaxSignatureLayers = 64;
inline constexpr std::int64_t kMaxPayloadBytes = 64 * 1024;

struct SignatureLayer {
  std::string digest;            // of the payload blob, "sha256:<hex>"
  std::int64_t size = 0;         // the payload's declared size
  std::string signature_base64;  // the annotation, as it is
};

struct SignatureManifest {
  std::vector<SignatureLayer> layers;  // simple-signing layers only, in order
  // Layers of other media types, or without a signature annotation, or beyond the cap: skipped,
  // never an error (cosign ignores them too), but counted so a verdict can say so.
  std::size_t skipped = 0;
};

// Reads an OCI image manifest (or Docker schema 2) as a signature manifest. Nullopt and `error`
// set when it is no manifest: not JSON, no layers list, a simple-signing layer whose digest is no
// sha256 digest or whose size is missing, negative or over kMaxPayloadBytes.
std::optional<SignatureManifest> parse_signature_manifest(std::string_view json,
                                                          std::string& error);

// The claims of a simple-signing payload (containers-signature(5), cosign's
// payload.SimpleContainerImage) that verification reads.
struct SimpleSigning {
  std::string docker_reference;        // critical.identity.docker-reference
  std::string docker_manifest_digest;  // critical.image.docker-manifest-digest
  std::string type;                    // critical.type
};

// Nullopt and `error` set when the payload is not a JSON object with a `critical` object whose
// image.docker-manifest-digest is a string, or holds keys that differ only in case (Go's decoder
// matches names case-insensitively, the last winning: which claim cosign read is ambiguous).
// Keys are otherwise matched exactly: cosign writes them so.
std::optional<SimpleSigning> parse_simple_signing(std::string_view json, std::string& error);

// Standard base64 (RFC 4648, padding required, no whitespace), as Go's
// base64.StdEncoding.DecodeString reads cosign's annotation. Nullopt for anything else.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace bulwark::images
