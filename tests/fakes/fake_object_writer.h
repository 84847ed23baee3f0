#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "operator/document/json_writer.h"
#include "operator/kube/api_error.h"
#include "operator/kube/object_writer.h"

namespace bulwark::testing {

// One write a reconciler made, as typed values.
struct WriteCall {
  enum class Verb { kCreate, kMergePatch, kApply, kRemove };
  Verb verb = Verb::kCreate;
  std::string resource;  // "deployments"
  std::string ns;
  std::string name;                   // empty for a create with generateName
  document::Value body;               // the object, patch or apply intent; null for a remove
  std::string field_manager;          // apply
  bool force = false;                 // apply
  kube::Preconditions preconditions;  // remove

  // "deployments/shop/cart", or "namespaces/shop" for a cluster-scoped object.
  std::string target() const { return resource + "/" + (ns.empty() ? "" : ns + "/") + name; }
  std::string json() const { return document::to_json(body); }
};

// The one fake of kube::ObjectWriter: records every call, answers with the body it was given
// (created objects get a uid), reports targets marked gone as not found, and throws the errors
// the test queued, in order.
class FakeObjectWriter : public kube::ObjectWriter {
 public:
  void fail_next(kube::ApiError error) {
    std::lock_guard lock(mu_);
    failures_.push_back(std::move(error));
  }
  void mark_gone(const std::string& target) {
    std::lock_guard lock(mu_);
    gone_.insert(target);
  }
  std::vector<WriteCall> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<WriteCall> take_calls() {
    std::lock_guard lock(mu_);
    return std::exchange(calls_, {});
  }

  document::Value create(const kube::ResourceType& type, const std::string& ns,
                         const document::Value& object) override {
    const document::Value* name = object.find({"metadata", "name"});
    record({WriteCall::Verb::kCreate,
            type.resource,
            ns,
            name ? std::string(name->str()) : "",
            object,
            "",
            false,
            {}});
    document::Value created = object;
    created.child("metadata").set("uid", document::Value::string("uid-created"));
    return created;
  }
  std::optional<document::Value> merge_patch(const kube::ResourceType& type, const std::string& ns,
                                             const std::string& name,
                                             const kube::MergePatch& patch) override {
    tell_before_answer();
    if (!record(
            {WriteCall::Verb::kMergePatch, type.resource, ns, name, patch.body(), "", false, {}})) {
      return std::nullopt;
    }
    // As the API server answers: the object at the version the patch made.
    return at_next_version(patch.body());
  }
  // Called with the version each merge patch or apply would make before it answers (or fails):
  // what a watch faster than the answer delivers meanwhile.
  void before_answer(std::function<void(const std::string& version)> told) {
    std::lock_guard lock(mu_);
    before_answer_ = std::move(told);
  }
  document::Value apply(const kube::ResourceType& type, const std::string& ns,
                        const std::string& name, const document::Value& intent,
                        const std::string& field_manager, bool force) override {
    tell_before_answer();
    record({WriteCall::Verb::kApply, type.resource, ns, name, intent, field_manager, force, {}});
    document::Value applied = intent;
    applied.child("metadata").set("uid", document::Value::string("uid-" + name));
    return at_next_version(std::move(applied));
  }
  bool remove(const kube::ResourceType& type, const std::string& ns, const std::string& name,
              const kube::Preconditions& preconditions) override {
    return record(
        {WriteCall::Verb::kRemove, type.resource, ns, name, {}, "", false, preconditions});
  }

 private:
  // What a watch faster than the answer (or the failure) delivers meanwhile: the version the
  // write would make.
  void tell_before_answer() {
    std::function<void(const std::string& version)> told;
    std::string version;
    {
      std::lock_guard lock(mu_);
      told = before_answer_;
      version = std::to_string(next_version_);
    }
    if (told) told(version);
  }
  document::Value at_next_version(document::Value object) {
    std::lock_guard lock(mu_);
    object.child("metadata")
        .set("resourceVersion", document::Value::string(std::to_string(next_version_++)));
    return object;
  }
  // Records the call; throws a queued failure; false when the target is gone.
  bool record(WriteCall call) {
    std::lock_guard lock(mu_);
    const std::string target = call.target();
    calls_.push_back(std::move(call));
    if (!failures_.empty()) {
      kube::ApiError e = failures_.front();
      failures_.pop_front();
      throw e;
    }
    return gone_.count(target) == 0;
  }

  mutable std::mutex mu_;
  std::vector<WriteCall> calls_;
  std::deque<kube::ApiError> failures_;
  std::set<std::string> gone_;
  long next_version_ = 100;  // what the next merge patch or apply answers with
  std::function<void(const std::string& version)> before_answer_;
};

}  // namespace bulwark::testing
