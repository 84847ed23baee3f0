#include "operator/kube/api_error.h"

#include "operator/document/reader.h"

namespace bulwark::kube {

ErrorClass classify_status(int status) {
  switch (status) {
    case 404:
      return ErrorClass::kNotFound;
    case 409:
      return ErrorClass::kConflict;
    case 410:
      return ErrorClass::kGone;
    case 401:
      return ErrorClass::kUnauthorized;
    case 403:
      return ErrorClass::kForbidden;
    case 400:
    case 422:
      return ErrorClass::kInvalid;
    case 429:
      return ErrorClass::kRetryable;
    default:
      return status >= 500 ? ErrorClass::kRetryable : ErrorClass::kOther;
  }
}

std::string_view to_string(ErrorClass c) {
  switch (c) {
    case ErrorClass::kNotFound:
      return "NotFound";
    case ErrorClass::kConflict:
      return "Conflict";
    case ErrorClass::kGone:
      return "Gone";
    case ErrorClass::kRetryable:
      return "Retryable";
    case ErrorClass::kUnauthorized:
      return "Unauthorized";
    case ErrorClass::kForbidden:
      return "Forbidden";
    case ErrorClass::kInvalid:
      return "Invalid";
    case ErrorClass::kOther:
      return "Other";
  }
  return "Other";
}

ApiError ApiError::from_response(int status, const std::string& body, const std::string& request) {
  std::string reason, message;
  try {
    const document::Value v = document::parse_json(body);
    if (v.find("kind") != nullptr && v.find("kind")->str() == "Status") {
      if (const auto* r = v.find("reason")) reason = std::string(r->str());
      if (const auto* m = v.find("message")) message = std::string(m->str());
    }
  } catch (const document::ParseError&) {
    // Not a Status object (a proxy's error page, say): report the raw body below.
  }
  if (message.empty()) message = body.size() > 200 ? body.substr(0, 200) + "..." : body;
  return ApiError(status, reason,
                  request + ": " + std::to_string(status) + (reason.empty() ? "" : " " + reason) +
                      ": " + message);
}

}  // namespace bulwark::kube
