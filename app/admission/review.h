#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "operator/document/reader.h"
#include "operator/document/value.h"

namespace bulwark::admission {

// What Bulwark reads of an admission.k8s.io/v1 AdmissionReview's request.
struct Review {
  std::string uid;
  std::string kind;          // request.kind.kind: "Deployment", "Pod", ...
  std::string operation;     // CREATE, UPDATE, DELETE, CONNECT
  std::string sub_resource;  // "" or, for instance, "ephemeralcontainers"
  std::string namespace_name;
  std::string name;
  std::string user;            // request.userInfo.username
  document::Value object;      // null when absent (DELETE)
  document::Value old_object;  // null when absent (CREATE)
};

// A body that is not an AdmissionReview Bulwark can answer: the webhook answers 400 with this
// message (the API server then applies the configuration's failurePolicy).
class BadReview : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses the body of a POST to /validate within `limits`. Throws BadReview naming what is wrong:
// not JSON (or beyond the limits), not admission.k8s.io/v1 AdmissionReview, no request, no uid,
// kind or operation.
Review parse_review(const std::string& body, const document::ReadLimits& limits = {});

// The answer to a review.
struct Decision {
  enum class Outcome { kAllowed, kWarned, kDenied };
  Outcome outcome = Outcome::kAllowed;
  std::string message;                // why it is refused (kDenied)
  std::vector<std::string> warnings;  // printed by kubectl (kWarned, and beside kDenied)
  bool allowed() const { return outcome != Outcome::kDenied; }
};
std::string_view to_string(Decision::Outcome outcome);  // "allowed", "warned", "denied"

// The AdmissionReview that answers request `uid` (JSON text).
std::string review_response(const std::string& uid, const Decision& decision);

}  // namespace bulwark::admission
