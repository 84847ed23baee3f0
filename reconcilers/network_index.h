#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/policy/label_selector.h"

namespace bulwark::runtime {
class CacheReader;
}
namespace bulwark::posture {
struct Workload;
}

namespace bulwark::reconcilers {

// The object kinds whose changes NetworkIndex follows.
enum class SelectingKind { kNetworkPolicy, kService };
std::string_view to_string(SelectingKind kind);  // "NetworkPolicy", "Service"
std::optional<SelectingKind> selecting_kind(std::string_view name);

// Which pods a NetworkPolicy or Service change can concern: those its selector matches now or
// matched before, in its namespace. The network controls and the quarantine hold of a pod read
// only the objects of its namespace that select it (docs/api.md, Network controls), so a change
// re-judges only the workloads whose pods either selector matches. The operator's model reads no
// namespace labels, so a namespace change concerns only its own workloads.
struct Selection {
  std::vector<crds::LabelSelector> selectors;
  // The whole namespace: a NetworkPolicy Bulwark cannot read blanks the controls of every
  // workload there.
  bool every = false;
  bool empty() const { return !every && selectors.empty(); }
};

// Kept on the reflectors' threads: apply() records each object's selection as the cache holds it
// now and adds the one it replaces to what is pending for that object; the fan-out loop takes
// what is pending when it routes the object's event (several changes before that add up, distinct
// selectors only; past eight, the whole namespace, so a standby replica, whose fan-out loop takes
// nothing, holds a bounded amount per object, as its work queue holds one key). Thread-safe.
class NetworkIndex {
 public:
  void apply(SelectingKind kind, const std::string& key, const runtime::CacheReader& reader);
  Selection take(SelectingKind kind, const std::string& key);

  std::size_t size() const;  // objects whose selection is held

 private:
  mutable std::mutex mu_;
  std::map<std::string, Selection> current_;  // by "Kind/ns/name"; guarded by mu_
  std::map<std::string, Selection> pending_;  // the same; guarded by mu_
};

// Whether a selector may match the pods of a `kind` whose labels are `labels`: as written, with or
// without the quarantine label, and with the labels the kind's controller sets on each pod
// present, values unknown (a selector reading those values may match).
bool may_select(const crds::LabelSelector& selector, std::string_view kind, crds::Labels labels);

// The labels of a workload's pod template (a Pod's own).
crds::Labels template_labels_of(const posture::Workload& workload);

struct WorkloadCaches;
// The top-level workloads of namespace `ns` whose pods `selection` may select (may_select), every
// one for `selection.every`, sorted.
std::vector<std::string> workloads_selected(const WorkloadCaches& workloads, const std::string& ns,
                                            const Selection& selection);

}  // namespace bulwark::reconcilers
