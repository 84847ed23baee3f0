#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "operator/base/clock.h"
#include "operator/kube/object_writer.h"
#include "operator/reports/open_report.h"
#include "operator/runtime/cache_reader.h"
#include "reconcilers/workload_judgement.h"

namespace bulwark::reconcilers {

// The annotation on a Report holding a hash of its content without timestamps: what the cache
// keeps of a report (its metadata only), so 10,000 reports cost kilobytes, not their results.
inline constexpr const char* kReportHashAnnotation = "bulwark.dev/report-hash";

// Keeps one OpenReports Report per judged workload (docs/api.md, Reports): written by
// server-side apply only when its content changes, so a converged cluster and a resync write
// nothing and a result's timestamp moves only with a verdict; removed when no active policy
// selects the workload any more. Reports of deleted workloads go with them (owner reference).
// Bulwark never edits or removes a report it did not write (no managed-by label).
class ReportKeeper {
 public:
  // `reports`: a cache of Reports projected to metadata (project_report_metadata).
  ReportKeeper(kube::ObjectWriter& writer, const runtime::CacheReader& reports,
               const base::Clock& clock, reports::Format format = reports::Format::kOpenReports)
      : writer_(writer), reports_(reports), clock_(clock), format_(format) {}

  // The report of a workload as just judged. `held`: unreadable policies still list it, so its
  // report is left as it is.
  void keep(const reports::Subject& subject, const WorkloadJudgement& j, bool held);

  // Whether the report CRD is served and its cache synced: until then keep() does nothing (a CRD
  // installed after the start turns it on).
  void set_served(bool served) { served_ = served; }
  bool served() const { return served_.load(); }

  std::uint64_t writes() const { return writes_.load(); }
  const kube::ResourceType& resource() const;  // reports or policyreports, by format

 private:
  kube::ObjectWriter& writer_;
  const runtime::CacheReader& reports_;
  const base::Clock& clock_;
  reports::Format format_;
  std::atomic<std::uint64_t> writes_{0};
  std::atomic<bool> served_{true};
};

// The content hash kept in kReportHashAnnotation: FNV-1a over the report without timestamps.
std::string report_hash(const document::Value& report);

}  // namespace bulwark::reconcilers
