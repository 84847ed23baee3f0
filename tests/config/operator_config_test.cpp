// The operator's config file: defaults, the sample, and errors naming the key.
#include "config/operator_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/support/paths.h"

namespace bulwark::config {
namespace {

// A config file that exists for one full expression: load_operator_config(Written("...")).
class Written {
 public:
  explicit Written(const std::string& text)
      : path_((std::filesystem::temp_directory_path() /
               ("bulwark-config-" + std::to_string(getpid()) + ".yaml"))
                  .string()) {
    std::ofstream(path_) << text;
  }
  ~Written() { std::filesystem::remove(path_); }
  operator const std::string&() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> keys(const ConfigLoad& l) {
  std::vector<std::string> out;
  for (const auto& e : l.errors) out.push_back(e.key);
  return out;
}

TEST(OperatorConfig, TheSampleSaysExactlyTheDefaults) {
  auto l = load_operator_config(std::string(test::source_dir()) + "/config/bulwark.yaml");
  ASSERT_TRUE(l.ok()) << l.errors[0].key << ": " << l.errors[0].message;
  const OperatorConfig d;
  const auto& c = l.config;
  EXPECT_EQ(c.metrics_bind_address, d.metrics_bind_address);
  EXPECT_EQ(c.metrics_secure, d.metrics_secure);
  EXPECT_EQ(c.admission.enabled, d.admission.enabled);
  EXPECT_EQ(c.admission.bind_address, d.admission.bind_address);
  EXPECT_EQ(c.admission.url, d.admission.url);
  EXPECT_EQ(c.admission.failure_policy, d.admission.failure_policy);
  EXPECT_EQ(c.admission.timeout_seconds, d.admission.timeout_seconds);
  EXPECT_EQ(c.admission.cert_dir, d.admission.cert_dir);
  EXPECT_EQ(c.admission.ca_validity, d.admission.ca_validity);
  EXPECT_EQ(c.admission.certificate_validity, d.admission.certificate_validity);
  EXPECT_EQ(c.admission.api_server_sources, d.admission.api_server_sources);
  EXPECT_EQ(c.admission.connections_per_source, d.admission.connections_per_source);
  EXPECT_EQ(c.metrics_cert_dir, d.metrics_cert_dir);
  EXPECT_EQ(c.health_probe_bind_address, d.health_probe_bind_address);
  EXPECT_EQ(c.leader_election.enabled, d.leader_election.enabled);
  EXPECT_EQ(c.leader_election.lease_duration, d.leader_election.lease_duration);
  EXPECT_EQ(c.leader_election.renew_deadline, d.leader_election.renew_deadline);
  EXPECT_EQ(c.leader_election.retry_period, d.leader_election.retry_period);
  EXPECT_EQ(c.client.qps, d.client.qps);
  EXPECT_EQ(c.client.burst, d.client.burst);
  EXPECT_EQ(c.workers, d.workers);
  EXPECT_EQ(c.resync_period, d.resync_period);
  EXPECT_EQ(c.log.level, d.log.level);
  EXPECT_EQ(c.log.format, d.log.format);
  EXPECT_EQ(c.never_touch_namespaces, d.never_touch_namespaces);
  EXPECT_EQ(c.reports.format, d.reports.format);
  EXPECT_EQ(c.reports.passes, d.reports.passes);
  EXPECT_EQ(c.rbac.anonymous_requests, d.rbac.anonymous_requests);
  EXPECT_EQ(c.canary.enabled, d.canary.enabled);
  EXPECT_EQ(c.canary.interval, d.canary.interval);
  EXPECT_EQ(c.canary.change_timeout, d.canary.change_timeout);
  EXPECT_EQ(c.canary.skip_node_annotations, d.canary.skip_node_annotations);
}

TEST(OperatorConfig, ReadsValues) {
  auto l = load_operator_config(Written(
      "metricsBindAddress: 127.0.0.1:9090\nleaderElection: {enabled: true, namespace: ops, "
      "leaseDuration: 1m, renewDeadline: 45s, retryPeriod: 5s}\nclient: {qps: 50.5, burst: 100}\n"
      "workers: 8\nresyncPeriod: 1h30m\nlog: {level: debug, format: json}\nneverTouchNamespaces: "
      "[a]\n"));
  ASSERT_TRUE(l.ok()) << l.errors[0].key;
  EXPECT_EQ(l.config.metrics_bind_address, "127.0.0.1:9090");
  EXPECT_TRUE(l.config.leader_election.enabled);
  EXPECT_EQ(l.config.leader_election.lease_duration, std::chrono::seconds(60));
  EXPECT_EQ(l.config.client.qps, 50.5);
  EXPECT_EQ(l.config.resync_period, std::chrono::seconds(5400));
  EXPECT_EQ(l.config.log.format, "json");
  EXPECT_EQ(l.config.never_touch_namespaces, std::vector<std::string>{"a"});
}

TEST(OperatorConfig, ErrorsNameTheKey) {
  auto l = load_operator_config(Written(
      "metricsBindAddress: nowhere\nworkers: 0\nresyncPeriod: soon\nclient: {qps: -1, burts: 3}\n"
      "log: {level: loud}\nleaderElection: {leaseDuration: 5s, renewDeadline: 10s}\nextra: 1\n"));
  EXPECT_EQ(keys(l), (std::vector<std::string>{
                         "workers", "resyncPeriod", "client.qps", "client.burts", "log.level",
                         "extra", "metricsBindAddress", "leaderElection.renewDeadline"}));
}

TEST(OperatorConfig, MissingOrMalformedFile) {
  EXPECT_FALSE(load_operator_config("/nonexistent/bulwark.yaml").ok());
  EXPECT_FALSE(load_operator_config(Written("workers: [1\n")).ok());
  EXPECT_TRUE(load_operator_config(Written("")).ok());
}

// from_chars reads "nan" and "inf" as numbers; neither is a rate. 0 is no limit.
TEST(OperatorConfig, QpsIsAFiniteNumberInRange) {
  for (const char* qps : {"nan", "NaN", "inf", "-inf", "-0.5", "-1", "1e300", "10001"}) {
    auto l = load_operator_config(Written(std::string("client: {qps: ") + qps + "}\n"));
    EXPECT_EQ(keys(l), std::vector<std::string>{"client.qps"}) << qps;
  }
  for (const char* qps : {"0", "10000"}) {
    auto l = load_operator_config(Written(std::string("client: {qps: ") + qps + ", burst: 0}\n"));
    EXPECT_TRUE(l.ok()) << qps;
  }
  EXPECT_EQ(keys(load_operator_config(Written("client: {burst: -1}\n"))),
            std::vector<std::string>{"client.burst"});
}

// The API Priority and Fairness era's default, as controller-runtime's: no client-side limit.
TEST(OperatorConfig, NoClientSideLimitByDefault) {
  const OperatorConfig c;
  EXPECT_EQ(c.client.qps, 0);
  EXPECT_EQ(c.client.burst, 0);
}

TEST(OperatorConfig, DurationsTooLargeAreErrorsNotOverflows) {
  auto l = load_operator_config(Written(
      "resyncPeriod: 4099276460824344802s\nleaderElection: {leaseDuration: 9999999999h}\n"));
  EXPECT_EQ(keys(l), (std::vector<std::string>{"resyncPeriod", "leaderElection.leaseDuration"}));
}

TEST(OperatorConfig, AdmissionIsCheckedKeyByKey) {
  auto l = load_operator_config(
      Written("admission: {bindAddress: nowhere, url: 'http://x', failurePolicy: Sometimes, "
              "timeoutSeconds: 60, certDirs: x}\n"));
  EXPECT_EQ(keys(l), (std::vector<std::string>{"admission.failurePolicy",
                                               "admission.timeoutSeconds", "admission.certDirs",
                                               "admission.bindAddress", "admission.url"}));
}

TEST(OperatorConfig, ApiServerSourcesAreAddressRanges) {
  auto good = load_operator_config(
      Written("admission: {apiServerSources: [198.18.0.1, 198.18.0.0/24, 'fd00::/8'], "
              "connectionsPerSource: 16}\n"));
  ASSERT_TRUE(good.ok()) << good.errors[0].message;
  EXPECT_EQ(good.config.admission.api_server_sources,
            (std::vector<std::string>{"198.18.0.1", "198.18.0.0/24", "fd00::/8"}));
  EXPECT_EQ(good.config.admission.connections_per_source, 16);
  auto bad = load_operator_config(Written(
      "admission: {apiServerSources: [198.18.0.0/40, kube-apiserver], connectionsPerSource: 0}\n"));
  EXPECT_EQ(keys(bad),
            (std::vector<std::string>{"admission.apiServerSources", "admission.apiServerSources",
                                      "admission.connectionsPerSource"}));
  auto scalar = load_operator_config(Written("admission: {apiServerSources: 198.18.0.1}\n"));
  EXPECT_EQ(keys(scalar), std::vector<std::string>{"admission.apiServerSources"});
}

TEST(OperatorConfig, AnonymousRequestsAreAutoAllowedOrDenied) {
  EXPECT_EQ(load_operator_config(Written("")).config.rbac.anonymous_requests, "auto");
  EXPECT_EQ(load_operator_config(Written("rbac: {anonymousRequests: denied}\n"))
                .config.rbac.anonymous_requests,
            "denied");
  EXPECT_EQ(keys(load_operator_config(Written("rbac: {anonymousRequests: yes}\n"))),
            std::vector<std::string>{"rbac.anonymousRequests"});
}

TEST(OperatorConfig, ReportsFormatIsOneOfThree) {
  EXPECT_EQ(load_operator_config(Written("reports: {format: wgpolicy}\n")).config.reports.format,
            "wgpolicy");
  EXPECT_EQ(load_operator_config(Written("reports: {format: off}\n")).config.reports.format, "off");
  EXPECT_EQ(keys(load_operator_config(Written("reports: {format: policyreport, max: 3}\n"))),
            (std::vector<std::string>{"reports.format", "reports.max"}));
}

TEST(OperatorConfig, ReportsSummarisePassesUnlessAskedToListThem) {
  EXPECT_EQ(load_operator_config(Written("reports: {}\n")).config.reports.passes, "summary");
  EXPECT_EQ(load_operator_config(Written("reports: {passes: list}\n")).config.reports.passes,
            "list");
  EXPECT_EQ(keys(load_operator_config(Written("reports: {passes: all}\n"))),
            std::vector<std::string>{"reports.passes"});
}

TEST(OperatorConfig, CanaryIsOnByDefaultAndItsTimeoutShorterThanItsInterval) {
  const OperatorConfig d;
  EXPECT_TRUE(d.canary.enabled);
  EXPECT_EQ(d.canary.interval, std::chrono::seconds(60));
  EXPECT_EQ(d.canary.change_timeout, std::chrono::seconds(30));
  EXPECT_EQ(d.canary.skip_node_annotations, std::vector<std::string>{"kwok.x-k8s.io/node"});
  auto l =
      load_operator_config(Written("canary: {enabled: false, interval: 5s, changeTimeout: 4s,"
                                   " skipNodeAnnotations: [kwok.x-k8s.io/node]}\n"));
  ASSERT_TRUE(l.ok());
  EXPECT_FALSE(l.config.canary.enabled);
  EXPECT_EQ(l.config.canary.interval, std::chrono::seconds(5));
  EXPECT_EQ(l.config.canary.change_timeout, std::chrono::seconds(4));
  EXPECT_EQ(l.config.canary.skip_node_annotations, std::vector<std::string>{"kwok.x-k8s.io/node"});
  EXPECT_EQ(keys(load_operator_config(Written("canary: {interval: 10s, changeTimeout: 10s}\n"))),
            std::vector<std::string>{"canary.changeTimeout"});
  EXPECT_EQ(keys(load_operator_config(Written("canary: {skipNodeAnnotations: x, ports: 1}\n"))),
            (std::vector<std::string>{"canary.skipNodeAnnotations", "canary.ports"}));
}

TEST(ParseDuration, GoStyle) {
  EXPECT_EQ(parse_duration("15s"), std::chrono::milliseconds(15000));
  EXPECT_EQ(parse_duration("1h30m"), std::chrono::milliseconds(5400000));
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_FALSE(parse_duration("15"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("1d"));
  // Found by fuzz_operator_config: overflowed to a negative duration.
  EXPECT_FALSE(parse_duration("4099276460824344802s"));
  EXPECT_FALSE(parse_duration("99999999999999999999999h"));
  EXPECT_FALSE(parse_duration("8785h"));  // over a year
  EXPECT_EQ(parse_duration("8784h"), std::chrono::hours(8784));
}

}  // namespace
}  // namespace bulwark::config
