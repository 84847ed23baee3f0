#include "app/admission/decide.h"

#include <algorithm>
#include <set>

#include "operator/document/json_writer.h"
#include "operator/policy/workload_kinds.h"
#include "operator/posture/engine.h"
#include "operator/posture/workload.h"
#include "operator/registry/image_verification.h"
#include "reconcilers/input_access.h"

namespace bulwark::admission {

using document::Value;

namespace {

// Whether an UPDATE changes what is judged: the pod template (metadata and spec) of a workload,
// the spec of a pod. A pod's own labels and annotations are not its template: Bulwark's
// quarantine label must pass, and Pod Security Admission ignores them on update too.
bool template_changed(const Review& review) {
  const auto now = posture::workload_from(review.object, review.kind);
  const auto before = posture::workload_from(review.old_object, review.kind);
  if (!now || !before) return true;
  // Both come from the API server's own serialization, so equal trees print equal.
  auto same = [](const Value* a, const Value* b) {
    if (a == nullptr || b == nullptr) return a == b;
    return document::to_json(*a) == document::to_json(*b);
  };
  if (review.kind == "Pod") return !same(now->pod_spec, before->pod_spec);
  return !same(now->pod_spec, before->pod_spec) || !same(now->pod_metadata, before->pod_metadata);
}

bool needs_judging(const Review& review) {
  if (!judged_kind(review.kind)) return false;
  if (review.operation == "CREATE") return review.sub_resource.empty();
  if (review.operation != "UPDATE") return false;
  if (review.sub_resource == "ephemeralcontainers") return review.kind == "Pod";
  return review.sub_resource.empty() && template_changed(review);
}

bool denies(const crds::SecurityPolicySpec& spec) {
  return spec.enforcement.mode == crds::EnforcementMode::kEnforce &&
         std::find(spec.enforcement.actions.begin(), spec.enforcement.actions.end(),
                   crds::EnforcementAction::kDeny) != spec.enforcement.actions.end();
}

// "privileged (spec.template.spec.containers[0].securityContext.privileged)": the control and
// the field of the object posted, nothing more. Anyone who reaches the webhook can post a
// made-up review, and the API server shows the answer to whoever made the request, who may not
// read the policies; so no policy name, no binding chain and nothing of other objects. The
// details are in the policy's status, Reports and Events, which RBAC guards.
std::string line_of(const posture::Violation& v) {
  return std::string(v.control) + (v.path.empty() ? "" : " (" + v.path + ")");
}

// Each line once, in the order first seen, and at most kMaxLines of them: the answer stays small
// whatever the object (the engine keeps 64 findings a control).
constexpr std::size_t kMaxLines = 50;
struct Lines {
  std::vector<std::string> kept;
  std::set<std::string, std::less<>> seen;
  std::size_t more = 0;
  void add(std::string line) {
    if (!seen.insert(line).second) return;
    if (kept.size() == kMaxLines) {
      ++more;
      return;
    }
    kept.push_back(std::move(line));
  }
  void close() {
    if (more > 0) kept.push_back("and " + std::to_string(more) + " more");
  }
};

std::string describe(const Review& review) {
  std::string name = review.name;
  if (const Value* n = review.object.find({"metadata", "name"}); name.empty() && n != nullptr) {
    name = n->str();  // a CREATE with generateName has a name only once admitted
  }
  return review.kind + " " + (review.namespace_name.empty() ? "" : review.namespace_name + "/") +
         name;
}

// Why the labels a namespace selector is matched against are not known, if so: Namespaces
// cannot be read (the cache's may be stale), or the namespace is not in the cache yet (made a
// moment ago).
std::optional<std::string> unknown_selection(const Context& context, const std::string& ns) {
  if (context.access != nullptr) {
    if (auto unread = context.access->unreadable(reconcilers::ControlInput::kNamespaces)) {
      return *unread + " (judged against the namespace's labels last read)";
    }
  }
  if (context.namespace_labels == nullptr) {
    return "namespace " + ns + " is not in Bulwark's cache yet";
  }
  return std::nullopt;
}

// The signatures of the workload's images under the policy's entries, as admission reads them:
// what is not known in time violates (fail closed). Null when the policy asks for none.
const posture::SignaturesByEntries* admission_signatures(
    const crds::SecurityPolicySpec& spec, const posture::Workload& workload, const Context& context,
    std::chrono::steady_clock::time_point deadline, posture::SignaturesByEntries& all) {
  if (spec.images.verify.empty() || context.images == nullptr) return nullptr;
  const std::string key = crds::verify_key(spec.images);
  if (all.count(key) > 0) return &all;  // another policy with the same entries asked already
  images::ImageSignatures& out = all[key];
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  out = context.images->verify(spec.images, registry::images_of(*workload.pod_spec),
                               std::max(left, std::chrono::milliseconds(0)));
  for (auto& [name, s] : out) {
    if (s.verdict.result == images::SignatureResult::kNotEvaluated) {
      s.verdict.result = images::SignatureResult::kUnverifiable;
    }
  }
  return &all;
}

}  // namespace

bool judged_at_admission(std::string_view control) {
  return control != "imageVulnerabilities" && control.rfind("network", 0) != 0;
}

bool judged_kind(std::string_view kind) { return posture::find_workload_kind(kind) != nullptr; }

Decision decide(const Review& review, const Context& context) {
  Decision decision;
  if (!needs_judging(review) || context.never_touch.count(review.namespace_name) > 0) {
    return decision;
  }
  auto workload = posture::workload_from(review.object, review.kind);
  if (!workload) return decision;
  if (workload->namespace_name.empty()) workload->namespace_name = review.namespace_name;
  // Without its labels, a namespace selector cannot match: never selected by label, rather than
  // selected by every policy (evaluate's null means "offline scan: ignore the selector").
  const crds::Labels no_labels;
  const crds::Labels* labels =
      context.namespace_labels != nullptr ? context.namespace_labels : &no_labels;
  Lines refusals, warned;
  // The rights of the account the object would run as, as they stand now.
  const rbac::Account account{review.namespace_name, posture::service_account_of(*workload)};
  std::shared_ptr<const rbac::Permissions> held;  // what `evaluation` points into
  posture::EvaluationContext evaluation{context.now};
  evaluation.pods_as_stored = true;  // the API server defaults before validating webhooks ask
  reconcilers::add_account_inputs(evaluation, context.access, context.rbac, account, held);
  const auto selection_unknown = unknown_selection(context, review.namespace_name);
  const auto verify_deadline = std::chrono::steady_clock::now() + context.images_budget;
  posture::SignaturesByEntries signatures;
  if (context.images == nullptr) {
    evaluation.image_signatures_unread = "this replica verifies no image signatures";
  }
  for (const auto& p : *context.policies) {
    if (!p.active()) continue;
    const bool selected = p.evaluator->selects(*workload, labels);
    const bool maybe = selection_unknown && !p.policy.spec.match.namespace_selector.empty() &&
                       p.evaluator->selects(*workload, nullptr);
    if (!selected && !maybe) continue;
    evaluation.image_signatures =
        admission_signatures(p.policy.spec, *workload, context, verify_deadline, signatures);
    if (maybe) {
      // Refused if the policy selects it: whether it does decides, and is not known.
      if (denies(p.policy.spec) &&
          !p.evaluator->evaluate(*workload, evaluation).violations.empty()) {
        throw CannotJudge("whether a SecurityPolicy in Enforce with Deny selects namespace " +
                          review.namespace_name + " is not known: " + *selection_unknown);
      }
      warned.add("namespaceSelector: not evaluated: " + *selection_unknown);
    }
    if (!selected) continue;
    const auto verdict = p.evaluator->evaluate(*workload, evaluation);
    for (const auto& n : verdict.not_evaluated) {
      if (!judged_at_admission(n.control)) continue;
      { warned.add(std::string(n.control) + ": not evaluated: " + n.reason); }
    }
    if (verdict.violations.empty()) continue;
    const bool refuse = denies(p.policy.spec);
    for (const auto& v : verdict.violations) (refuse ? refusals : warned).add(line_of(v));
  }
  refusals.close();
  warned.close();
  for (const auto& w : warned.kept) decision.warnings.push_back("Bulwark: " + w);
  if (!refusals.kept.empty()) {
    decision.outcome = Decision::Outcome::kDenied;
    decision.message = "Bulwark refuses " + describe(review) +
                       ", which a SecurityPolicy in Enforce with Deny forbids:";
    for (const auto& r : refusals.kept) decision.message += "\n- " + r;
    decision.message +=
        "\nChange the fields named. The policy's status and Events say more, to those who may "
        "read them.";
  } else if (!decision.warnings.empty()) {
    decision.outcome = Decision::Outcome::kWarned;
  }
  return decision;
}

}  // namespace bulwark::admission
