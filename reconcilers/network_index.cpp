#include "reconcilers/network_index.h"

#include <algorithm>
#include <set>

#include "operator/document/value.h"
#include "operator/network/network_policy.h"
#include "operator/policy/workload_kinds.h"
#include "operator/policy/written_names.h"
#include "operator/posture/workload.h"
#include "operator/runtime/cache_reader.h"
#include "reconcilers/workload_owners.h"

namespace bulwark::reconcilers {

namespace {

// More distinct selectors than this pending for one object (a standby replica's fan-out loop
// never takes them; a user may rewrite a selector in a loop) become the whole namespace.
constexpr std::size_t kMaxPending = 8;

void add(Selection& to, const Selection& from) {
  to.every = to.every || from.every;
  for (const auto& s : from.selectors) {
    if (to.every) break;
    if (std::find(to.selectors.begin(), to.selectors.end(), s) != to.selectors.end()) continue;
    to.selectors.push_back(s);
    to.every = to.selectors.size() > kMaxPending;
  }
  if (to.every) to.selectors.clear();
}

// What an object of `kind` selects; empty for none (a Service without a selector).
Selection selection_of(SelectingKind kind, const document::Value& object) {
  Selection out;
  const std::string ns = document::text_at(object, {"metadata", "namespace"});
  if (kind == SelectingKind::kService) {
    auto service = network::read_service(object, ns);
    if (!service.selector.empty()) {
      crds::LabelSelector s;
      s.match_labels.insert(service.selector.begin(), service.selector.end());
      out.selectors.push_back(std::move(s));
    }
    return out;
  }
  auto read = network::read_network_policy(object, ns, network::PolicySource::kStored);
  if (!read.errors.empty()) {
    out.every = true;
  } else {
    out.selectors.push_back(std::move(read.policy.pod_selector));
  }
  return out;
}

}  // namespace

std::string_view to_string(SelectingKind kind) {
  return kind == SelectingKind::kService ? "Service" : "NetworkPolicy";
}

std::optional<SelectingKind> selecting_kind(std::string_view name) {
  if (name == "Service") return SelectingKind::kService;
  if (name == "NetworkPolicy") return SelectingKind::kNetworkPolicy;
  return std::nullopt;
}

void NetworkIndex::apply(SelectingKind kind, const std::string& key,
                         const runtime::CacheReader& reader) {
  const auto object = reader.get(key);
  const std::string id = std::string(to_string(kind)) + "/" + key;
  std::optional<Selection> now;
  if (object != nullptr) now = selection_of(kind, *object);
  std::lock_guard lock(mu_);
  Selection& pending = pending_[id];
  if (const auto before = current_.find(id); before != current_.end()) {
    add(pending, before->second);
    if (!now) current_.erase(before);
  }
  if (now) {
    add(pending, *now);
    current_[id] = std::move(*now);
  }
}

Selection NetworkIndex::take(SelectingKind kind, const std::string& key) {
  std::lock_guard lock(mu_);
  auto node = pending_.extract(std::string(to_string(kind)) + "/" + key);
  return node.empty() ? Selection{} : std::move(node.mapped());
}

std::size_t NetworkIndex::size() const {
  std::lock_guard lock(mu_);
  return current_.size();
}

bool may_select(const crds::LabelSelector& selector, std::string_view kind, crds::Labels labels) {
  const auto set_by_controller = posture::controller_pod_labels(kind);
  for (auto key : set_by_controller) labels.emplace(std::string(key), "");
  if (!network::reads_value_of(selector, set_by_controller).empty()) return true;
  if (selector.matches(labels)) return true;  // as written (a template may hold any value)
  labels.erase(kQuarantineLabel);
  if (selector.matches(labels)) return true;
  labels[kQuarantineLabel] = "true";
  return selector.matches(labels);
}

crds::Labels template_labels_of(const posture::Workload& workload) {
  crds::Labels labels;
  for (const auto& [k, v] : document::members_of(
           workload.pod_metadata ? workload.pod_metadata->find("labels") : nullptr)) {
    labels[k] = v.str();
  }
  return labels;
}

std::vector<std::string> workloads_selected(const WorkloadCaches& workloads, const std::string& ns,
                                            const Selection& selection) {
  std::set<std::string> keys;
  if (selection.empty()) return {};
  // Every kind: a Deployment's template and its pods (whose controller-set labels are known) each
  // lead to the Deployment.
  for (const auto& w : posture::kWorkloadKinds) {
    const auto* cache = workloads.of(w.kind);
    for (const auto& key : cache->keys_in_namespace(ns)) {
      auto o = cache->get(key);
      if (o == nullptr) continue;
      bool selected = selection.every;
      if (!selected) {
        const auto workload = posture::workload_from(*o, w.kind);
        if (!workload) continue;
        const auto labels = template_labels_of(*workload);
        selected = std::any_of(
            selection.selectors.begin(), selection.selectors.end(),
            [&](const crds::LabelSelector& s) { return may_select(s, w.kind, labels); });
      }
      if (selected) keys.insert(top_owner_key(w.kind, *o, workloads));
    }
  }
  return {keys.begin(), keys.end()};
}

}  // namespace bulwark::reconcilers
