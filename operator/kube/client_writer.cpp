#include "operator/kube/client_writer.h"

#include "operator/document/json_writer.h"

namespace bulwark::kube {

using document::Value;

namespace {

bool is_not_found(const ApiError& e) { return e.error_class() == ErrorClass::kNotFound; }

}  // namespace

KubeClient::Timeout ClientWriter::admit(std::string_view what) const {
  if (fence_ == nullptr) return {};
  const auto left = fence_->time_left();
  if (left <= std::chrono::milliseconds::zero()) {
    throw NotLeadingError(std::string(what) +
                          " not sent: this replica can no longer prove it leads");
  }
  return left;
}

Value ClientWriter::create(const ResourceType& type, const std::string& ns, const Value& object) {
  const auto timeout = admit("create " + type.resource);
  return client_.create(type, ns, document::to_json(object), timeout);
}

std::optional<Value> ClientWriter::merge_patch(const ResourceType& type, const std::string& ns,
                                               const std::string& name, const MergePatch& patch) {
  try {
    const auto timeout = admit("patch " + type.resource + " " + name);
    return client_.merge_patch(type, ns, name, patch.json(), timeout);
  } catch (const ApiError& e) {
    if (is_not_found(e)) return std::nullopt;
    throw;
  }
}

Value ClientWriter::apply(const ResourceType& type, const std::string& ns, const std::string& name,
                          const Value& intent, const std::string& field_manager, bool force) {
  const auto timeout = admit("apply " + type.resource + " " + name);
  return client_.apply(type, ns, name, document::to_json(intent), field_manager, force, timeout);
}

bool ClientWriter::remove(const ResourceType& type, const std::string& ns, const std::string& name,
                          const Preconditions& preconditions) {
  try {
    const auto timeout = admit("delete " + type.resource + " " + name);
    client_.remove(type, ns, name, preconditions.uid, preconditions.resource_version, timeout);
    return true;
  } catch (const ApiError& e) {
    if (is_not_found(e)) return false;
    throw;
  }
}

std::optional<Value> ClientWriter::update_status(const ResourceType& type, const std::string& ns,
                                                 const std::string& name, const Value& object) {
  try {
    const auto timeout = admit("status of " + type.resource + " " + name);
    return client_.update_status(type, ns, name, document::to_json(object), timeout);
  } catch (const ApiError& e) {
    if (is_not_found(e)) return std::nullopt;
    throw;
  }
}

}  // namespace bulwark::kube
