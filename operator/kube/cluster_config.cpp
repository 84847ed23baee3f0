#include "operator/kube/cluster_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "operator/base/files.h"
#include "operator/document/reader.h"

namespace bulwark::kube {

namespace fs = std::filesystem;
using document::Value;

std::string base64_decode(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int bits = 0;
  unsigned value = 0;
  for (char ch : in) {
    if (ch == '=' || ch == '\n' || ch == '\r' || ch == ' ') continue;
    const auto pos = kAlphabet.find(ch);
    if (pos == std::string::npos) throw ConfigError("invalid base64 data");
    value = (value << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

std::string base64_encode(const std::string& in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string read_config_file(const std::string& path, const std::string& what, EmptyFile empty) {
  auto text = base::read_file(path);
  const std::string named = (what.empty() ? "" : what + " ") + path;
  if (!text) throw ConfigError("cannot read " + named);
  if (text->empty() && empty == EmptyFile::kRefuse) {
    throw ConfigError("cannot read " + named + ": the file is empty");
  }
  return std::move(*text);
}

namespace {

// The entry named `name` of a kubeconfig list (clusters, users, contexts), or nullptr.
const Value* named(const Value& root, std::string_view list, const std::string& name,
                   std::string_view inner) {
  for (const auto& item : document::items_of(root.find(list))) {
    const Value* n = item.find("name");
    if (n != nullptr && n->str() == name) return item.find(inner);
  }
  return nullptr;
}

std::string str_of(const Value* node, std::string_view key) {
  const Value* v = node != nullptr ? node->find(key) : nullptr;
  return v != nullptr ? std::string(v->str()) : std::string();
}

// insecure-skip-tls-verify (a YAML boolean: a quoted "true" is an error, not true),
// tls-server-name, and proxy-url, which is refused rather than silently not used.
void read_cluster_tls(const Value& cluster, const std::string& where, ClusterConfig& c) {
  if (const Value* skip = cluster.find("insecure-skip-tls-verify"); skip && !skip->is_null()) {
    const auto b = skip->as_bool();
    if (!b) {
      throw ConfigError(where + ": insecure-skip-tls-verify must be true or false, not " +
                        (skip->quoted ? "the string \"" : "\"") + std::string(skip->str()) + "\"");
    }
    c.insecure_skip_tls_verify = *b;
  }
  // client-go refuses the two together ("specifying a root certificates file with the insecure
  // flag is not allowed"); taking them would turn verification off without a word.
  const bool has_ca = !str_of(&cluster, "certificate-authority").empty() ||
                      !str_of(&cluster, "certificate-authority-data").empty();
  if (c.insecure_skip_tls_verify && has_ca) {
    throw ConfigError(where +
                      ": insecure-skip-tls-verify: true and a certificate-authority together are "
                      "refused, as client-go refuses them: remove one (verify with the CA, or "
                      "knowingly not at all)");
  }
  c.tls_server_name = str_of(&cluster, "tls-server-name");
  if (!str_of(&cluster, "proxy-url").empty()) {
    throw ConfigError(where +
                      ": proxy-url is not supported: Bulwark connects to the API server "
                      "directly (remove proxy-url, or run it where the server is reachable)");
  }
}

// Authentication Bulwark does not do is an error, never an anonymous client.
void refuse_unsupported_auth(const Value& user, const std::string& who) {
  auto present = [&](std::string_view key) {
    const Value* v = user.find(key);
    return v != nullptr && !v->is_null();
  };
  if (present("auth-provider")) {
    throw ConfigError(who +
                      ": auth-provider is not supported (kubectl removed it in 1.26): use "
                      "the provider's exec credential plugin instead");
  }
  if (present("username") || present("password")) {
    throw ConfigError(who +
                      ": basic authentication (username, password) is not supported: use a "
                      "token, a client certificate or an exec credential plugin");
  }
  for (std::string_view key : {"as", "as-uid", "as-groups", "as-user-extra"}) {
    if (present(key)) {
      throw ConfigError(who + ": impersonation (" + std::string(key) + ") is not supported");
    }
  }
}

ExecConfig read_exec(const Value& exec, const std::string& where, const std::string& base) {
  ExecConfig e;
  e.api_version = str_of(&exec, "apiVersion");
  e.command = str_of(&exec, "command");
  e.interactive_mode = str_of(&exec, "interactiveMode");
  e.install_hint = str_of(&exec, "installHint");
  for (const auto& a : document::items_of(exec.find("args"))) e.args.emplace_back(a.str());
  for (const auto& v : document::items_of(exec.find("env"))) {
    e.env.emplace_back(str_of(&v, "name"), str_of(&v, "value"));
  }
  if (const Value* p = exec.find("provideClusterInfo"))
    e.provide_cluster_info = p->as_bool() == true;
  if (e.command.empty()) throw ConfigError(where + ": no command");
  if (e.api_version != "client.authentication.k8s.io/v1" &&
      e.api_version != "client.authentication.k8s.io/v1beta1") {
    throw ConfigError(where + ": apiVersion \"" + e.api_version +
                      "\" is not supported (client.authentication.k8s.io/v1 or v1beta1)");
  }
  if (e.interactive_mode.empty()) {
    if (e.api_version == "client.authentication.k8s.io/v1") {
      throw ConfigError(where +
                        ": interactiveMode must be set for client.authentication.k8s.io/v1");
    }
    e.interactive_mode = "IfAvailable";
  }
  if (e.interactive_mode == "Always") {
    throw ConfigError(where +
                      ": interactiveMode Always needs a terminal, which bulwark run "
                      "never gives its plugin (use a plugin that can run with Never)");
  }
  if (e.interactive_mode != "Never" && e.interactive_mode != "IfAvailable") {
    throw ConfigError(where + ": interactiveMode must be Never, IfAvailable or Always, not \"" +
                      e.interactive_mode + "\"");
  }
  // As client-go: a command with a path separator is relative to the kubeconfig's folder; a bare
  // name is looked up on PATH.
  if (e.command.find('/') != std::string::npos && !fs::path(e.command).is_absolute()) {
    e.command = (fs::path(base) / e.command).string();
  }
  return e;
}

}  // namespace

ClusterConfig load_kubeconfig(const std::string& path, const std::string& context_name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read kubeconfig " + path);
  Value root;
  try {
    if (!document::make_yaml_reader(in)->next(root) || !root.is_mapping()) {
      throw ConfigError("kubeconfig " + path + " is empty");
    }
  } catch (const document::ParseError& e) {
    throw ConfigError("kubeconfig " + path + ": line " + std::to_string(e.line()) + ": " +
                      e.what());
  }
  const std::string where = "kubeconfig " + path;
  std::string ctx = context_name.empty() ? str_of(&root, "current-context") : context_name;
  if (ctx.empty()) throw ConfigError(where + ": no current-context and no context given");
  const Value* context = named(root, "contexts", ctx, "context");
  if (context == nullptr) throw ConfigError(where + ": context \"" + ctx + "\" not found");
  const std::string cluster_name = str_of(context, "cluster");
  const std::string user_name = str_of(context, "user");
  const Value* cluster = named(root, "clusters", cluster_name, "cluster");
  if (cluster == nullptr) {
    throw ConfigError(where + ": cluster \"" + cluster_name + "\" of context \"" + ctx +
                      "\" not found");
  }
  const Value* user = named(root, "users", user_name, "user");  // may be absent: anonymous

  const fs::path base = fs::path(path).parent_path();
  auto resolve = [&](const std::string& p) {
    return p.empty() || fs::path(p).is_absolute() ? p : (base / p).string();
  };
  // "x-data" (base64) wins over "x" (a file), as client-go has it.
  auto pem = [&](const Value* node, const std::string& key) -> std::string {
    const std::string data = str_of(node, key + "-data");
    if (!data.empty()) {
      try {
        return base64_decode(data);
      } catch (const ConfigError&) {
        throw ConfigError(where + ": " + key + "-data is not valid base64");
      }
    }
    const std::string file = str_of(node, key);
    return file.empty() ? std::string() : read_config_file(resolve(file), where + ": " + key);
  };

  ClusterConfig c;
  c.source = where + " (context " + ctx + ")";
  c.server = str_of(cluster, "server");
  if (c.server.empty())
    throw ConfigError(where + ": cluster \"" + cluster_name + "\" has no server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  c.ca_pem = pem(cluster, "certificate-authority");
  read_cluster_tls(*cluster, where + ": cluster \"" + cluster_name + "\"", c);
  if (user != nullptr) {
    const std::string who = where + ": user \"" + user_name + "\"";
    refuse_unsupported_auth(*user, who);
    c.client_cert_pem = pem(user, "client-certificate");
    c.client_key_pem = pem(user, "client-key");
    if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
      throw ConfigError(who + " needs both client-certificate and client-key");
    }
    c.token = str_of(user, "token");
    c.token_file = resolve(str_of(user, "tokenFile"));
    if (const Value* exec = user->find("exec"); exec != nullptr && !exec->is_null()) {
      c.exec = read_exec(*exec, who + ": exec", base.string());
    }
  }
  return c;
}

ClusterConfig in_cluster_config(const std::function<const char*(const char*)>& getenv,
                                const std::string& dir) {
  const char* host = getenv("KUBERNETES_SERVICE_HOST");
  const char* port = getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    throw ConfigError(
        "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset");
  }
  ClusterConfig c;
  c.source = "in-cluster";
  const std::string h = host;
  // An IPv6 service address needs brackets in a URL.
  c.server = "https://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + port;
  c.ca_pem = read_config_file(dir + "/ca.crt", "in-cluster CA");
  c.token_file = dir + "/token";
  read_config_file(c.token_file, "in-cluster token");  // fail now, not at the first request
  return c;
}

ClusterConfig resolve_cluster_config(const std::string& kubeconfig_flag,
                                     const std::function<const char*(const char*)>& getenv) {
  if (!kubeconfig_flag.empty()) return load_kubeconfig(kubeconfig_flag);
  if (getenv("KUBERNETES_SERVICE_HOST") != nullptr) return in_cluster_config(getenv);
  if (const char* env = getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    // $KUBECONFIG may list several files; like kubectl we take the first that exists.
    std::stringstream list(env);
    std::string item;
    while (std::getline(list, item, ':')) {
      if (!item.empty() && fs::exists(item)) return load_kubeconfig(item);
    }
    throw ConfigError("none of the files in $KUBECONFIG exists: " + std::string(env));
  }
  const char* home = getenv("HOME");
  const std::string fallback = std::string(home != nullptr ? home : "") + "/.kube/config";
  if (!fs::exists(fallback)) {
    throw ConfigError(
        "no cluster configuration: give --kubeconfig, set $KUBECONFIG, or run in a "
        "pod (looked for " +
        fallback + ")");
  }
  return load_kubeconfig(fallback);
}

std::string TokenFile::token(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mu_);
  if (!at_ || now - *at_ >= std::chrono::minutes(1)) {
    if (auto text = base::read_file(path_)) {
      std::string t = std::move(*text);
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
      cached_ = std::move(t);
    }  // unreadable: keep the last token we had, the next read may succeed
    at_ = now;
  }
  return cached_;
}

}  // namespace bulwark::kube
