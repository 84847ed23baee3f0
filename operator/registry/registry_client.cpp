// The registry client (registry_client.h): the OCI distribution API's reads, bounded.
#include "operator/registry/registry_client.h"

#include <charconv>
#include <condition_variable>
#include <map>
#include <mutex>

#include "operator/base/clock.h"
#include "operator/document/reader.h"
#include "operator/images/public_key.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/http.h"
#include "operator/registry/challenge.h"

namespace bulwark::registry {
namespace {

using Clock = std::chrono::steady_clock;

// What a manifest read accepts: images and indexes, OCI and Docker (cosign's signature manifests
// are OCI image manifests).
constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json,"
    "application/vnd.docker.distribution.manifest.v2+json,"
    "application/vnd.docker.distribution.manifest.list.v2+json";

// One of the types kManifestAccept asks for, parameters aside.
bool is_manifest_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  for (std::string_view accepted = kManifestAccept; !accepted.empty();) {
    const auto comma = accepted.find(',');
    if (accepted.substr(0, comma) == content_type) return true;
    accepted = comma == std::string_view::npos ? "" : accepted.substr(comma + 1);
  }
  return false;
}

Fetched failed(std::string error, bool refused_content = false) {
  Fetched f;
  f.error = std::move(error);
  f.refused_content = refused_content;
  return f;
}

// At most this many registry hosts (redirect targets included) and cached tokens: a hostile
// registry redirecting to ever new hosts, or reviews naming ever new repositories, hold no more.
constexpr std::size_t kMaxServers = 256;
constexpr std::size_t kMaxTokens = 1024;

// One HTTP exchange's outcome.
struct Answer {
  int status = 0;
  std::string body;
  std::string content_type, location, challenge;
  std::string error;             // set: the exchange itself failed
  bool refused_content = false;  // with `error`: the body was over its bound
};

// At most `limit` requests at once per registry host; a caller waits for a slot until its
// deadline.
class Slots {
 public:
  explicit Slots(std::size_t limit) : limit_(limit) {}
  bool acquire(const std::string& host, Clock::time_point deadline) {
    std::unique_lock lock(mu_);
    if (!freed_.wait_until(lock, deadline, [&] { return used_[host] < limit_; })) return false;
    ++used_[host];
    return true;
  }
  void release(const std::string& host) {
    {
      std::lock_guard lock(mu_);
      --used_[host];
    }
    freed_.notify_all();
  }

 private:
  std::size_t limit_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::map<std::string, std::size_t> used_;  // guarded by mu_
};

class Client final : public Registry {
 public:
  Client(RegistrySettings settings, TransportFactory transports)
      : settings_(std::move(settings)),
        transports_(std::move(transports)),
        slots_(settings_.max_concurrent_per_registry) {}

  Fetched manifest(const images::RegistryPath& repo, std::string_view reference,
                   const BasicCredentials* credentials) override {
    Fetched f = get(repo, "/v2/" + repo.path + "/manifests/" + std::string(reference),
                    settings_.max_manifest_bytes, credentials);
    if (f.status != Fetched::Status::kOk) return f;
    if (!is_manifest_type(f.content_type)) {
      // An HTML error page or a schema 1 manifest would otherwise be hashed as if it were the
      // image, and its "signature" looked for under that digest.
      return failed(repo.host + " answered Content-Type \"" + f.content_type + "\" for a manifest",
                    true);
    }
    if (images::is_sha256_digest(reference) && f.digest != reference) {
      return failed(repo.host + " answered other content for " + std::string(reference), true);
    }
    return f;
  }

  Fetched blob(const images::RegistryPath& repo, std::string_view digest, std::size_t max_bytes,
               const BasicCredentials* credentials) override {
    Fetched f =
        get(repo, "/v2/" + repo.path + "/blobs/" + std::string(digest), max_bytes, credentials);
    if (f.status == Fetched::Status::kOk && f.digest != digest) {
      return failed(repo.host + " answered other content for blob " + std::string(digest), true);
    }
    return f;
  }

 private:
  bool insecure(const std::string& host) const {
    for (const auto& h : settings_.insecure_hosts) {
      if (h == host) return true;
    }
    return false;
  }
  std::string scheme_for(const std::string& host) const {
    return insecure(host) ? "http" : "https";
  }

