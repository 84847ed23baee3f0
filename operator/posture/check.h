#pragma once

// Internal to the posture engine: how a check sees a pod and reports what it finds.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/document/value.h"
#include "operator/images/reference.h"
#include "operator/policy/security_policy.h"
#include "operator/posture/violation.h"

namespace bulwark::posture::detail {

using document::Value;

// A pod template, and the field paths its parts are reported under.
struct PodView {
  const Value* meta;  // may be null
  const Value& spec;
  std::string meta_path;  // "spec.template.metadata"
  std::string spec_path;  // "spec.template.spec"

  bool is_windows() const {
    const Value* os = spec.find({"os", "name"});
    return os != nullptr && os->str() == "windows";
  }
  // KEP-127: a pod in its own user namespace (hostUsers: false) gets relaxations from 1.35.
  bool in_user_namespace() const {
    const Value* host_users = spec.find("hostUsers");
    return host_users != nullptr && host_users->as_bool() == false;
  }
};

// One container of any of the three lists, with its path built only when a finding needs it.
struct ContainerRef {
  const Value& node;
  std::string_view list;  // "containers", "initContainers", "ephemeralContainers"
  std::size_t index;
  const PodView& pod;

  std::string_view name() const {
    const Value* n = node.find("name");
    return n != nullptr ? n->str() : std::string_view{};
  }
  const Value* security_context(std::string_view key) const {
    return node.find({"securityContext", key});
  }
  std::string path(std::string_view suffix = {}) const {
    std::string p = pod.spec_path + "." + std::string(list) + "[" + std::to_string(index) + "]";
    if (!suffix.empty()) p += "." + std::string(suffix);
    return p;
  }
  // `container "app"`, the way messages name containers.
  std::string label() const { return "container \"" + std::string(name()) + "\""; }
};

// Visits init containers, containers and ephemeral containers, in that order, as upstream does.
template <class Fn>
void visit_containers(const PodView& pod, Fn&& fn) {
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    const auto& items = document::items_of(pod.spec.find(list));
    for (std::size_t i = 0; i < items.size(); ++i) fn(ContainerRef{items[i], list, i, pod});
  }
}

// Findings kept of one control for one workload; the rest are counted in one last finding. A pod
// of 100,000 minimal containers (6.5 MiB, under the API server's limit) would otherwise make a
// million findings, 250 MB of them, from one admission review. The verdict is the same.
inline constexpr std::size_t kMaxFindingsPerControl = 64;

// Collects the findings of one control: the first kMaxFindingsPerControl, then, when it goes
// out of scope, one saying how many more there were.
class Findings {
 public:
  Findings(std::string_view control, crds::Severity severity, std::vector<Violation>& out)
      : control_(control), severity_(severity), out_(out) {}
  Findings(const Findings&) = delete;
  Findings& operator=(const Findings&) = delete;
  ~Findings() {
    if (dropped_ == 0) return;
    out_.push_back(Violation{control_, severity_,
                             "and " + std::to_string(dropped_) + " more findings like these", ""});
  }
  void add(std::string message, std::string path) {
    if (kept_ == kMaxFindingsPerControl) {
      ++dropped_;
      return;
    }
    ++kept_;
    out_.push_back(Violation{control_, severity_, std::move(message), std::move(path)});
  }

 private:
  std::string_view control_;
  crds::Severity severity_;
  std::vector<Violation>& out_;
  std::size_t kept_ = 0;
  std::size_t dropped_ = 0;
};

using CheckFn = void (*)(const PodView&, Findings&);

// A Pod Security Standards check as upstream defines it: the behaviour in force from each
// minimum release on, and the baseline checks a restricted one replaces.
struct PssCheck {
  struct Version {
    int min_minor;
    CheckFn fn;
    std::vector<std::string_view> overrides;
  };
  std::string_view id;
  crds::PssLevel level;
  crds::Severity severity;
  std::vector<Version> versions;  // ascending by min_minor

  // The behaviour for release 1.`minor`, or null when the check did not exist yet.
  const Version* at(int minor) const {
    const Version* found = nullptr;
    for (const auto& v : versions) {
      if (v.min_minor <= minor) found = &v;
    }
    return found;
  }
};

// The nineteen Pod Security Standards checks, in upstream's order of IDs.
const std::vector<PssCheck>& pss_checks();

}  // namespace bulwark::posture::detail

namespace bulwark::posture {
struct EvaluationContext;
}

namespace bulwark::posture::detail {

// What one of Bulwark's own checks reads: the pod, the policy, and what the cluster adds.
struct OwnCheckInput {
  const PodView& pod;
  const crds::SecurityPolicySpec& spec;
  const EvaluationContext& context;
  bool stored_pod;  // a live Pod as the API server stored it (EvaluationContext::pods_as_stored)
  std::string_view namespace_name;  // the workload's; empty in a manifest that names none
  std::string_view kind;            // the workload's
};

// One of Bulwark's own controls (docs/api.md, Controls), one row each in own_checks(); the RBAC
// controls are rows of rbac::permission_controls(), judged together from the account's
// permissions. Adding a control is a row here, its check function, and its test (docs/
// architecture.md, Where a change goes).
struct OwnCheck {
  std::string_view id;
  crds::Severity severity;
  std::string_view category;  // the reports' category
  // Whether the policy turns it on (given the row's own ID); null for a control judged per
  // namespace, not per workload.
  bool (*enabled)(const crds::SecurityPolicySpec&, std::string_view id);
  // Why it cannot be judged for this workload (an input Bulwark could not read: the control is
  // then not evaluated), or nullopt when it can; null when it always can.
  std::optional<std::string> (*unread)(const OwnCheckInput&);
  void (*judge)(const OwnCheckInput&, Findings&);
};
// In docs/api.md's order, which is kControlIds' order.
const std::vector<OwnCheck>& own_checks();

using images::ImageRef;
using images::is_sha256_digest;
using images::parse_image;
using images::repository_of;

// Bulwark's own controls that need no cluster.
void check_image_registry(const PodView& pod, const std::vector<std::string>& allowed,
                          Findings& out);
void check_image_latest_tag(const PodView& pod, Findings& out);
// imageSignature: the context's verdicts for the containers images.verify covers.
std::optional<std::string> image_signature_unread(const OwnCheckInput& in);
void check_image_signature(const OwnCheckInput& in, Findings& out);
void check_image_digest(const PodView& pod, Findings& out);
// `field` is "limits" or "requests"; cpu and memory are both required.
// `stored`: the pod is a live Pod as the API server stored it, defaulting included; otherwise a
// manifest or template, defaulted here as Kubernetes 1.37 would create it.
void check_resources(const PodView& pod, std::string_view field, bool stored, Findings& out);
// The network controls (spec.network.forbid), judged on the pod template with the context's
// network model (operator/network/exposure.h). Not evaluated while the model is unknown.
std::optional<std::string> network_unread(const OwnCheckInput& in);
void check_network_unrestricted(const OwnCheckInput& in, bool ingress, Findings& out);
void check_network_all_namespaces(const OwnCheckInput& in, Findings& out);
void check_network_world(const OwnCheckInput& in, bool ingress, Findings& out);
void check_network_exposed_service(const OwnCheckInput& in, Findings& out);

// The token is mounted unless the pod says false, or leaves it unset and its ServiceAccount
// (`account`, when known) says false.
void check_automount_token(const PodView& pod, std::optional<bool> account, Findings& out);

}  // namespace bulwark::posture::detail
