// Events: the core/v1 object Bulwark records, and that a failed write is dropped, never retried.
#include "reconcilers/events.h"

#include <gtest/gtest.h>

#include "operator/document/json_writer.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_object_writer.h"

namespace bulwark::reconcilers {
namespace {

TEST(Events, TheEventNamesItsObjectAndReason) {
  const auto now = std::chrono::system_clock::from_time_t(1800000000);
  const auto e =
      make_event({"apps/v1", "Deployment", "shop", "cart", "uid-1", "41"}, EventType::kWarning,
                 event_reasons::kQuarantined, "labelled 2 pods", now);
  EXPECT_EQ(document::to_json(e),
            R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"cart.307a6f272de725e2",)"
            R"("namespace":"shop"},"involvedObject":{"apiVersion":"apps/v1","kind":"Deployment",)"
            R"("namespace":"shop","name":"cart","uid":"uid-1","resourceVersion":"41"},)"
            R"("type":"Warning",)"
            R"("reason":"Quarantined","message":"labelled 2 pods",)"
            R"("source":{"component":"bulwark"},"reportingComponent":"bulwark",)"
            R"("firstTimestamp":"2027-01-15T08:00:00Z","lastTimestamp":"2027-01-15T08:00:00Z",)"
            R"("count":1})");
}

// The same change recorded twice gets the same name (the API server refuses the second with 409);
// another reason, another version judged or another object gets another.
TEST(Events, NamesAreDeterministic) {
  const ObjectRef cart{"apps/v1", "Deployment", "shop", "cart", "uid-1", "41"};
  EXPECT_EQ(event_name(cart, event_reasons::kQuarantined),
            event_name(cart, event_reasons::kQuarantined));
  EXPECT_NE(event_name(cart, event_reasons::kQuarantined),
            event_name(cart, event_reasons::kPolicyViolation));
  ObjectRef later = cart;
  later.resource_version = "42";
  EXPECT_NE(event_name(later, event_reasons::kQuarantined),
            event_name(cart, event_reasons::kQuarantined));
  ObjectRef other = cart;
  other.uid = "uid-2";
  EXPECT_NE(event_name(other, event_reasons::kQuarantined),
            event_name(cart, event_reasons::kQuarantined));
  ObjectRef long_name = cart;
  long_name.name = std::string(300, 'a');
  EXPECT_EQ(event_name(long_name, event_reasons::kQuarantined).size(), 253u);
}

TEST(Events, ARecordAlreadyMadeIsNoFailure) {
  testing::FakeClock clock;
  testing::FakeObjectWriter writer;
  ApiEventRecorder recorder(writer, clock);
  writer.fail_next(kube::ApiError(409, "AlreadyExists", "events \"cart.x\" already exists"));
  EXPECT_NO_THROW(recorder.record({"v1", "Pod", "shop", "p", "u", "3"}, EventType::kWarning,
                                  event_reasons::kPolicyViolation, "m"));
}

TEST(Events, ClusterScopedObjectsGetTheirEventsInDefault) {
  const auto e =
      make_event({"bulwark.dev/v1alpha1", "SecurityPolicy", "", "p", "u", "1"}, EventType::kNormal,
                 event_reasons::kReleased, "m", std::chrono::system_clock::now());
  EXPECT_EQ(e.find({"metadata", "namespace"})->str(), "default");
  EXPECT_EQ(e.find({"involvedObject", "namespace"})->str(), "");
  EXPECT_EQ(e.find("type")->str(), "Normal");
}

TEST(Events, AFailedWriteIsDroppedNotThrown) {
  testing::FakeClock clock;
  testing::FakeObjectWriter writer;
  ApiEventRecorder recorder(writer, clock);
  writer.fail_next(kube::ApiError(403, "Forbidden", "events is forbidden"));
  EXPECT_NO_THROW(recorder.record({"v1", "Pod", "shop", "p", "u", "3"}, EventType::kWarning,
                                  event_reasons::kPolicyViolation, "m"));
  recorder.record({"v1", "Pod", "shop", "p", "u", "3"}, EventType::kWarning,
                  event_reasons::kPolicyViolation, "m");
  const auto calls = writer.calls();
  ASSERT_EQ(calls.size(), 2u);  // one attempt each: no retry
  EXPECT_EQ(calls[1].target(), "events/shop/" + event_name({"v1", "Pod", "shop", "p", "u", "3"},
                                                           event_reasons::kPolicyViolation));
  EXPECT_EQ(calls[1].body.find("reason")->str(), "PolicyViolation");
}

}  // namespace
}  // namespace bulwark::reconcilers
