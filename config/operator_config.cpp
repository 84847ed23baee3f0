#include "config/operator_config.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "operator/document/reader.h"
#include "operator/server/source_limits.h"

namespace bulwark::config {

using document::Value;

// Found by fuzz_operator_config: "4099276460824344802s" overflowed the conversion to milliseconds.
// No setting needs more than a year, so every part and the sum are held under one.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  constexpr std::chrono::milliseconds kMax = std::chrono::hours(24 * 366);
  if (text.empty()) return std::nullopt;
  std::chrono::milliseconds total{0};
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0) return std::nullopt;
    long long n = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, n);
    if (ec != std::errc() || n > kMax.count()) return std::nullopt;
    text.remove_prefix(digits);
    if (text.substr(0, 2) == "ms") {
      total += std::chrono::milliseconds(n);
      text.remove_prefix(2);
    } else if (!text.empty() && text[0] == 's') {
      total += std::chrono::seconds(n);
      text.remove_prefix(1);
    } else if (!text.empty() && text[0] == 'm') {
      total += std::chrono::minutes(n);
      text.remove_prefix(1);
    } else if (!text.empty() && text[0] == 'h') {
      total += std::chrono::hours(n);
      text.remove_prefix(1);
    } else {
      return std::nullopt;
    }
    if (total > kMax) return std::nullopt;
  }
  return total;
}

namespace {

class Reader {
 public:
  Reader(std::vector<ConfigError>& errors) : errors_(errors) {}

  // Walks a mapping: each known key is read by `fn`; the rest are errors.
  template <class Fn>
  void mapping(const Value* node, const std::string& prefix, std::set<std::string> known, Fn&& fn) {
    if (node == nullptr || node->is_null()) return;
    if (!node->is_mapping()) {
      error(prefix.empty() ? "(top level)" : prefix, "must be a mapping");
      return;
    }
    for (const auto& [key, value] : node->members) {
      const std::string full = prefix.empty() ? key : prefix + "." + key;
      if (known.count(key) == 0) {
        error(full, "unknown key");
      } else if (!value.is_null()) {
        fn(key, value, full);
      }
    }
  }

  void error(const std::string& key, const std::string& message) {
    errors_.push_back({key, message});
  }

