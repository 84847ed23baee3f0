#include "app/cli/scan_judge.h"

#include "operator/network/reach.h"

namespace bulwark::cli {

using document::Value;

// Keys may contain dots (annotation keys do), so at each mapping the longest key that fits the
// path wins.
int line_for(const Value& root, std::string_view path) {
  const Value* cur = &root;
  int line = root.line;
  while (!path.empty() && cur != nullptr) {
    if (path.front() == '.') path.remove_prefix(1);
    if (!path.empty() && path.front() == '[') {
      auto close = path.find(']');
      if (close == std::string_view::npos || !cur->is_sequence()) break;
      std::size_t index = std::stoul(std::string(path.substr(1, close - 1)));
      if (index >= cur->items.size()) break;
      cur = &cur->items[index];
      path.remove_prefix(close + 1);
    } else if (cur->is_mapping()) {
      const Value::Member* best = nullptr;
      for (const auto& m : cur->members) {
        if (path.substr(0, m.first.size()) == m.first &&
            (path.size() == m.first.size() || path[m.first.size()] == '.' ||
             path[m.first.size()] == '[') &&
            (best == nullptr || m.first.size() > best->first.size())) {
          best = &m;
        }
      }
      if (best == nullptr) break;
      cur = &best->second;
      path.remove_prefix(best->first.size());
    } else {
      break;
    }
    if (cur->line > 0) line = cur->line;
  }
  return line;
}

ScanJudge::ScanJudge(posture::PolicyEvaluator evaluator, Settings settings,
                     std::unique_ptr<ScanVerifier> verifier)
    : evaluator_(std::move(evaluator)),
      settings_(std::move(settings)),
      context_{settings_.now},
      verifier_(std::move(verifier)) {
  context_.vulnerabilities_unread =
      "bulwark scan reads no vulnerability reports (the operator does, in a cluster)";
}

ScanJudge::~ScanJudge() = default;

std::vector<ObjectOutcome> ScanJudge::objects_of(const std::string& file, const Value& doc) const {
  std::vector<ObjectOutcome> out;
  const Value* kind = doc.find("kind");
  if (kind != nullptr && kind->str() == "List") {
    const auto& items = document::items_of(doc.find("items"));
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      out.push_back(object_outcome(file, items[i], "/items/" + std::to_string(i)));
    }
    return out;
  }
  out.push_back(object_outcome(file, doc, ""));
  return out;
}

ObjectOutcome ScanJudge::object_outcome(const std::string& file, const Value& object,
                                        const std::string& pointer) const {
  auto workload = posture::workload_from(object);
  if (!workload) {
    ObjectOutcome o;
    o.object = &object;
    return o;
  }
  if (settings_.reach) {
    // -o reach: the workload's pod as the model sees it (a Pod's status gives its addresses).
    const std::string ns = workload->namespace_name.empty() ? "default" : workload->namespace_name;
    ObjectOutcome o;
    o.kind = ObjectOutcome::Kind::kReach;
    o.reach =
        ReachPod{workload->kind + "/" + ns + "/" + workload->name,
                 network::read_pod(workload->pod_metadata, *workload->pod_spec,
                                   workload->kind == "Pod" ? object.find("status") : nullptr, ns)};
    o.reach->pod.name = workload->name;
    return o;
  }
  if (settings_.deferred) {
    ObjectOutcome o;
    o.kind = ObjectOutcome::Kind::kPending;
    o.object = &object;
    o.pointer = pointer;
    return o;
  }
  return judge(file, object, pointer, std::make_unique<posture::Workload>(std::move(*workload)),
               context_);
}

ObjectOutcome ScanJudge::judge(const std::string& file, const Value& object,
                               const std::string& pointer,
                               std::unique_ptr<posture::Workload> workload,
                               const posture::EvaluationContext& context) const {
  ObjectOutcome o;
  o.object = &object;
  o.pointer = pointer;
  if (settings_.apply_match && !evaluator_.selects(*workload, nullptr)) {
    o.kind = ObjectOutcome::Kind::kNotSelected;
    return o;
  }
  o.kind = ObjectOutcome::Kind::kJudged;
  ScanResult& r = o.result;
  r.file = file;
  r.kind = workload->kind;
  r.namespace_name = workload->namespace_name;
  r.name = workload->name;
  if (verifier_) {
    // --verify: the context with this workload's signatures (copied only then).
    posture::SignaturesByEntries signatures;
    const auto& images = evaluator_.spec().images;
    {
      std::lock_guard lock(verifier_mutex_);
      signatures[crds::verify_key(images)] = verifier_->verify(images, *workload);
    }
    posture::EvaluationContext verified = context;
    verified.image_signatures = &signatures;
    r.verdict = evaluator_.evaluate(*workload, verified);
  } else {
    r.verdict = evaluator_.evaluate(*workload, context);
  }
  r.api_version = workload->api_version;
  r.policy = settings_.policy_name;
  r.controls = evaluator_.controls();
  r.pss_version = evaluator_.spec().pod_security.version.str();
  r.timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(context.now.time_since_epoch()).count();
  r.lines.reserve(r.verdict.violations.size());
  for (const auto& v : r.verdict.violations) r.lines.push_back(line_for(object, v.path));
  r.workload = workload.get();
  if (settings_.plan_fixes && !r.verdict.violations.empty()) {
    r.fixes = posture::plan_fixes(*workload, r.verdict, pointer);
  }
  o.workload = std::move(workload);
  return o;
}

}  // namespace bulwark::cli
