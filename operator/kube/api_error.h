#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace bulwark::kube {

// What a caller should do about a failed request. The one place API errors are classified
// (docs/architecture.md): 404 ignore, 409 requeue, 410 relist, 429/5xx and broken connections back
// off, 400/422 terminal (the controller forgets the key: operator/runtime/controller.h).
enum class ErrorClass {
  kNotFound,      // 404: the object is gone; nothing to do
  kConflict,      // 409: stale resourceVersion or already exists; requeue and re-read
  kGone,          // 410: the resourceVersion is too old; relist
  kRetryable,     // 429, 5xx, or the connection failed; back off and retry
  kUnauthorized,  // 401: credentials rejected
  kForbidden,     // 403: RBAC says no
  kInvalid,       // 400, 422: the request is wrong; retrying will not help
  kOther,
};
ErrorClass classify_status(int status);
std::string_view to_string(ErrorClass c);

// A request the API server refused, with what its Status body said. code 0 means the
// connection itself failed.
class ApiError : public std::runtime_error {
 public:
  ApiError(int code, std::string reason, const std::string& message)
      : std::runtime_error(message), code_(code), reason_(std::move(reason)) {}
  // Reads a metav1.Status body; falls back to the raw body when it is not one.
  static ApiError from_response(int status, const std::string& body, const std::string& request);

  int code() const { return code_; }
  const std::string& reason() const { return reason_; }  // "NotFound", "Conflict", "Expired"...
  ErrorClass error_class() const {
    return code_ == 0 ? ErrorClass::kRetryable : classify_status(code_);
  }

 private:
  int code_;
  std::string reason_;
};

}  // namespace bulwark::kube
