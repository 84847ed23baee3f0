// Keys and registry credentials from the operator's own Secrets (secret_trust.h).
#include "operator/registry/secret_trust.h"

#include "operator/base/clock.h"
#include "operator/document/reader.h"
#include "operator/images/cosign_format.h"
#include "operator/images/public_key.h"
#include "operator/kube/api_error.h"
#include "operator/kube/client.h"
#include "operator/kube/resource_type.h"
#include "operator/registry/challenge.h"

namespace bulwark::registry {
namespace {

using document::Value;

class KubeSecretReader final : public SecretReader {
 public:
  KubeSecretReader(kube::KubeClient& client, std::string ns)
      : client_(client), ns_(std::move(ns)) {}
  std::optional<std::map<std::string, std::string>> read(const std::string& name,
                                                         std::string& error) override {
    static const kube::ResourceType kSecrets{"", "v1", "secrets", true};
    try {
      const Value secret = client_.get(kSecrets, ns_, name, std::chrono::seconds(5));
      std::map<std::string, std::string> data;
      for (const auto& [key, value] : document::members_of(secret.find("data"))) {
        auto decoded = images::decode_base64(value.str());
        if (!decoded) {
          error = "Secret " + ns_ + "/" + name + " has data \"" + key + "\" that is not base64";
          return std::nullopt;
        }
        data.emplace(key, std::move(*decoded));
      }
      return data;
    } catch (const kube::ApiError& e) {
      error = "Secret " + ns_ + "/" + name + " cannot be read: " + e.what();
      return std::nullopt;
    }
  }

 private:
  kube::KubeClient& client_;
  const std::string ns_;
};

// "https://index.docker.io/v1/" -> "registry-1.docker.io"; "host:5000" as it is.
std::string config_host(std::string_view server) {
  if (auto scheme = server.find("://"); scheme != std::string_view::npos) {
    server.remove_prefix(scheme + 3);
  }
  server = server.substr(0, server.find('/'));
  std::string host(server);
  if (host == "index.docker.io" || host == "docker.io") host = "registry-1.docker.io";
  return host;
}

}  // namespace

std::unique_ptr<SecretReader> make_kube_secret_reader(kube::KubeClient& client,
                                                      std::string own_namespace) {
  return std::make_unique<KubeSecretReader>(client, std::move(own_namespace));
}

std::optional<std::map<std::string, BasicCredentials>> parse_docker_config(std::string_view json,
                                                                           std::string& error) {
  Value doc;
  try {
    doc = document::parse_json(json);
  } catch (const document::ParseError& e) {
    error = std::string("not JSON: ") + e.what();
    return std::nullopt;
  }
  const Value* auths = doc.find("auths");
  if (auths == nullptr || !auths->is_mapping()) {
    error = "no \"auths\" object";
    return std::nullopt;
  }
  std::map<std::string, BasicCredentials> out;
  for (const auto& [server, entry] : auths->members) {
    BasicCredentials c{document::text_at(entry, {"username"}),
                       document::text_at(entry, {"password"})};
    if (const std::string auth = document::text_at(entry, {"auth"}); !auth.empty()) {
      const auto decoded = images::decode_base64(auth);
      const auto colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos) {
        error = "the \"auth\" of " + server + " is not base64 of user:password";
        return std::nullopt;
      }
      c = {decoded->substr(0, colon), decoded->substr(colon + 1)};
    }
    out[config_host(server)] = std::move(c);
  }
  return out;
}

SecretTrust::SecretTrust(SecretReader& reader, base::Clock& clock, std::chrono::seconds refresh)
    : reader_(reader), clock_(clock), refresh_(refresh) {}

const SecretTrust::Read& SecretTrust::secret(const std::string& name) {
  auto it = secrets_.find(name);
  if (it == secrets_.end() || clock_.now() - it->second.at >= refresh_) {
    Read r;
    r.data = reader_.read(name, r.error);
    r.at = clock_.now();
    it = secrets_.insert_or_assign(name, std::move(r)).first;
  }
  return it->second;
}

std::optional<TrustedKeys> SecretTrust::trust_for(const crds::ImageVerifyEntry& entry,
                                                  std::string& error) {
  TrustedKeys trust;
  trust.identities = entry.signed_identities;
  const auto refuse = [&error](std::string why) -> std::optional<TrustedKeys> {
    error = std::move(why);
    return std::nullopt;
  };
  std::lock_guard lock(mu_);
  for (const crds::SigningKey& k : entry.public_keys) {
    std::string pem = k.pem;
    if (pem.empty()) {
      const Read& r = secret(k.secret_name);
      if (!r.data) return refuse(r.error);
      auto it = r.data->find(k.secret_key);
      if (it == r.data->end()) {
        return refuse("Secret " + k.secret_name + " has no key \"" + k.secret_key + "\"");
      }
      pem = it->second;
    }
    std::string problem;
    auto key = parse_key_cached(pem, problem);
    if (!key) return refuse("the key in Secret " + k.secret_name + " is refused: " + problem);
    trust.keys.push_back(std::move(*key));
  }
  if (!entry.credentials_secret.empty()) {
    const Read& r = secret(entry.credentials_secret);
    if (!r.data) return refuse(r.error);
    auto it = r.data->find(".dockerconfigjson");
    std::string problem = "no .dockerconfigjson (a kubernetes.io/dockerconfigjson Secret)";
    auto credentials =
        it != r.data->end() ? parse_docker_config(it->second, problem) : std::nullopt;
    if (!credentials) return refuse("Secret " + entry.credentials_secret + ": " + problem);
    trust.credentials = std::move(*credentials);
  }
  return trust;
}

}  // namespace bulwark::registry
