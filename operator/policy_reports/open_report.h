#pragma once

// Bulwark's verdicts as an OpenReports `Report` (openreports.io/v1alpha1), the open format
// Kyverno, Kubewarden and Policy Reporter read: one per workload, one result per (policy, judged
// control) pair. Pure: the same object for `bulwark scan -o openreports` and the operator.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "operator/document/value.h"
#include "operator/posture/engine.h"
#include "operator/posture/fixes.h"

namespace bulwark::policy_reports {

// The workload a report is about. `uid` empty (offline scans): no owner reference.
struct Subject {
  std::string api_version, kind, name, namespace_name, uid;
};

// One policy's verdict on the subject, with every control it judged (passes are results too).
struct PolicyVerdict {
  std::string policy;
  std::vector<std::string_view> controls;  // PolicyEvaluator::controls(), in its order
  const posture::Verdict* verdict = nullptr;
  std::string pss_version;  // "latest" or "v1.N", for the Pod Security Standards results
  // Set when the policy's quarantine could not be done ("HostNetwork"): each failing result says
  // so in the property `quarantine` ("NotEnforced: HostNetwork").
  std::string quarantine_not_enforced;
  // The workload judged, for the fixes of failing results (property `patch`, an RFC 6902 patch
  // as JSON text, and `fix`: the fix table's word); null: no fixes said.
  const posture::Workload* workload = nullptr;
  // The workload's pods, judged on their own: how many, and the controls any of them violates. A
  // failing control none of them violates says so in the property `pods` (fixed at admission;
  // the template still violates). 0 or null: nothing said.
  std::size_t pods = 0;
  const std::set<std::string>* pod_controls = nullptr;
};

// At most this many results per report: fails and skips first, then passes. A report of 37
// controls under a few policies stays far below etcd's 1.5 MiB object limit.
inline constexpr std::size_t kMaxResults = 300;

// The report's name, found from the workload's: "deployment-web". Kinds and names are DNS labels
// and subdomains, so the name is valid; one longer than 253 characters is cut and suffixed with
// a hash of the whole.
std::string report_name(std::string_view kind, std::string_view name);

// openreports.io/v1alpha1 Report, or the older wgpolicyk8s.io/v1alpha2 PolicyReport it grew out
// of (the same results and summary; no top-level source).
enum class Format { kOpenReports, kWgPolicy };

// How passing controls appear: one result each, or one result per policy that says how many
// pass (`rule` "passing", the message "N controls pass"). Why: etcd holds a report for every
// workload, and listed, a compliant workload's passes were most of its 3.7 KiB
// (docs/benchmarks.md, Policy reports). `summary.pass` counts controls either way.
enum class Passes { kListed, kSummarised };
inline constexpr std::string_view kPassingRule = "passing";

// The Report. `timestamp` (seconds since the epoch) is every result's: callers keep it unchanged
// while the results are, so an unchanged verdict writes nothing.
document::Value open_report(const Subject& subject, const std::vector<PolicyVerdict>& verdicts,
                            std::int64_t timestamp, Format format = Format::kOpenReports,
                            Passes passes = Passes::kListed);

// What a report says, to compare the one Bulwark would write with the one in the cluster: the
// fields Bulwark writes (scope, source, results without their timestamps, summary), keys sorted
// at every depth (the API server's order is not ours).
std::string content_key(const document::Value& report);

}  // namespace bulwark::policy_reports
