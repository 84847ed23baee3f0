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
  const auto e = make_event({"apps/v1", "Deployment", "shop", "cart", "uid-1"}, EventType::kWarning,
                            event_reasons::kQuarantined, "labelled 2 pods", now);
  EXPECT_EQ(document::to_json(e),
            R"({"apiVersion":"v1","kind":"Event","metadata":{"generateName":"cart.",)"
            R"("namespace":"shop"},"involvedObject":{"apiVersion":"apps/v1","kind":"Deployment",)"
            R"("namespace":"shop","name":"cart","uid":"uid-1"},"type":"Warning",)"
            R"("reason":"Quarantined","message":"labelled 2 pods",)"
            R"("source":{"component":"bulwark"},"reportingComponent":"bulwark",)"
            R"("firstTimestamp":"2027-01-15T08:00:00Z","lastTimestamp":"2027-01-15T08:00:00Z",)"
            R"("count":1})");
}

TEST(Events, ClusterScopedObjectsGetTheirEventsInDefault) {
  const auto e =
      make_event({"bulwark.dev/v1alpha1", "SecurityPolicy", "", "p", "u"}, EventType::kNormal,
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
  EXPECT_NO_THROW(recorder.record({"v1", "Pod", "shop", "p", "u"}, EventType::kWarning,
                                  event_reasons::kPolicyViolation, "m"));
  recorder.record({"v1", "Pod", "shop", "p", "u"}, EventType::kWarning,
                  event_reasons::kPolicyViolation, "m");
  const auto calls = writer.calls();
  ASSERT_EQ(calls.size(), 2u);  // one attempt each: no retry
  EXPECT_EQ(calls[1].target(), "events/shop/");
  EXPECT_EQ(calls[1].body.find("reason")->str(), "PolicyViolation");
}

}  // namespace
}  // namespace bulwark::reconcilers
