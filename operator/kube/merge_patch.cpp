#include "operator/kube/merge_patch.h"

#include "operator/document/json_writer.h"

namespace bulwark::kube {

using document::Value;

MergePatch& MergePatch::set(std::initializer_list<std::string_view> path, Value value) {
  Value* node = &body_;
  const auto* last = path.end() - 1;
  for (const auto* key = path.begin(); key != last; ++key) node = &node->child(*key);
  node->set(*last, std::move(value));
  return *this;
}

MergePatch& MergePatch::remove(std::initializer_list<std::string_view> path) {
  return set(path, Value::null());
}

MergePatch& MergePatch::set_label(std::string_view key, std::string_view value) {
  return set({"metadata", "labels", key}, Value::string(value));
}

MergePatch& MergePatch::remove_label(std::string_view key) {
  return remove({"metadata", "labels", key});
}

MergePatch& MergePatch::set_annotation(std::string_view key, std::string_view value) {
  return set({"metadata", "annotations", key}, Value::string(value));
}

MergePatch& MergePatch::remove_annotation(std::string_view key) {
  return remove({"metadata", "annotations", key});
}

MergePatch& MergePatch::label(std::string_view key, const std::optional<std::string>& value) {
  return value ? set_label(key, *value) : remove_label(key);
}

MergePatch& MergePatch::annotation(std::string_view key, const std::optional<std::string>& value) {
  return value ? set_annotation(key, *value) : remove_annotation(key);
}

MergePatch& MergePatch::require_resource_version(std::string_view resource_version) {
  return set({"metadata", "resourceVersion"}, Value::string(resource_version));
}

std::string MergePatch::json() const { return document::to_json(body_); }

}  // namespace bulwark::kube
