#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "operator/images/signature_check.h"
#include "operator/policy/security_policy.h"
#include "operator/posture/violation.h"
#include "operator/posture/workload.h"

namespace bulwark::rbac {
struct Permissions;
}
namespace bulwark::network {
class NetworkModel;
}

namespace bulwark::posture {

namespace detail {
struct PssCheck;
struct PodView;
}  // namespace detail

// Known vulnerabilities of a workload's images, counted by severity (from Trivy Operator's
// VulnerabilityReports in a cluster).
struct VulnerabilityCounts {
  int critical = 0;
  int high = 0;
  int medium = 0;
  int low = 0;
  std::string source;  // where the counts come from, for the message
};

using images::ContainerSignature;
using images::ImageSignatures;
// Verdicts by the policy entries they were judged under (crds::verify_key of its images spec):
// every policy that asks judges its images under its own keys.
using SignaturesByEntries = std::map<std::string, ImageSignatures, std::less<>>;

// What the engine needs beyond the policy and the workload. The engine reads no clock and no
// cluster itself.
struct EvaluationContext {
  std::chrono::system_clock::time_point now;
  // Null when unknown (offline scans, or no report yet): images.maxSeverity is then not judged.
  const VulnerabilityCounts* vulnerabilities = nullptr;
  // What the workload's ServiceAccount may do (the cluster's RBAC, or the scanned files'). Null
  // when unknown: spec.permissions is then not judged.
  const rbac::Permissions* permissions = nullptr;
  // The automountServiceAccountToken of the workload's ServiceAccount, when the account is known
  // and sets it. A pod that leaves the field unset gets the token unless its account says false
  // (the API server's ServiceAccount admission). Unknown: the pod must say false itself.
  std::optional<bool> account_automount_token = std::nullopt;
  // The NetworkPolicies and Services of the cluster (or the scanned files'). Null when unknown:
  // spec.network.forbid is then not judged.
  const network::NetworkModel* network = nullptr;
  // images.verify's verdicts for the containers its entries cover: for a running workload, the
  // worst over its pods of the digest each runs; at admission and in `scan --verify`, what the
  // reference resolves to. Null when signatures were not verified: imageSignature is then not
  // judged. A covered container without a verdict is not evaluated.
  const SignaturesByEntries* image_signatures = nullptr;
  std::string image_signatures_unread =
      "image signatures were not verified (bulwark scan reads no registry without --verify)";
  // Why `vulnerabilities`, `permissions` or `network` is null, for the controls that then go
  // unjudged.
  std::string vulnerabilities_unread = "no vulnerability report was read for its images";
  std::string permissions_unread = "its ServiceAccount's permissions could not be read";
  std::string network_unread =
      "the NetworkPolicies and Services of its namespace could not be read";
  // Set when ServiceAccounts cannot be read: a pod that leaves automountServiceAccountToken unset
  // is then not evaluated, since its account decides.
  std::string account_unread = {};
  // Pods come as the API server stored them (the operator's caches, admission after defaulting):
  // their resources are read as they are, never defaulted again here (a pod created before 1.37,
  // or a static pod, lacks what 1.37 would add). False for manifests (scan).
  bool pods_as_stored = false;
};

// A control Bulwark could not judge because it could not read an input the control needs:
// neither compliant nor violating, and never counted as either. The one definition of that
// state; docs/api.md (Not evaluated) says how every output writes it.
struct NotEvaluated {
  std::string_view control;  // static storage
  std::string reason;        // what could not be read
};

// The ServiceAccount a pod template runs as: serviceAccountName, the deprecated serviceAccount,
// or "default".
std::string service_account_of(const Workload& workload);

// Worst first: any violation makes a workload violating; else any control not evaluated makes it
// not-evaluated (never compliant); else an exempted violation makes it exempt.
enum class Posture { kCompliant, kViolating, kExempt, kNotEvaluated };
std::string_view to_string(Posture p);

struct Verdict {
  Posture posture = Posture::kCompliant;
  std::vector<Violation> violations;  // what still counts against the workload
  std::vector<Violation> exempted;    // what an active exemption excuses
  // For each of `exempted`, in order: the exemption that excuses it.
  std::vector<const crds::Exemption*> exempted_by;  // points into the evaluator's spec
  std::vector<NotEvaluated> not_evaluated;          // controls no exemption excuses
};

// The category a report files a control under: "Pod Security Standards (Baseline)" or
// "(Restricted)", "Images", "Resources", "ServiceAccount", "RBAC" or "Network".
std::string_view category_of(std::string_view control);

// The posture engine for one policy: pure, no I/O, no clock, no globals. Construction picks the
// checks that the policy's level and version call for, once, so evaluating many workloads does no
// repeated set-up. Immutable after construction and so safe to share between threads.
class PolicyEvaluator {
 public:
  explicit PolicyEvaluator(crds::SecurityPolicySpec spec);

  // Whether the policy governs the workload. `namespace_labels` is null when they are unknown
  // (offline scans): the namespace selector is then not applied.
  bool selects(const Workload& workload, const crds::Labels* namespace_labels) const;

  Verdict evaluate(const Workload& workload, const EvaluationContext& context) const;

  // The IDs of the Pod Security Standards checks in force, in evaluation order.
  std::vector<std::string_view> pss_controls() const;
  // Every control the policy judges workloads on: those above and Bulwark's own that it enables.
  std::vector<std::string_view> controls() const;

  const crds::SecurityPolicySpec& spec() const { return spec_; }

 private:
  // The RBAC controls spec.permissions.forbid names, from the account's permissions.
  void judge_permissions(const detail::PodView& pod, const EvaluationContext& context,
                         Verdict& verdict) const;
  void apply_exemptions(const Workload& workload, std::chrono::system_clock::time_point now,
                        Verdict& verdict) const;

  crds::SecurityPolicySpec spec_;
  std::vector<std::pair<const detail::PssCheck*, std::size_t>> pss_;  // check, version index
};

// The severity of any control ID; Low for an unknown one.
crds::Severity severity_of(std::string_view control);

}  // namespace bulwark::posture