  void str(const Value& v, const std::string& key, std::string& out) {
    if (v.is_scalar()) {
      out = v.text;
    } else {
      error(key, "must be a string");
    }
  }
  void boolean(const Value& v, const std::string& key, bool& out) {
    if (auto b = v.as_bool()) {
      out = *b;
    } else {
      error(key, "must be true or false, not \"" + v.text + "\"");
    }
  }
  void integer(const Value& v, const std::string& key, int& out, int min, int max) {
    auto n = v.as_int();
    if (!n || *n < min || *n > max) {
      error(key, "must be a whole number from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", not \"" + v.text + "\"");
      return;
    }
    out = static_cast<int>(*n);
  }
  // A finite number in [0, max]: from_chars also reads "nan" and "inf", which would pass a
  // plain range check and leave a token bucket that never refills or never limits.
  void number(const Value& v, const std::string& key, double& out, double max) {
    double d = 0;
    auto [ptr, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
    if (!v.is_scalar() || ec != std::errc() || ptr != v.text.data() + v.text.size() ||
        !std::isfinite(d) || d < 0 || d > max) {
      std::ostringstream range;
      range << max;
      error(key, "must be a number from 0 to " + range.str() + ", not \"" + v.text + "\"");
      return;
    }
    out = d;
  }
  void duration(const Value& v, const std::string& key, std::chrono::seconds& out) {
    auto d = parse_duration(v.str());
    if (!d || *d < std::chrono::seconds(1)) {
      error(key,
            "must be a duration of at least 1s such as 15s, 2m or 1h30m, not \"" + v.text + "\"");
      return;
    }
    out = std::chrono::duration_cast<std::chrono::seconds>(*d);
  }
  // A duration under a webhook's timeout: 100ms to 30s.
  void duration(const Value& v, const std::string& key, std::chrono::milliseconds& out) {
    auto d = parse_duration(v.str());
    if (!d || *d < std::chrono::milliseconds(100) || *d > std::chrono::seconds(30)) {
      error(key,
            "must be a duration from 100ms to 30s such as 2s or 1500ms, not \"" + v.text + "\"");
      return;
    }
    out = *d;
  }
  void one_of(const Value& v, const std::string& key, std::string& out,
              const std::set<std::string>& allowed) {
    if (!v.is_scalar() || allowed.count(v.text) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      error(key, "must be one of " + list + ", not \"" + v.text + "\"");
      return;
    }
    out = v.text;
  }

 private:
  std::vector<ConfigError>& errors_;
};

// A list of addresses or CIDR ranges, each checked.
void read_ranges(Reader& r, const Value& v, const std::string& key, std::vector<std::string>& out) {
  if (!v.is_sequence()) return r.error(key, "must be a list of addresses or CIDR ranges");
  out.clear();
  for (const auto& item : v.items) {
    try {
      server::AddressRange{item.text};
      out.push_back(item.text);
    } catch (const std::invalid_argument& e) {
      r.error(key, e.what());
    }
  }
}

void read_reports(Reader& r, const Value& v, const std::string& full, OperatorConfig& c) {
  r.mapping(&v, full, {"format", "passes"},
            [&](const std::string& k, const Value& x, const std::string& f) {
              // Plain `off` reads as false in YAML 1.1, as Kubernetes reads it.
              if (k == "format" && x.as_bool() == false) {
                c.reports.format = "off";
              } else if (k == "format") {
                r.one_of(x, f, c.reports.format, {"openreports", "wgpolicy", "off"});
              } else if (k == "passes") {
                r.one_of(x, f, c.reports.passes, {"summary", "list"});
              }
            });
}

void read_rbac(Reader& r, const Value& v, const std::string& full, OperatorConfig& c) {
  r.mapping(&v, full, {"anonymousRequests"},
            [&](const std::string& k, const Value& x, const std::string& f) {
              if (k == "anonymousRequests") {
                r.one_of(x, f, c.rbac.anonymous_requests, {"auto", "allowed", "denied"});
              }
            });
}

void read_admission(Reader& r, const Value& v, const std::string& full, OperatorConfig& c) {
  r.mapping(&v, full,
            {"enabled", "bindAddress", "url", "failurePolicy", "timeoutSeconds", "certDir",
             "caValidity", "certificateValidity", "apiServerSources", "connectionsPerSource"},
            [&](const std::string& k, const Value& x, const std::string& f) {
              auto& a = c.admission;
              if (k == "enabled") r.boolean(x, f, a.enabled);
              if (k == "bindAddress") r.str(x, f, a.bind_address);
              if (k == "url") r.str(x, f, a.url);
              if (k == "failurePolicy") r.one_of(x, f, a.failure_policy, {"", "Ignore", "Fail"});
              if (k == "timeoutSeconds") r.integer(x, f, a.timeout_seconds, 0, 30);
              if (k == "certDir") r.str(x, f, a.cert_dir);
              if (k == "caValidity") r.duration(x, f, a.ca_validity);
              if (k == "certificateValidity") r.duration(x, f, a.certificate_validity);
              if (k == "connectionsPerSource") r.integer(x, f, a.connections_per_source, 1, 1024);
              if (k == "apiServerSources") read_ranges(r, x, f, a.api_server_sources);
            });
}

void read_canary(Reader& r, const Value& v, const std::string& full, OperatorConfig& c) {
  r.mapping(&v, full, {"enabled", "interval", "changeTimeout", "skipNodeAnnotations"},
            [&](const std::string& k, const Value& x, const std::string& f) {
              auto& canary = c.canary;
              if (k == "enabled") r.boolean(x, f, canary.enabled);
              if (k == "interval") r.duration(x, f, canary.interval);
              if (k == "changeTimeout") r.duration(x, f, canary.change_timeout);
              if (k == "skipNodeAnnotations") {
                if (!x.is_sequence()) return r.error(f, "must be a list of annotation keys");
                canary.skip_node_annotations.clear();
                for (const auto& item : x.items) canary.skip_node_annotations.push_back(item.text);
              }
            });
}

void read_registries(Reader& r, const Value& v, const std::string& full, OperatorConfig& c) {
  r.mapping(&v, full,
            {"insecureHosts", "caFile", "requestTimeout", "cacheTTL", "cacheEntries",
             "concurrentPerRegistry", "admissionBudget"},
            [&](const std::string& k, const Value& x, const std::string& f) {
              auto& g = c.registries;
              if (k == "insecureHosts") {
                if (!x.is_sequence()) return r.error(f, "must be a list of HOST[:PORT]");
                g.insecure_hosts.clear();
                for (const auto& item : x.items) g.insecure_hosts.push_back(item.text);
              }
              if (k == "caFile") r.str(x, f, g.ca_file);
              if (k == "requestTimeout") r.duration(x, f, g.request_timeout);
              if (k == "cacheTTL") r.duration(x, f, g.cache_ttl);
              if (k == "cacheEntries") r.integer(x, f, g.cache_entries, 1, 1000000);
              if (k == "concurrentPerRegistry") r.integer(x, f, g.concurrent_per_registry, 1, 64);
              if (k == "admissionBudget") r.duration(x, f, g.admission_budget);
            });
}

bool valid_address(const std::string& a) {
  if (a == "0") return true;
  const auto colon = a.rfind(':');
  if (colon == std::string::npos) return false;
  int port = 0;
  const auto digits = a.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  return ec == std::errc() && ptr == digits.data() + digits.size() && port >= 0 && port <= 65535;
}

}  // namespace

ConfigLoad load_operator_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigLoad load;
    load.errors.push_back({"", "cannot read config file " + path});
    return load;
  }
  return parse_operator_config(in, path);
}

