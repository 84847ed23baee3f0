#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "operator/posture/engine.h"
#include "operator/posture/fixes.h"

namespace bulwark::cli {

// Scan's output: what `bulwark scan` prints of each judged workload, in the format asked for
// (a table, JSON, SARIF, or OpenReports Reports as YAML). Not to be confused with the policy
// reports the operator keeps in a cluster (operator/policy_reports/,
// reconcilers/policy_report_keeper.h).

// One judged workload, as the output shows it.
struct ScanResult {
  std::string file;
  std::size_t document = 0;  // 0-based index of the document in its file
  std::string kind;
  std::string namespace_name;
  std::string name;
  posture::Verdict verdict;
  std::vector<int> lines;  // source line of each violation in verdict.violations, 0 if unknown
  // For reports that list every judged control (OpenReports): the policy, what it judged, when.
  std::string api_version;
  std::string policy;
  std::vector<std::string_view> controls;
  std::string pss_version;
  std::int64_t timestamp = 0;  // seconds since the epoch
  // The workload judged (valid while the output reads the result), and the patch of what can be
  // fixed, from the document's root; computed for the formats that show it (needs_fixes).
  const posture::Workload* workload = nullptr;
  posture::FixPlan fixes;
};

struct ScanSummary {
  std::size_t files = 0;
  std::size_t documents = 0;
  std::size_t workloads = 0;
  std::size_t compliant = 0;
  std::size_t violating = 0;
  std::size_t exempt = 0;
  std::size_t not_evaluated = 0;  // workloads with a control Bulwark could not judge, no violation
  std::size_t violations = 0;
  std::size_t skipped = 0;       // documents whose kind carries no pod template
  std::size_t not_selected = 0;  // workloads the policy's match does not select
  std::size_t errors = 0;
};

// Writes results as they come, so memory does not grow with the input (one result at a time).
// Not thread-safe.
class ScanOutput {
 public:
  virtual ~ScanOutput() = default;
  virtual void result(const ScanResult& r) = 0;
  virtual void finish(const ScanSummary& s) = 0;
};

// kReach is no verdict: bulwark scan prints the network model's matrix instead (scan_reach.h).
// kPatch: one JSON line per document with something to fix, its RFC 6902 patch.
enum class OutputFormat { kTable, kJson, kSarif, kOpenReports, kReach, kPatch };

// Whether results in `format` show fixes (ScanResult::fixes is then computed).
bool needs_fixes(OutputFormat format);

std::unique_ptr<ScanOutput> make_scan_output(OutputFormat format, std::ostream& out, bool color);

}  // namespace bulwark::cli
