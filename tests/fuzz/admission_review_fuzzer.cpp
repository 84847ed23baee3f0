// The webhook's parser and decision on any body: a BadReview or a decision, never a crash, and
// the answer always JSON that carries the request's uid.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "app/admission/decide.h"
#include "operator/document/reader.h"

namespace {

// One policy that judges everything at restricted, refusing under Deny.
const std::vector<bulwark::reconcilers::LoadedPolicy>& policies() {
  static const auto loaded = [] {
    bulwark::reconcilers::LoadedPolicy p;
    p.policy.name = "fuzz";
    p.policy.spec.enforcement.mode = bulwark::crds::EnforcementMode::kEnforce;
    p.policy.spec.enforcement.actions = {bulwark::crds::EnforcementAction::kDeny};
    p.evaluator = std::make_shared<bulwark::posture::PolicyEvaluator>(p.policy.spec);
    return std::vector<bulwark::reconcilers::LoadedPolicy>{std::move(p)};
  }();
  return loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > (1u << 20)) return 0;
  const std::string body(reinterpret_cast<const char*>(data), size);
  bulwark::admission::Review review;
  try {
    review = bulwark::admission::parse_review(body);
  } catch (const bulwark::admission::BadReview&) {
    return 0;
  }
  const bulwark::crds::Labels labels{{"team", "a"}};
  bulwark::admission::Context context{&policies(), &labels, {"bulwark-system"}, {}};
  const auto decision = bulwark::admission::decide(review, context);
  const auto answer =
      bulwark::document::parse_json(bulwark::admission::review_response(review.uid, decision));
  const auto* uid = answer.find({"response", "uid"});
  if (uid == nullptr || uid->str() != review.uid) std::abort();
  return 0;
}
