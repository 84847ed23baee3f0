#include "operator/kube/exec_credential.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <map>

#include "operator/base/time_text.h"
#include "operator/document/json_writer.h"
#include "operator/document/reader.h"

extern char** environ;

namespace bulwark::kube {

using document::Value;

namespace {

// What a plugin may print before it is cut off; a token or a certificate is a few KiB.
constexpr std::size_t kMaxOutput = 1 << 20;
// How long a plugin may run: a cloud CLI fetching a token takes seconds.
constexpr std::chrono::milliseconds kPluginLimit = std::chrono::seconds(60);

// This process's environment with `extra` set over it, as "NAME=value" strings.
std::vector<std::string> environment_with(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads both pipes to their end or the deadline; false at the deadline.
bool drain(int out_fd, int err_fd, std::chrono::steady_clock::time_point deadline,
           ProcessResult& r) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open = 2;
  while (open > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0 && sinks[i]->size() < kMaxOutput)
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      if (n <= 0) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
  return true;
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& env,
                          std::chrono::milliseconds limit) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return {-1, "", std::strerror(errno)};
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]), close(out[1]);
    return {-1, "", std::strerror(errno)};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<std::string> args = argv, envs = environment_with(env);
  auto c_args = c_strings(args), c_envs = c_strings(envs);
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, c_args[0], &actions, nullptr, c_args.data(), c_envs.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]), close(err[1]);
  ProcessResult r;
  if (spawned != 0) {
    close(out[0]), close(err[0]);
    r.err = std::strerror(spawned);
    return r;
  }
  const bool ended = drain(out[0], err[0], std::chrono::steady_clock::now() + limit, r);
  close(out[0]), close(err[0]);
  if (!ended) kill(pid, SIGKILL);
  r.timed_out = !ended;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = ended && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

ExecCredentialSource::ExecCredentialSource(ExecConfig config, const ClusterConfig& cluster,
                                           ProcessRunner runner, WallClock now)
    : config_(std::move(config)),
      server_(cluster.server),
      ca_pem_(cluster.ca_pem),
      tls_server_name_(cluster.tls_server_name),
      insecure_(cluster.insecure_skip_tls_verify),
      runner_(std::move(runner)),
      now_(std::move(now)) {}

std::string ExecCredentialSource::token() {
  std::lock_guard lock(mu_);
  if (!valid_ || (expires_ && now_() >= *expires_)) refresh();
  return token_;
}

void ExecCredentialSource::invalidate() {
  std::lock_guard lock(mu_);
  valid_ = false;
}

std::string ExecCredentialSource::exec_info() const {
  Value info = Value::object();
  info.set("apiVersion", Value::string(config_.api_version));
  info.set("kind", Value::string("ExecCredential"));
  Value& spec = info.child("spec");
  spec.set("interactive", Value::boolean(false));
  if (config_.provide_cluster_info) {
    Value& cluster = spec.child("cluster");
    cluster.set("server", Value::string(server_));
    if (!tls_server_name_.empty()) cluster.set("tls-server-name", Value::string(tls_server_name_));
    if (insecure_) cluster.set("insecure-skip-tls-verify", Value::boolean(true));
    if (!ca_pem_.empty()) {
      cluster.set("certificate-authority-data", Value::string(base64_encode(ca_pem_)));
    }
  }
  return document::to_json(info);
}

// Runs the plugin and keeps its token; throws ConfigError saying what went wrong. Called with mu_.
void ExecCredentialSource::refresh() {
  std::vector<std::string> argv{config_.command};
  argv.insert(argv.end(), config_.args.begin(), config_.args.end());
  auto env = config_.env;
  env.emplace_back("KUBERNETES_EXEC_INFO", exec_info());
  const ProcessResult r = runner_(argv, env, kPluginLimit);
  const std::string who = "exec plugin " + config_.command;
  if (r.exit_code != 0) {
    std::string said = r.err.substr(0, 500);
    while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
    const std::string how =
        r.timed_out ? " did not finish within " + std::to_string(kPluginLimit.count() / 1000) + " s"
        : r.exit_code < 0 ? " could not be run"
                          : " failed (exit status " + std::to_string(r.exit_code) + ")";
    throw ConfigError(who + how + (said.empty() ? "" : ": " + said) +
                      (config_.install_hint.empty() ? "" : " (" + config_.install_hint + ")"));
  }
  Value answer;
  try {
    answer = document::parse_json(r.out);
  } catch (const document::ParseError& e) {
    throw ConfigError(who + " did not print an ExecCredential: " + e.what());
  }
  const Value* status = answer.find("status");
  if (answer.find("kind") == nullptr || answer.find("kind")->str() != "ExecCredential" ||
      status == nullptr) {
    throw ConfigError(who + " did not print an ExecCredential with a status");
  }
  if (const Value* v = answer.find("apiVersion"); v == nullptr || v->str() != config_.api_version) {
    throw ConfigError(who + " answered with apiVersion \"" +
                      std::string(v != nullptr ? v->str() : "") + "\", not " + config_.api_version);
  }
  if (status->find("clientCertificateData") != nullptr) {
    throw ConfigError(who +
                      " answered with a client certificate, which Bulwark does not support "
                      "yet: use a plugin that gives a token");
  }
  const Value* token = status->find("token");
  if (token == nullptr || token->str().empty()) throw ConfigError(who + " gave no token");
  expires_.reset();
  if (const Value* at = status->find("expirationTimestamp"); at != nullptr && !at->is_null()) {
    expires_ = base::parse_rfc3339(at->str());
    if (!expires_) {
      throw ConfigError(
          who + " gave an expirationTimestamp that is not RFC 3339: " + std::string(at->str()));
    }
  }
  token_ = std::string(token->str());
  valid_ = true;
}

}  // namespace bulwark::kube
