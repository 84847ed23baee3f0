#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::registry {

// A WWW-Authenticate challenge (RFC 7235) as registries send it:
//   Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="..."
//   Basic realm="Registry"
// Pure; fuzzed (tests/fuzz/fuzz_registry.cpp).
struct Challenge {
  std::string scheme;                                       // lowercased: "bearer", "basic", ...
  std::vector<std::pair<std::string, std::string>> params;  // names lowercased, values unquoted
  std::string param(std::string_view name) const;           // "" when absent
};
// The first challenge of the header; nullopt when it does not parse.
std::optional<Challenge> parse_challenge(std::string_view header);

// An absolute http(s) URL split for the transport, or a path on the same server.
struct Url {
  std::string scheme;  // "http" or "https"; empty for a path alone
  std::string host;    // "host" or "host:port"; empty for a path alone
  std::string path;    // path and query, starting with "/"
};
// Nullopt for anything else (another scheme, user info, no host, control characters).
std::optional<Url> parse_url(std::string_view text);

// Percent-encodes a query value (RFC 3986 unreserved characters kept).
std::string query_escape(std::string_view value);

}  // namespace bulwark::registry

namespace bulwark::registry {
// "Basic <base64(username:password)>", an Authorization header's value.
std::string basic_authorization(std::string_view username, std::string_view password);
}  // namespace bulwark::registry