ConfigLoad parse_operator_config(std::istream& in, const std::string& path) {
  ConfigLoad load;
  auto& c = load.config;
  Value root;
  try {
    if (!document::make_yaml_reader(in)->next(root)) return load;  // empty: all defaults
  } catch (const document::ParseError& e) {
    load.errors.push_back({"", path + ": line " + std::to_string(e.line()) + ": " + e.what()});
    return load;
  }
  Reader r(load.errors);
  r.mapping(&root, "",
            {"metricsBindAddress", "metricsSecure", "metricsCertDir", "healthProbeBindAddress",
             "leaderElection", "client", "workers", "resyncPeriod", "log", "neverTouchNamespaces",
             "admission", "reports", "rbac", "canary", "registries"},
            [&](const std::string& key, const Value& v, const std::string& full) {
              if (key == "metricsBindAddress") r.str(v, full, c.metrics_bind_address);
              if (key == "metricsSecure") r.boolean(v, full, c.metrics_secure);
              if (key == "metricsCertDir") r.str(v, full, c.metrics_cert_dir);
              if (key == "healthProbeBindAddress") r.str(v, full, c.health_probe_bind_address);
              if (key == "workers") r.integer(v, full, c.workers, 1, 64);
              if (key == "resyncPeriod") r.duration(v, full, c.resync_period);
              if (key == "leaderElection") {
                r.mapping(&v, full,
                          {"enabled", "namespace", "leaseDuration", "renewDeadline", "retryPeriod"},
                          [&](const std::string& k, const Value& x, const std::string& f) {
                            auto& le = c.leader_election;
                            if (k == "enabled") r.boolean(x, f, le.enabled);
                            if (k == "namespace") r.str(x, f, le.namespace_name);
                            if (k == "leaseDuration") r.duration(x, f, le.lease_duration);
                            if (k == "renewDeadline") r.duration(x, f, le.renew_deadline);
                            if (k == "retryPeriod") r.duration(x, f, le.retry_period);
                          });
              }
              if (key == "client") {
                r.mapping(&v, full, {"qps", "burst"},
                          [&](const std::string& k, const Value& x, const std::string& f) {
                            if (k == "qps") r.number(x, f, c.client.qps, 10000);
                            if (k == "burst") r.integer(x, f, c.client.burst, 0, 10000);
                          });
              }
              if (key == "log") {
                r.mapping(
                    &v, full, {"level", "format"},
                    [&](const std::string& k, const Value& x, const std::string& f) {
                      if (k == "level") {
                        r.one_of(x, f, c.log.level, {"trace", "debug", "info", "warn", "error"});
                      }
                      if (k == "format") r.one_of(x, f, c.log.format, {"text", "json"});
                    });
              }
              if (key == "admission") read_admission(r, v, full, c);
              if (key == "reports") read_reports(r, v, full, c);
              if (key == "rbac") read_rbac(r, v, full, c);
              if (key == "canary") read_canary(r, v, full, c);
              if (key == "registries") read_registries(r, v, full, c);
              if (key == "neverTouchNamespaces") {
                if (!v.is_sequence()) {
                  r.error(full, "must be a list of namespace names");
                  return;
                }
                c.never_touch_namespaces.clear();
                for (const auto& item : v.items) c.never_touch_namespaces.push_back(item.text);
              }
            });
  auto more = validate(c);
  load.errors.insert(load.errors.end(), more.begin(), more.end());
  return load;
}

std::vector<ConfigError> validate(const OperatorConfig& c) {
  std::vector<ConfigError> errors;
  if (!valid_address(c.metrics_bind_address)) {
    errors.push_back({"metricsBindAddress",
                      "must be HOST:PORT, :PORT or 0, not \"" + c.metrics_bind_address + "\""});
  }
  if (!valid_address(c.health_probe_bind_address)) {
    errors.push_back({"healthProbeBindAddress", "must be HOST:PORT, :PORT or 0, not \"" +
                                                    c.health_probe_bind_address + "\""});
  }
  if (!valid_address(c.admission.bind_address)) {
    errors.push_back({"admission.bindAddress",
                      "must be HOST:PORT, :PORT or 0, not \"" + c.admission.bind_address + "\""});
  }
  if (!c.admission.url.empty() && c.admission.url.rfind("https://", 0) != 0) {
    errors.push_back({"admission.url", "must be an https:// URL, not \"" + c.admission.url + "\""});
  }
  if (c.admission.certificate_validity > c.admission.ca_validity) {
    errors.push_back({"admission.certificateValidity", "must not be longer than caValidity"});
  }
  if (c.canary.change_timeout >= c.canary.interval) {
    errors.push_back({"canary.changeTimeout", "must be shorter than interval"});
  }
  const auto& le = c.leader_election;
  if (le.renew_deadline >= le.lease_duration) {
    errors.push_back({"leaderElection.renewDeadline", "must be shorter than leaseDuration"});
  }
  if (le.retry_period >= le.renew_deadline) {
    errors.push_back({"leaderElection.retryPeriod", "must be shorter than renewDeadline"});
  }
  return errors;
}

}  // namespace bulwark::config
