#include "operator/posture/workload.h"

#include <string_view>

#include "operator/policy/workload_kinds.h"

namespace bulwark::posture {

using document::Value;

namespace {

// Where each kind keeps its pod template, relative to the object.
std::optional<std::string_view> template_path(std::string_view kind) {
  const WorkloadKind* k = find_workload_kind(kind);
  if (k == nullptr) return std::nullopt;
  return k->template_path;
}

const Value* walk(const Value& root, std::string_view dotted) {
  const Value* cur = &root;
  while (!dotted.empty() && cur != nullptr) {
    auto dot = dotted.find('.');
    cur = cur->find(dotted.substr(0, dot));
    dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
  }
  return cur;
}

}  // namespace

std::optional<Workload> workload_from(const Value& doc) {
  if (!doc.is_mapping()) return std::nullopt;
  const Value* kind = doc.find("kind");
  if (kind == nullptr) return std::nullopt;
  return workload_from(doc, kind->str());
}

std::optional<Workload> workload_from(const Value& doc, std::string_view kind) {
  if (!doc.is_mapping()) return std::nullopt;
  auto path = template_path(kind);
  if (!path) return std::nullopt;

  Workload w;
  w.kind = std::string(kind);
  if (const Value* v = doc.find("apiVersion")) w.api_version = std::string(v->str());
  if (const Value* meta = doc.find("metadata")) {
    if (const Value* v = meta->find("name")) w.name = std::string(v->str());
    if (const Value* v = meta->find("namespace")) w.namespace_name = std::string(v->str());
    for (const auto& [k, v] : members_of(meta->find("labels"))) w.labels[k] = v.text;
  }
  w.pod_path = std::string(*path);
  const Value* pod = path->empty() ? &doc : walk(doc, *path);
  static const Value kEmptyMapping = [] {
    Value v;
    v.type = Value::Type::kMapping;
    return v;
  }();
  w.pod_metadata = pod != nullptr ? pod->find("metadata") : nullptr;
  const Value* spec = pod != nullptr ? pod->find("spec") : nullptr;
  w.pod_spec = spec != nullptr && spec->is_mapping() ? spec : &kEmptyMapping;
  return w;
}

}  // namespace bulwark::posture