  Fetched get(const images::RegistryPath& repo, std::string path, std::size_t max_bytes,
              const BasicCredentials* credentials);
  Answer exchange(const std::string& scheme, const std::string& host, const std::string& path,
                  const std::string& authorization, std::size_t max_bytes,
                  Clock::time_point deadline);
  // The Authorization header a challenge asks for, or nullopt and `error`.
  std::optional<std::string> authorize(const std::string& challenge_header,
                                       const images::RegistryPath& repo,
                                       const BasicCredentials* credentials,
                                       Clock::time_point deadline, std::string& error);
  kube::HttpTransport& transport(const std::string& scheme, const std::string& host);

  const RegistrySettings settings_;
  const TransportFactory transports_;
  Slots slots_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<kube::HttpTransport>> by_server_;  // guarded by mu_
  struct Token {
    std::string authorization;
    Clock::time_point expires;
  };
  std::map<std::string, Token> tokens_;  // by host and repository; guarded by mu_
};

kube::HttpTransport& Client::transport(const std::string& scheme, const std::string& host) {
  const std::string server = scheme + "://" + host;
  std::lock_guard lock(mu_);
  if (by_server_.count(server) == 0 && by_server_.size() >= kMaxServers) {
    throw kube::TransportError("more than " + std::to_string(kMaxServers) + " registry hosts");
  }
  auto& t = by_server_[server];
  if (!t) {
    kube::ClusterConfig cfg;
    cfg.server = server;
    cfg.ca_pem = settings_.ca_pem;
    cfg.source = "registry " + host;
    t = transports_(cfg);
  }
  return *t;
}

Answer Client::exchange(const std::string& scheme, const std::string& host, const std::string& path,
                        const std::string& authorization, std::size_t max_bytes,
                        Clock::time_point deadline) {
  Answer a;
  if (!slots_.acquire(host, deadline)) {
    a.error = "no free connection to " + host + " in time";
    return a;
  }
  struct Release {
    Slots& s;
    const std::string& h;
    ~Release() { s.release(h); }
  } release{slots_, host};
  kube::HttpRequest request;
  request.path = path;
  request.headers.emplace_back("Accept", std::string(kManifestAccept));
  if (!authorization.empty()) request.headers.emplace_back("Authorization", authorization);
  const auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  };
  try {
    request.timeout = std::max(left(), std::chrono::milliseconds(1));
    auto stream = transport(scheme, host).open_stream(request);
    a.status = stream->status();
    a.content_type = stream->header("Content-Type").value_or("");
    a.location = stream->header("Location").value_or("");
    a.challenge = stream->header("WWW-Authenticate").value_or("");
    if (a.status != 200) return a;  // its body says nothing we read
    if (const auto length = stream->header("Content-Length")) {
      std::uint64_t n = 0;
      const auto [end, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
      if (ec == std::errc::result_out_of_range || (ec == std::errc{} && n > max_bytes)) {
        a.error = host + " announced a body over " + std::to_string(max_bytes) + " bytes";
        a.refused_content = true;
      }
    }
    while (a.error.empty() && stream->read(a.body)) {
      if (a.body.size() > max_bytes) {
        a.error = host + " sent a body over " + std::to_string(max_bytes) + " bytes";
        a.refused_content = true;
      } else if (left().count() <= 0) {
        a.error = host + " did not finish its answer within " +
                  std::to_string(settings_.request_timeout.count()) + " ms";
      }
    }
    if (!a.error.empty()) stream->cancel();
  } catch (const kube::IdleStreamError&) {
    // The transport's idle bound is the time left: the answer did not come whole in time.
    a.error = host + " did not finish its answer within " +
              std::to_string(settings_.request_timeout.count()) + " ms";
  } catch (const kube::TransportError& e) {
    a.error = host + ": " + e.what();
  }
  return a;
}

std::optional<std::string> Client::authorize(const std::string& challenge_header,
                                             const images::RegistryPath& repo,
                                             const BasicCredentials* credentials,
                                             Clock::time_point deadline, std::string& error) {
  const auto challenge = parse_challenge(challenge_header);
  if (challenge && challenge->scheme == "basic") {
    if (credentials == nullptr) {
      error = repo.host + " asks for credentials (name a credentialsSecret)";
      return std::nullopt;
    }
    return basic_authorization(credentials->username, credentials->password);
  }
  if (!challenge || challenge->scheme != "bearer") {
    error = repo.host + " answered 401 with no challenge Bulwark follows";
    return std::nullopt;
  }
  const auto realm = parse_url(challenge->param("realm"));
  if (!realm || realm->host.empty() || (realm->scheme != "https" && !insecure(realm->host))) {
    error = repo.host + "'s token realm is not an HTTPS URL (nor an insecure-listed host)";
    return std::nullopt;
  }
  std::string path = realm->path + (realm->path.find('?') == std::string::npos ? "?" : "&");
  if (const std::string service = challenge->param("service"); !service.empty()) {
    path += "service=" + query_escape(service) + "&";
  }
  path += "scope=" + query_escape("repository:" + repo.path + ":pull");
  const std::string basic = credentials != nullptr
                                ? basic_authorization(credentials->username, credentials->password)
                                : "";
  Answer a = exchange(realm->scheme, realm->host, path, basic, settings_.max_token_bytes, deadline);
  if (!a.error.empty() || a.status != 200) {
    error = "the token realm of " + repo.host + " " +
            (a.error.empty() ? "answered HTTP " + std::to_string(a.status) : a.error);
    return std::nullopt;
  }
  try {
    const document::Value doc = document::parse_json(a.body);
    std::string token = std::string(text_at(doc, {"token"}));
    if (token.empty()) token = std::string(text_at(doc, {"access_token"}));
    if (token.empty()) throw document::ParseError("no token", 0, 0);
    const document::Value* expires = doc.find("expires_in");
    const auto seconds =
        std::clamp<std::int64_t>(expires != nullptr ? expires->as_int().value_or(60) : 60, 10, 300);
    std::lock_guard lock(mu_);
    if (tokens_.size() >= kMaxTokens) {
      std::erase_if(tokens_, [](const auto& t) { return t.second.expires <= Clock::now(); });
      if (tokens_.size() >= kMaxTokens) tokens_.clear();
    }
    tokens_[repo.host + "/" + repo.path] = {"Bearer " + token,
                                            Clock::now() + std::chrono::seconds(seconds - 5)};
    return "Bearer " + token;
  } catch (const document::ParseError& e) {
    error = "the token realm of " + repo.host + " answered no token: " + e.what();
    return std::nullopt;
  }
}

Fetched Client::get(const images::RegistryPath& repo, std::string path, std::size_t max_bytes,
                    const BasicCredentials* credentials) {
  const auto deadline = Clock::now() + settings_.request_timeout;
  std::string host = repo.host, scheme = scheme_for(repo.host), authorization;
  {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(repo.host + "/" + repo.path);
    if (it != tokens_.end() && it->second.expires > Clock::now()) {
      authorization = it->second.authorization;
    }
  }
  bool challenged = false;
  for (int redirects = 0;;) {
    Answer a = exchange(scheme, host, path, authorization, max_bytes, deadline);
    if (!a.error.empty()) return failed(a.error, a.refused_content);
    if (a.status == 200) {
      Fetched f;
      f.status = Fetched::Status::kOk;
      f.digest = images::sha256_digest(a.body);
      f.content_type = std::move(a.content_type);
      f.body = std::move(a.body);
      return f;
    }
    if (a.status == 404) {
      Fetched f;
      f.status = Fetched::Status::kNotFound;
      return f;
    }
    if (a.status == 401 && !challenged && host == repo.host) {
      challenged = true;
      std::string error;
      auto header = authorize(a.challenge, repo, credentials, deadline, error);
      if (!header) return failed(error);
      authorization = std::move(*header);
      continue;
    }
    const bool redirect =
        a.status == 301 || a.status == 302 || a.status == 303 || a.status == 307 || a.status == 308;
    if (!redirect) return failed(host + " answered HTTP " + std::to_string(a.status));
    if (++redirects > settings_.max_redirects) {
      return failed(repo.host + " redirected more than " + std::to_string(settings_.max_redirects) +
                    " times");
    }
    const auto to = parse_url(a.location);
    if (!to) return failed(host + " redirected to an unusable Location");
    if (!to->host.empty()) {
      if (to->scheme != "https" && !insecure(to->host)) {
        return failed(host + " redirected to plain HTTP at " + to->host);
      }
      // Credentials stay with the host they are for (storage behind a registry signs its URLs).
      if (to->host != host) authorization.clear();
      scheme = to->scheme;
      host = to->host;
    }
    path = to->path;
  }
}

}  // namespace

std::unique_ptr<Registry> make_registry(RegistrySettings settings, TransportFactory transports) {
  return std::make_unique<Client>(std::move(settings), std::move(transports));
}

}  // namespace bulwark::registry
