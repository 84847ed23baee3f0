#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "operator/base/clock.h"
#include "operator/kube/object_writer.h"
#include "operator/policy/written_names.h"
#include "operator/policy_reports/open_report.h"
#include "operator/runtime/cache_reader.h"
#include "operator/runtime/informer.h"
#include "reconcilers/events.h"
#include "reconcilers/expectations.h"
#include "reconcilers/workload_judgement.h"

namespace bulwark::reconcilers {

// Where the reports cache keeps the hash of what each report says now: project_report() keeps
// only a report's metadata and this field, so 10,000 reports cost kilobytes, not their results.
inline constexpr const char* kReportContentField = "bulwark.dev/content-hash";

// The projection of the reports cache: the metadata, and the hash of the content as it is in the
// cluster (whoever wrote it) in kReportContentField.
document::Value project_report(document::Value&& report);

// Keeps one OpenReports Report per judged workload (docs/api.md, Reports): written by
// server-side apply only when what the cluster's report says differs from the verdict (whatever
// its annotations claim), so a converged cluster and a resync write nothing and a result's
// timestamp moves only with a verdict; removed when no active policy selects the workload any
// more. Reports of deleted workloads go with them (owner reference). A report of Bulwark's name
// without the managed-by label is never edited or removed: the workload is then not reported, a
// conflict (conflicts(), a Warning Event NameConflict on the report once per version).
class PolicyReportKeeper {
 public:
  // `reports`: a cache of Reports projected to metadata (project_report_metadata).
  PolicyReportKeeper(kube::ObjectWriter& writer, const runtime::CacheReader& reports,
                     const base::Clock& clock,
                     policy_reports::Format format = policy_reports::Format::kOpenReports,
                     policy_reports::Passes passes = policy_reports::Passes::kSummarised,
                     EventRecorder* events = nullptr)
      : writer_(writer),
        reports_(reports),
        clock_(clock),
        format_(format),
        passes_(passes),
        events_(events) {}

  // The report of a workload as just judged. `held`: unreadable policies still list it, so its
  // report is left as it is.
  void keep(const policy_reports::Subject& subject, const WorkloadJudgement& j, bool held);

  // Whether the report CRD is served and its cache synced: until then keep() does nothing (a CRD
  // installed after the start turns it on).
  void set_served(bool served) { served_ = served; }
  bool served() const { return served_.load(); }

  std::uint64_t writes() const { return writes_.load(); }

  // What a change the reports cache was told of is (Expectations::echo, keyed "ns/name"): the
  // echo of this process's own apply, from the version the report was written over ("" for none)
  // to the one the apply answered with, is no news: the apply (forced) left the report saying
  // what the verdict said, whatever it was written over. One seen while the apply is in flight is
  // held until the answer says, and routed by the change router if it was not the echo.
  Expectations::Seen own_echo(const runtime::Informer::Change& change) {
    return expectations_.echo(change.key, change.before, change.after);
  }
  void set_change_router(std::function<void(const std::string& key)> router) {
    router_ = std::move(router);
  }
  // Told of each echo that held change turned out to be (own_echo's kEcho are the caller's).
  void set_echo_observer(std::function<void()> observer) { on_echo_ = std::move(observer); }
  // The workloads ("Kind/namespace/name") whose report name someone else's report holds.
  std::vector<std::string> conflicts() const;
  const kube::ResourceType& resource() const;  // reports or policyreports, by format

 private:
  kube::ObjectWriter& writer_;
  const runtime::CacheReader& reports_;
  const base::Clock& clock_;
  policy_reports::Format format_;
  policy_reports::Passes passes_;
  EventRecorder* events_;
  std::atomic<std::uint64_t> writes_{0};
  Expectations expectations_{clock_};
  std::function<void(const std::string& key)> router_;  // set before use
  std::function<void()> on_echo_;                       // set before use
  // Applies `report` as `key`'s ("ns/name"), written over the cached version `over`.
  void apply(const policy_reports::Subject& subject, const std::string& name,
             const std::string& over, const document::Value& report);
  // Records the conflict of `subject` (a report `cached` not Bulwark's), or clears it (null).
  void conflict(const policy_reports::Subject& subject, const document::Value* cached);
  mutable std::mutex mu_;
  std::set<std::string> conflicts_;  // guarded by mu_
  std::set<std::string> told_;       // guarded by mu_: "uid/resourceVersion" told

  std::atomic<bool> served_{true};
};

// The content hash the reports cache keeps of each report: FNV-1a over its content without
// timestamps (content_key).
std::string report_hash(const document::Value& report);

}  // namespace bulwark::reconcilers
