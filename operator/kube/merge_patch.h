#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "operator/document/value.h"

namespace bulwark::kube {

// A JSON merge patch (RFC 7386) built as a tree: a member set to null removes that key on the
// server, anything else replaces it. Labels and annotations have their own calls because they are
// what Bulwark writes most.
class MergePatch {
 public:
  MergePatch& set(std::initializer_list<std::string_view> path, document::Value value);
  MergePatch& remove(std::initializer_list<std::string_view> path);  // sets null
  MergePatch& set_label(std::string_view key, std::string_view value);
  MergePatch& remove_label(std::string_view key);
  MergePatch& set_annotation(std::string_view key, std::string_view value);
  MergePatch& remove_annotation(std::string_view key);
  // Set when `value` holds one, removed when it does not.
  MergePatch& label(std::string_view key, const std::optional<std::string>& value);
  MergePatch& annotation(std::string_view key, const std::optional<std::string>& value);
  // Optimistic concurrency: the server refuses the patch with 409 if the object has changed.
  MergePatch& require_resource_version(std::string_view resource_version);

  bool empty() const { return body_.members.empty(); }
  const document::Value& body() const { return body_; }
  std::string json() const;

 private:
  document::Value body_ = document::Value::object();
};

}  // namespace bulwark::kube
