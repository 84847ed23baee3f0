#include "app/admission/review_handler.h"

#include "app/admission/decide.h"
#include "operator/logging/logging.h"

namespace bulwark::admission {

namespace {

// What a review's parsed tree may take (see handle()), and what a review is charged to the
// memory budget for: the tree, and half of it again while a vector grows.
constexpr std::size_t kParsedPerByte = 12;
constexpr std::size_t kParsedBase = 1u << 20;
constexpr std::size_t kReviewCostPerByte = 18;
constexpr std::size_t kReviewCostBase = 2u << 20;

server::Reply json_reply(const std::string& body) {
  return server::Reply{200, "application/json", body};
}

}  // namespace

ReviewHandler::ReviewHandler(ReviewHandlerOptions options, reconcilers::PolicySet& policies,
                             const runtime::CacheReader& namespaces, std::function<bool()> synced,
                             base::Clock& clock, ReviewObserver observer)
    : options_(std::move(options)),
      policies_(policies),
      namespaces_(namespaces),
      synced_(std::move(synced)),
      clock_(clock),
      observer_(std::move(observer)),
      budget_(options_.review_memory_budget),
      fail_closed_(options_.fail_closed) {}

// A review's parsed tree may take at most kParsedPerByte times its body (real objects take 6 to
// 11: 3,000 Deployments with their managedFields 9.1, a managedFields-like map 11.3; a dense
// array of zeros would take 46); with the tree's growth (half of it, while a vector moves) and
// the body itself, one review holds at most about 19 times its body, reserved from the budget
// before parsing (docs/api.md, Admission under attack).
// Untrusted sources (any but the API server's addresses, when the config names them) leave the
// reserve free: a pod posting made-up reviews of 6.5 MiB cannot shed the API server's.
server::Reply ReviewHandler::handle(const server::Request& request) {
  const auto start = clock_.now();
  const std::size_t body = request.body.size();
  const std::size_t cost = kReviewCostPerByte * body + kReviewCostBase;
  if (!budget_.take(cost, request.trusted ? 0 : options_.trusted_reserve)) {
    // Unparsed, there is no uid to answer: 503, and the API server applies the failure policy.
    logging::warn("admission: a review of " + std::to_string(body) + " bytes from " +
                  request.source + " does not fit the memory budget now: shed");
    if (options_.on_shed) options_.on_shed();
    if (observer_) observer_("", "", "error", clock_.now() - start);
    return server::Reply{503, "text/plain", "busy: try again\n"};
  }
  const base::ByteBudget::Held held(budget_, cost);  // given back however this ends
  Review review;
  try {
    document::ReadLimits limits;
    limits.max_expanded_bytes = kParsedPerByte * body + kParsedBase;
    review = parse_review(request.body, limits);
  } catch (const std::exception& e) {  // BadReview, or what reading could throw besides
    if (observer_) observer_("", "", "error", clock_.now() - start);
    return server::Reply{400, "text/plain", std::string(e.what()) + "\n"};
  }
  return answer(review);
}

// The decision, or, when the webhook cannot judge (caches not synced, a failure), the answer
// the failure policy gives: Ignore admits with a warning, Fail refuses.
server::Reply ReviewHandler::answer(const Review& review) {
  const auto start = clock_.now();
  std::string why, detail;  // `why` is said to the requester; `detail` only logged
  Decision decision;
  if (!synced_()) {
    why = "its caches have not synced yet";
  } else {
    try {
      const auto snapshot = policies_.current();
      const auto ns = namespaces_.get(review.namespace_name);
      const crds::Labels labels = ns ? reconcilers::labels_of(*ns) : crds::Labels{};
      Context context{snapshot.get(),    ns ? &labels : nullptr, options_.never_touch,
                      clock_.wall_now(), options_.rbac,          options_.access,
                      options_.images,   options_.images_budget};
      decision = decide(review, context);
    } catch (const CannotJudge& e) {
      why = e.what();
    } catch (const std::exception& e) {
      why = "judging failed (the operator's log says why)";
      detail = e.what();
    }
  }
  std::string_view outcome = to_string(decision.outcome);
  if (!why.empty()) {
    logging::warn("admission: cannot judge " + review.kind + " " + review.namespace_name + "/" +
                  review.name + ": " + (detail.empty() ? why : detail));
    decision = Decision{};
    const std::string said = "Bulwark could not judge this request: " + why;
    if (fail_closed_) {
      decision.outcome = Decision::Outcome::kDenied;
      decision.message = said + " (failurePolicy Fail)";
    } else {
      decision.warnings.push_back(said + "; admitted (failurePolicy Ignore)");
    }
    outcome = "error";
  }
  if (observer_) observer_(review.operation, review.kind, outcome, clock_.now() - start);
  return json_reply(review_response(review.uid, decision));
}

}  // namespace bulwark::admission
