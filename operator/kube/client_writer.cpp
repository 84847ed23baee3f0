#include "operator/kube/client_writer.h"

#include "operator/document/json_writer.h"

namespace bulwark::kube {

using document::Value;

namespace {

bool is_not_found(const ApiError& e) { return e.error_class() == ErrorClass::kNotFound; }

}  // namespace

Value ClientWriter::create(const ResourceType& type, const std::string& ns, const Value& object) {
  return client_.create(type, ns, document::to_json(object));
}

std::optional<Value> ClientWriter::merge_patch(const ResourceType& type, const std::string& ns,
                                               const std::string& name, const MergePatch& patch) {
  try {
    return client_.merge_patch(type, ns, name, patch.json());
  } catch (const ApiError& e) {
    if (is_not_found(e)) return std::nullopt;
    throw;
  }
}

Value ClientWriter::apply(const ResourceType& type, const std::string& ns, const std::string& name,
                          const Value& intent, const std::string& field_manager, bool force) {
  return client_.apply(type, ns, name, document::to_json(intent), field_manager, force);
}

bool ClientWriter::remove(const ResourceType& type, const std::string& ns, const std::string& name,
                          const Preconditions& preconditions) {
  try {
    client_.remove(type, ns, name, preconditions.uid, preconditions.resource_version);
    return true;
  } catch (const ApiError& e) {
    if (is_not_found(e)) return false;
    throw;
  }
}

std::optional<Value> ClientWriter::update_status(const ResourceType& type, const std::string& ns,
                                                 const std::string& name, const Value& object) {
  try {
    return client_.update_status(type, ns, name, document::to_json(object));
  } catch (const ApiError& e) {
    if (is_not_found(e)) return std::nullopt;
    throw;
  }
}

}  // namespace bulwark::kube
