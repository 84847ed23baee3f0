#include "operator/server/access_filter.h"

#include <openssl/sha.h>

#include <cctype>

#include "operator/logging/logging.h"

namespace bulwark::server {

namespace {

// The token of "Authorization: Bearer TOKEN" (the scheme is case-insensitive), else "".
std::string bearer_token(const std::string& header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return "";
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return "";
  }
  std::string token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  return token;
}

std::string sha256(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

}  // namespace

AccessFilter::AccessFilter(AccessReviewer& reviewer, const base::Clock& clock,
                           std::chrono::seconds ttl, std::size_t max_entries)
    : reviewer_(reviewer), clock_(clock), ttl_(ttl), max_entries_(max_entries) {}

Handler AccessFilter::wrap(Handler next) {
  return [this, next = std::move(next)](const Request& request) {
    if (auto rejected = check(request)) return *rejected;
    return next(request);
  };
}

std::optional<Reply> AccessFilter::check(const Request& request) {
  const std::string token = bearer_token(request.authorization);
  if (token.empty()) return Reply{401, "text/plain", "Unauthorized: no bearer token\n"};
  int status = 0;
  try {
    status = decide(token, request.path);
  } catch (const std::exception& e) {
    logging::warn("cannot review a request for " + request.path + ": " + e.what());
    return Reply{500, "text/plain", "cannot review the request\n"};
  }
  if (status == 401) return Reply{401, "text/plain", "Unauthorized\n"};
  if (status == 403) return Reply{403, "text/plain", "Forbidden\n"};
  return std::nullopt;
}

int AccessFilter::decide(const std::string& token, const std::string& path) {
  // Keyed by a digest: the cache never holds a caller's token.
  const std::string key = path + " " + sha256(token);
  const auto now = clock_.now();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second.status;
  }
  // Asked outside the lock: two concurrent first requests may both ask; the answer is the same.
  int status = 403;
  const auto user = reviewer_.authenticate(token);
  if (!user) {
    status = 401;
  } else if (reviewer_.authorize(*user, "get", path)) {
    status = 200;
  }
  std::lock_guard lock(mu_);
  if (cache_.size() >= max_entries_) cache_.clear();
  cache_[key] = Decision{status, now + ttl_};
  return status;
}

}  // namespace bulwark::server
