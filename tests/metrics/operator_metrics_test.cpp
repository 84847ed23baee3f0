// The metrics registry: label sets stay bounded, start at zero, and follow the posture.
#include "metrics/operator_metrics.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "operator/policy/control_ids.h"
#include "operator/posture/engine.h"
#include "tests/base/fake_clock.h"

namespace bulwark::metrics {
namespace {

std::size_t series(const std::string& text) {
  std::size_t n = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) n += !line.empty() && line[0] != '#';
  return n;
}

bool has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

// The controls a default policy (restricted, latest, no tag "latest") judges.
std::vector<std::string> default_controls() {
  std::vector<std::string> out;
  for (auto c : posture::PolicyEvaluator(crds::SecurityPolicySpec{}).controls())
    out.emplace_back(c);
  return out;
}

PostureSnapshot cluster(int namespaces, int workloads, const std::vector<std::string>& policies,
                        const std::vector<std::string>& controls) {
  PostureSnapshot s;
  for (int i = 0; i < workloads; ++i) {
    const std::string ns = "ns-" + std::to_string(i % namespaces);
    const bool bad = i % 3 == 0;
    s.add_workload(ns, !bad);
    for (const auto& p : policies) {
      s.add_outcome(ns, p, bad ? "violating" : "compliant", bad && i % 2 == 0,
                    bad ? std::vector<std::string_view>{"privileged", "runAsNonRoot"}
                        : std::vector<std::string_view>{});
    }
  }
  for (const auto& p : policies) {
    s.policy_ready[p] = true;
    s.controls[p] = controls;
  }
  return s;
}

class MetricsTest : public ::testing::Test {
 protected:
  MetricsTest() { metrics_.controllers_registered({"posture", "default-deny"}); }
  testing::FakeClock clock_;
  OperatorMetrics metrics_{"1.2.3", {"pods", "namespaces"}, clock_};
};

TEST_F(MetricsTest, FixedLabelSetsStartAtZero) {
  const auto text = metrics_.scrape({{"posture", 0}}, {});
  EXPECT_TRUE(has(text, R"(bulwark_build_info{version="1.2.3"} 1)"));
  EXPECT_TRUE(has(text, R"(bulwark_remediations_total{action="drift_repair",result="error"} 0)"));
  EXPECT_TRUE(has(text, R"(bulwark_reconcile_total{controller="default-deny",result="error"} 0)"));
  EXPECT_TRUE(has(text, R"(bulwark_watch_restarts_total{reason="expired",resource="pods"} 0)"));
  EXPECT_TRUE(has(text, R"(bulwark_workqueue_depth{queue="posture"} 0)"));
  EXPECT_TRUE(has(text, "bulwark_cluster_posture_score 100"));
  EXPECT_TRUE(has(text, "bulwark_leader 0"));
}

TEST_F(MetricsTest, CardinalityStaysWithinNamespacesTimesControlsTimesPolicies) {
  const std::vector<std::string> policies = {"prod", "baseline"};
  const int namespaces = 200;
  const auto controls = default_controls();
  const auto text =
      metrics_.scrape({{"posture", 3}}, cluster(namespaces, 5000, policies, controls));
  const std::size_t constant = series(metrics_.scrape({{"posture", 3}}, {}));
  // Per namespace and policy: a violations series for each judged control and a workloads
  // series for each of 5 states; per namespace a score; per policy its readiness. Nothing grows
  // with the 5,000 workloads.
  const std::size_t expected = namespaces * policies.size() * (controls.size() + 5) + namespaces +
                               policies.size() + constant;
  std::printf("series with 200 namespaces, 5,000 workloads, 2 policies judging %zu controls: %zu\n",
              controls.size(), series(text));
  EXPECT_EQ(series(text), expected);
  EXPECT_LE(series(text), namespaces * crds::kControlIds.size() * policies.size() + constant)
      << controls.size() << " controls judged";
  EXPECT_EQ(text.find("ns-0/"), std::string::npos);
  EXPECT_EQ(text.find("name=\""), std::string::npos);  // never a workload or pod name
}

TEST_F(MetricsTest, PostureGaugesFollowTheBookAndGoWithIt) {
  auto text = metrics_.scrape({}, cluster(2, 6, {"prod"}, default_controls()));
  // Workloads 0 and 3 violate (both in ns-0 and ns-1 respectively); 0 is quarantined.
  EXPECT_TRUE(has(text, R"(bulwark_posture_score{namespace="ns-0"} 66)"));
  EXPECT_TRUE(has(text, R"(bulwark_cluster_posture_score 66)"));
  EXPECT_TRUE(has(
      text,
      R"(bulwark_violations{control="privileged",namespace="ns-0",policy="prod",severity="critical"} 1)"));
  EXPECT_TRUE(
      has(text, R"(bulwark_workloads{namespace="ns-0",policy="prod",state="quarantined"} 1)"));
  EXPECT_TRUE(
      has(text, R"(bulwark_workloads{namespace="ns-1",policy="prod",state="quarantined"} 0)"));
  EXPECT_TRUE(has(text, R"(bulwark_policy_ready{policy="prod"} 1)"));
  text = metrics_.scrape({}, {});
  EXPECT_EQ(text.find("ns-0"), std::string::npos);  // a namespace with nothing selected goes
  EXPECT_EQ(text.find("policy=\"prod\""), std::string::npos);
}

TEST_F(MetricsTest, DetectionLatencyRunsFromTheFirstEventToTheVerdict) {
  metrics_.event_seen("Deployment/shop/cart");
  clock_.advance(std::chrono::milliseconds(300));
  metrics_.event_seen("Deployment/shop/cart");  // a later event does not restart the clock
  clock_.advance(std::chrono::milliseconds(400));
  metrics_.verdict_written("Deployment/shop/cart");
  metrics_.verdict_written("Deployment/shop/other");  // no event seen: nothing observed
  const auto text = metrics_.scrape({}, {});
  EXPECT_TRUE(has(text, "bulwark_detection_latency_seconds_count 1"));
  EXPECT_TRUE(has(text, "bulwark_detection_latency_seconds_sum 0.7"));
  EXPECT_TRUE(has(text, R"(bulwark_detection_latency_seconds_bucket{le="0.5"} 0)"));
  EXPECT_TRUE(has(text, R"(bulwark_detection_latency_seconds_bucket{le="1"} 1)"));
}

TEST_F(MetricsTest, AnEventAboutAPodCountsForItsWorkload) {
  metrics_.event_seen("Pod/shop/cart-1");  // seen on the reflector's thread
  clock_.advance(std::chrono::milliseconds(200));
  metrics_.event_seen("Deployment/shop/cart");
  metrics_.event_routed("Pod/shop/cart-1", "Deployment/shop/cart");  // the earlier time wins
  clock_.advance(std::chrono::milliseconds(100));
  metrics_.verdict_written("Deployment/shop/cart");
  metrics_.verdict_written("Pod/shop/cart-1");  // moved: nothing left under the pod
  const auto text = metrics_.scrape({}, {});
  EXPECT_TRUE(has(text, "bulwark_detection_latency_seconds_count 1"));
  EXPECT_TRUE(has(text, "bulwark_detection_latency_seconds_sum 0.3"));
}

// A workload judged again without a change (our own annotation coming back, a label edit) drops
// its note: a change an hour later is timed from its own event.
TEST_F(MetricsTest, AnUnchangedVerdictEndsTheWait) {
  metrics_.event_seen("Pod/shop/cart");
  metrics_.verdict_unchanged("Pod/shop/cart");
  clock_.advance(std::chrono::hours(1));
  metrics_.event_seen("Pod/shop/cart");
  clock_.advance(std::chrono::milliseconds(200));
  metrics_.verdict_written("Pod/shop/cart");
  const auto text = metrics_.scrape({}, {});
  EXPECT_TRUE(has(text, "bulwark_detection_latency_seconds_count 1"));
  EXPECT_TRUE(has(text, "bulwark_detection_latency_seconds_sum 0.2"));
}

// Drift repair: from the first event about the managed object to the repair written; a judgement
// that repaired nothing (our own write coming back) drops the note and observes nothing.
TEST_F(MetricsTest, DriftRepairLatencyRunsFromTheEventToTheRepair) {
  metrics_.network_policy_event("shop/bulwark-default-deny");
  clock_.advance(std::chrono::milliseconds(100));
  metrics_.network_policy_event("shop/bulwark-default-deny");
  clock_.advance(std::chrono::milliseconds(50));
  metrics_.network_policy_judged("shop/bulwark-default-deny", true);
  metrics_.network_policy_event("shop/bulwark-default-deny");  // the repair, seen by the watch
  clock_.advance(std::chrono::hours(1));
  metrics_.network_policy_judged("shop/bulwark-default-deny", false);
  metrics_.network_policy_judged("shop/bulwark-default-deny", true);  // no note: nothing observed
  const auto text = metrics_.scrape({}, {});
  EXPECT_TRUE(has(text, "bulwark_drift_repair_latency_seconds_count 1"));
  EXPECT_TRUE(has(text, "bulwark_drift_repair_latency_seconds_sum 0.15"));
  EXPECT_TRUE(has(text, "bulwark_detection_latency_seconds_count 0"));
}

TEST_F(MetricsTest, CachesDroppedEventsAndEchoesAreExported) {
  metrics_.event_dropped();
  metrics_.event_dropped();
  metrics_.echo_skipped();
  auto text = metrics_.scrape({}, {}, {{"pods", {10000, 10400000}}, {"namespaces", {20, 4000}}});
  EXPECT_TRUE(has(text, "bulwark_events_dropped_total 2"));
  EXPECT_TRUE(has(text, "bulwark_watch_echoes_total 1"));
  EXPECT_TRUE(has(text, R"(bulwark_cache_objects{resource="pods"} 10000)"));
  EXPECT_TRUE(has(text, R"(bulwark_cache_bytes{resource="pods"} 10400000)"));
  EXPECT_TRUE(has(text, R"(bulwark_cache_objects{resource="namespaces"} 20)"));
  text = metrics_.scrape({}, {}, {{"pods", {1, 1000}}});
  EXPECT_FALSE(has(text, R"(resource="namespaces")"));
}

// A standby replica (or a leader before its first full pass) has an empty or partial book: it
// exports no posture series rather than a cluster score of 100.
TEST_F(MetricsTest, NoPostureSeriesUntilEveryWorkloadWasJudged) {
  PostureSnapshot snapshot;
  snapshot.add_workload("shop", false);
  snapshot.add_outcome("shop", "p", "violating", false, {"privileged"});
  snapshot.judged = false;
  auto text = metrics_.scrape({}, snapshot);
  EXPECT_FALSE(has(text, "bulwark_cluster_posture_score "));
  EXPECT_FALSE(has(text, "bulwark_posture_score{"));
  EXPECT_FALSE(has(text, "bulwark_workloads{"));
  EXPECT_FALSE(has(text, "bulwark_violations{"));
  snapshot.judged = true;
  text = metrics_.scrape({}, snapshot);
  EXPECT_TRUE(has(text, "bulwark_cluster_posture_score 0"));
  EXPECT_TRUE(has(text, R"(bulwark_posture_score{namespace="shop"} 0)"));
}

// Objects holding a name Bulwark keeps: a series per kind from zero, and none from a replica that
// has not judged (a standby runs no NetworkPolicy controller and knows of no conflict).
TEST_F(MetricsTest, ConflictingObjectsStartAtZeroAndOnlyTheJudgingReplicaSaysSo) {
  PostureSnapshot snapshot;
  auto text = metrics_.scrape({}, snapshot);
  EXPECT_TRUE(has(text, R"(bulwark_conflicting_objects{kind="NetworkPolicy"} 0)")) << text;
  snapshot.conflicting_objects["NetworkPolicy"] = 2;
  text = metrics_.scrape({}, snapshot);
  EXPECT_TRUE(has(text, R"(bulwark_conflicting_objects{kind="NetworkPolicy"} 2)"));
  snapshot.judged = false;
  text = metrics_.scrape({}, snapshot);
  EXPECT_FALSE(has(text, R"(bulwark_conflicting_objects{kind="NetworkPolicy"} 2)"));
}

TEST_F(MetricsTest, RequestsReconcilesAndRemediationsCount) {
  metrics_.api_request("patch", 200, std::chrono::milliseconds(3));
  metrics_.api_request("patch", 409, std::chrono::milliseconds(3));
  metrics_.reconciled("posture", std::chrono::milliseconds(2), runtime::ReconcileResult::kError);
  metrics_.reconciled("posture", std::chrono::milliseconds(2),
                      runtime::ReconcileResult::kTerminalError);
  metrics_.remediation(Remediation::kQuarantine, true);
  metrics_.watch_restarted("pods", "expired");
  metrics_.set_leader(true);
  const auto text = metrics_.scrape({}, {});
  EXPECT_TRUE(has(text, R"(bulwark_api_requests_total{code="409",verb="patch"} 1)"));
  EXPECT_TRUE(has(text, R"(bulwark_reconcile_total{controller="posture",result="error"} 1)"));
  EXPECT_TRUE(
      has(text, R"(bulwark_reconcile_total{controller="posture",result="terminal_error"} 1)"));
  EXPECT_TRUE(has(text, R"(bulwark_workqueue_retries_total{queue="posture"} 1)"));  // not 2
  EXPECT_TRUE(has(text, R"(bulwark_remediations_total{action="quarantine",result="success"} 1)"));
  EXPECT_TRUE(has(text, R"(bulwark_watch_restarts_total{reason="expired",resource="pods"} 1)"));
  EXPECT_TRUE(has(text, "bulwark_leader 1"));
}

}  // namespace
}  // namespace bulwark::metrics
