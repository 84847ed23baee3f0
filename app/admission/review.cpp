#include "app/admission/review.h"

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"

namespace bulwark::admission {

using document::Value;

namespace {

std::string scalar_at(const Value& node, std::initializer_list<std::string_view> path) {
  const Value* v = node.find(path);
  return v != nullptr && v->is_scalar() ? std::string(v->str()) : std::string();
}

std::string required(const Value& request, std::initializer_list<std::string_view> path,
                     std::string_view name) {
  std::string text = scalar_at(request, path);
  if (text.empty()) throw BadReview("the AdmissionReview's request has no " + std::string(name));
  return text;
}

// The member `key` of a mapping, to move from; nullptr when absent.
Value* member(Value& v, std::string_view key) {
  for (auto& m : v.members) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

}  // namespace

Review parse_review(const std::string& body, const document::ReadLimits& limits) {
  Value root;
  try {
    root = document::parse_json(body, limits);
  } catch (const document::ParseError& e) {
    throw BadReview(std::string("the body is not JSON: ") + e.what());
  }
  if (!root.is_mapping()) throw BadReview("the body is not a JSON object");
  const std::string api_version = scalar_at(root, {"apiVersion"});
  const std::string kind = scalar_at(root, {"kind"});
  if (api_version != "admission.k8s.io/v1" || kind != "AdmissionReview") {
    throw BadReview("expected an admission.k8s.io/v1 AdmissionReview, not " +
                    (api_version.empty() ? std::string("(no apiVersion)") : api_version) + " " +
                    (kind.empty() ? std::string("(no kind)") : kind));
  }
  Value* request = member(root, "request");
  if (request == nullptr || !request->is_mapping()) {
    throw BadReview("the AdmissionReview has no request");
  }
  Review r;
  r.uid = required(*request, {"uid"}, "uid");
  r.kind = required(*request, {"kind", "kind"}, "kind.kind");
  r.operation = required(*request, {"operation"}, "operation");
  r.sub_resource = scalar_at(*request, {"subResource"});
  r.namespace_name = scalar_at(*request, {"namespace"});
  r.name = scalar_at(*request, {"name"});
  r.user = scalar_at(*request, {"userInfo", "username"});
  // Moved, never copied: the objects are most of the review's memory.
  if (Value* o = member(*request, "object"); o != nullptr) r.object = std::move(*o);
  if (Value* o = member(*request, "oldObject"); o != nullptr) r.old_object = std::move(*o);
  if ((r.operation == "CREATE" || r.operation == "UPDATE") && !r.object.is_mapping()) {
    throw BadReview("the AdmissionReview's " + r.operation + " request has no object");
  }
  return r;
}

std::string_view to_string(Decision::Outcome outcome) {
  switch (outcome) {
    case Decision::Outcome::kAllowed:
      return "allowed";
    case Decision::Outcome::kWarned:
      return "warned";
    case Decision::Outcome::kDenied:
      return "denied";
  }
  return "allowed";
}

std::string review_response(const std::string& uid, const Decision& decision) {
  Value review = Value::object();
  review.set("apiVersion", Value::string("admission.k8s.io/v1"));
  review.set("kind", Value::string("AdmissionReview"));
  Value& response = review.child("response");
  response.set("uid", Value::string(uid));
  response.set("allowed", Value::boolean(decision.allowed()));
  if (!decision.allowed()) {
    response.child("status")
        .set("code", Value::integer(403))
        .set("reason", Value::string("Forbidden"))
        .set("message", Value::string(decision.message));
  }
  if (!decision.warnings.empty()) response.set("warnings", Value::array(decision.warnings));
  return document::to_json(review);
}

}  // namespace bulwark::admission
