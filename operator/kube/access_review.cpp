#include "operator/kube/access_review.h"

#include "operator/document/json_writer.h"
#include "operator/kube/resource_type.h"

namespace bulwark::kube {

using document::Value;

namespace {

// How long a review may take: a scrape waits for it.
constexpr KubeClient::Timeout kReviewTimeout = std::chrono::seconds(10);

Value review(std::string_view api_version, std::string_view kind) {
  Value v = Value::object();
  v.set("apiVersion", Value::string(api_version));
  v.set("kind", Value::string(kind));
  return v;
}

}  // namespace

std::optional<server::User> ApiAccessReviewer::authenticate(const std::string& token) {
  Value body = review("authentication.k8s.io/v1", "TokenReview");
  body.child("spec").set("token", Value::string(token));
  const Value answer =
      client_.create(resources::kTokenReviews, "", document::to_json(body), kReviewTimeout);
  const Value* status = answer.find("status");
  const Value* authenticated = status != nullptr ? status->find("authenticated") : nullptr;
  if (authenticated == nullptr || authenticated->as_bool() != true) return std::nullopt;
  server::User user;
  if (const Value* u = status->find("user")) {
    if (const Value* name = u->find("username")) user.name = name->str();
    if (const Value* uid = u->find("uid")) user.uid = uid->str();
    for (const auto& g : document::items_of(u->find("groups"))) user.groups.emplace_back(g.str());
  }
  return user;
}

bool ApiAccessReviewer::authorize(const server::User& user, const std::string& verb,
                                  const std::string& path) {
  Value body = review("authorization.k8s.io/v1", "SubjectAccessReview");
  Value& spec = body.child("spec");
  spec.set("user", Value::string(user.name));
  if (!user.uid.empty()) spec.set("uid", Value::string(user.uid));
  spec.set("groups", Value::array(user.groups));
  spec.child("nonResourceAttributes")
      .set("path", Value::string(path))
      .set("verb", Value::string(verb));
  const Value answer =
      client_.create(resources::kSubjectAccessReviews, "", document::to_json(body), kReviewTimeout);
  const Value* status = answer.find("status");
  const Value* allowed = status != nullptr ? status->find("allowed") : nullptr;
  return allowed != nullptr && allowed->as_bool() == true;
}

bool self_allowed(KubeClient& client, const std::string& verb, const ResourceType& type) {
  Value body = review("authorization.k8s.io/v1", "SelfSubjectAccessReview");
  body.child("spec")
      .child("resourceAttributes")
      .set("verb", Value::string(verb))
      .set("group", Value::string(type.group))
      .set("resource", Value::string(type.resource));
  // Short: the answer only refreshes what is known, and a replica shutting down waits for it.
  const Value answer = client.create(resources::kSelfSubjectAccessReviews, "",
                                     document::to_json(body), std::chrono::seconds(2));
  const Value* allowed = answer.find({"status", "allowed"});
  return allowed != nullptr && allowed->as_bool() == true;
}

}  // namespace bulwark::kube
