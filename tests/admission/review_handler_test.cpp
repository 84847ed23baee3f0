// The webhook's handler: a review answered with the decision, a body that is not a review a 400,
// a dense one refused within its memory bound, one beyond the memory budget shed, and, when it
// cannot judge (caches not synced), the answer the configuration's failure policy gives, counted
// as an error.
#include "app/admission/review_handler.h"

#include <gtest/gtest.h>

#include "operator/document/reader.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"

namespace bulwark::admission {
namespace {

const char* const kReview =
    R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-7",
        "kind":{"group":"apps","version":"v1","kind":"Deployment"},"operation":"CREATE","namespace":"shop",
        "name":"web","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
        "spec":{"template":{"spec":{"containers":[{"name":"a","image":"r.example.com/a:1","securityContext":{"privileged":true}}]}}}}}})";

class ReviewHandlerTest : public ::testing::Test {
 protected:
  ReviewHandlerTest() {
    policies_cache.put_json(
        R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy","metadata":{"name":"deny","uid":"u","generation":1},
            "spec":{"podSecurity":{"level":"baseline"},"enforcement":{"mode":"Enforce","actions":["Deny"]}}})");
    namespaces.put_json(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}})");
  }
  std::unique_ptr<ReviewHandler> handler(bool fail_closed = false,
                                         std::size_t budget = kReviewMemoryBudget) {
    ReviewHandlerOptions o;
    o.fail_closed = fail_closed;
    o.review_memory_budget = budget;
    return std::make_unique<ReviewHandler>(
        o, policy_set, namespaces, [this] { return synced; }, clock,
        [this](const std::string&, const std::string&, std::string_view decision,
               base::Clock::Duration) { decisions.emplace_back(decision); });
  }
  server::Reply reply(ReviewHandler& h, const std::string& body) {
    server::Request r;
    r.method = "POST";
    r.path = "/validate";
    r.body = body;
    return h.handle(r);
  }
  document::Value post(ReviewHandler& h, const std::string& body) {
    const auto answer = reply(h, body);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return document::parse_json(answer.body);
  }

  testing::FakeClock clock;
  testing::FakeCache policies_cache, namespaces;
  reconcilers::PolicySet policy_set{policies_cache};
  bool synced = true;
  std::vector<std::string> decisions;
};

TEST_F(ReviewHandlerTest, AReviewIsAnsweredWithTheDecision) {
  auto h = handler();
  const auto answer = post(*h, kReview);
  EXPECT_EQ(answer.find({"response", "uid"})->str(), "u-7");
  EXPECT_EQ(answer.find({"response", "allowed"})->as_bool(), false);
  EXPECT_EQ(decisions, std::vector<std::string>{"denied"});
}

TEST_F(ReviewHandlerTest, ABodyThatIsNotAReviewIs400AndCounted) {
  auto h = handler();
  EXPECT_EQ(reply(*h, "{not json").status, 400);
  EXPECT_EQ(reply(*h, R"({"apiVersion":"v1","kind":"Pod"})").status, 400);
  EXPECT_EQ(decisions, (std::vector<std::string>{"error", "error"}));
}

TEST_F(ReviewHandlerTest, UnsyncedCachesAdmitWithAWarningUnderIgnore) {
  synced = false;
  auto h = handler(false);
  const auto answer = post(*h, kReview);
  EXPECT_EQ(answer.find({"response", "allowed"})->as_bool(), true);
  ASSERT_NE(answer.find({"response", "warnings"}), nullptr);
  EXPECT_NE(answer.find({"response", "warnings"})->items[0].str().find("could not judge"),
            std::string::npos);
  EXPECT_EQ(decisions, std::vector<std::string>{"error"});
}

TEST_F(ReviewHandlerTest, UnsyncedCachesRefuseUnderFailAsTheConfigurationSays) {
  synced = false;
  auto h = handler(false);
  h->set_fail_closed(true);  // the configuration's failurePolicy, read since
  const auto answer = post(*h, kReview);
  EXPECT_EQ(answer.find({"response", "allowed"})->as_bool(), false);
  EXPECT_NE(answer.find({"response", "status", "message"})->str().find("failurePolicy Fail"),
            std::string::npos);
  EXPECT_EQ(decisions, std::vector<std::string>{"error"});
}

// The review of the attack that OOM-killed the operator: 4 MB whose object holds 1,990,000 zeros
// (46 times its size once parsed). The tree stops at 12 times the body: a 400, and the API
// server applies the failure policy.
TEST_F(ReviewHandlerTest, ADenseReviewIsRefusedWithinTwelveTimesItsSize) {
  std::string zeros = "0";
  for (int i = 1; i < 1'990'000; ++i) zeros += ",0";
  std::string body = kReview;
  body.replace(body.find(R"("spec":{)"), 0, R"("x":[)" + zeros + "],");
  auto h = handler();
  const auto answer = reply(*h, body);
  EXPECT_EQ(answer.status, 400);
  EXPECT_NE(answer.body.find("parsed"), std::string::npos) << answer.body.substr(0, 200);
  EXPECT_EQ(decisions, std::vector<std::string>{"error"});
  EXPECT_EQ(h->bytes_in_flight(), 0u);                                           // given back
  EXPECT_EQ(post(*h, kReview).find({"response", "allowed"})->as_bool(), false);  // and goes on
}

// With apiServerSources set, the other sources leave a reserve of the budget free: a pod posting
// made-up reviews cannot shed the API server's.
TEST_F(ReviewHandlerTest, OnlyTrustedSourcesTakeTheReserve) {
  ReviewHandlerOptions o;
  o.review_memory_budget = 3u << 20;  // one review's charge (2 MiB and some) fits once
  o.trusted_reserve = 2u << 20;
  int shed = 0;
  o.on_shed = [&] { ++shed; };
  ReviewHandler h(
      o, policy_set, namespaces, [] { return true; }, clock);
  server::Request r;
  r.method = "POST";
  r.body = kReview;
  r.trusted = false;  // as the server marks a source outside apiServerSources
  EXPECT_EQ(h.handle(r).status, 503);
  EXPECT_EQ(shed, 1);
  r.trusted = true;
  EXPECT_EQ(h.handle(r).status, 200);
}

// Reviews in flight share a memory budget: one that does not fit is shed with 503 (there is no
// uid to answer without parsing), and counted.
TEST_F(ReviewHandlerTest, AReviewBeyondTheMemoryBudgetIsShed) {
  auto h = handler(false, 2u << 20);  // less than one review's charge
  EXPECT_EQ(reply(*h, kReview).status, 503);
  EXPECT_EQ(decisions, std::vector<std::string>{"error"});
}

}  // namespace
}  // namespace bulwark::admission
