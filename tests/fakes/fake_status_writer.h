#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operator/kube/api_error.h"
#include "operator/kube/object_writer.h"

namespace bulwark::testing {

// One status write, as typed values.
struct StatusCall {
  std::string resource;
  std::string ns;
  std::string name;
  document::Value object;  // the whole object sent, status included
  const document::Value* status() const { return object.find("status"); }
};

// The one fake of kube::StatusWriter: records every write and throws the errors the test queued.
class FakeStatusWriter : public kube::StatusWriter {
 public:
  void fail_next(kube::ApiError error) {
    std::lock_guard lock(mu_);
    failures_.push_back(std::move(error));
  }
  std::vector<StatusCall> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<StatusCall> take_calls() {
    std::lock_guard lock(mu_);
    return std::exchange(calls_, {});
  }

  std::optional<document::Value> update_status(const kube::ResourceType& type,
                                               const std::string& ns, const std::string& name,
                                               const document::Value& object) override {
    std::lock_guard lock(mu_);
    calls_.push_back({type.resource, ns, name, object});
    if (!failures_.empty()) {
      kube::ApiError e = failures_.front();
      failures_.pop_front();
      throw e;
    }
    return object;
  }

 private:
  mutable std::mutex mu_;
  std::vector<StatusCall> calls_;
  std::deque<kube::ApiError> failures_;
};

}  // namespace bulwark::testing
