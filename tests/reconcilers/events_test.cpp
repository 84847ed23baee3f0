// Events: the core/v1 object Bulwark records, and that a failed write is dropped, never retried.
#include "reconcilers/events.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>

#include "operator/base/time_text.h"
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
            R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"cart.8a352b6ead07e31b",)"
            R"("namespace":"shop"},"involvedObject":{"apiVersion":"apps/v1","kind":"Deployment",)"
            R"("namespace":"shop","name":"cart","uid":"uid-1","resourceVersion":"41"},)"
            R"("type":"Warning",)"
            R"("reason":"Quarantined","message":"labelled 2 pods",)"
            R"("source":{"component":"bulwark"},"reportingComponent":"bulwark",)"
            R"("firstTimestamp":"2027-01-15T08:00:00Z","lastTimestamp":"2027-01-15T08:00:00Z",)"
            R"("count":1})");
}

// The same change recorded twice gets the same name (the API server refuses the second with 409);
// another reason, another version judged, another message or another object gets another.
TEST(Events, NamesAreDeterministic) {
  const ObjectRef cart{"apps/v1", "Deployment", "shop", "cart", "uid-1", "41"};
  EXPECT_EQ(event_name(cart, event_reasons::kQuarantined, "m"),
            event_name(cart, event_reasons::kQuarantined, "m"));
  EXPECT_NE(event_name(cart, event_reasons::kQuarantined, "m"),
            event_name(cart, event_reasons::kPolicyViolation, "m"));
  ObjectRef later = cart;
  later.resource_version = "42";
  EXPECT_NE(event_name(later, event_reasons::kQuarantined, "m"),
            event_name(cart, event_reasons::kQuarantined, "m"));
  ObjectRef other = cart;
  other.uid = "uid-2";
  EXPECT_NE(event_name(other, event_reasons::kQuarantined, "m"),
            event_name(cart, event_reasons::kQuarantined, "m"));
  // Another cause for the same reason on an unchanged object: told, not refused as a repeat.
  EXPECT_NE(event_name(cart, event_reasons::kQuarantined, "m2"),
            event_name(cart, event_reasons::kQuarantined, "m"));
  ObjectRef long_name = cart;
  long_name.name = std::string(300, 'a');
  EXPECT_EQ(event_name(long_name, event_reasons::kQuarantined, "m").size(), 253u);
}

// Polls `done` until it holds or two seconds pass.
bool eventually(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A 409 is the same change recorded before (a restart judging the same version): no failure, and
// the writer goes on to the next Event.
TEST(Events, ARecordAlreadyMadeIsNoFailure) {
  testing::FakeClock clock;
  testing::FakeObjectWriter writer;
  QueuedEventRecorder recorder(writer, clock, {100, 100, 100, {}});
  writer.fail_next(kube::ApiError(409, "AlreadyExists", "events \"cart.x\" already exists"));
  recorder.record({"v1", "Pod", "shop", "p", "u", "3"}, EventType::kWarning,
                  event_reasons::kPolicyViolation, "m");
  recorder.record({"v1", "Pod", "shop", "q", "u", "3"}, EventType::kWarning,
                  event_reasons::kPolicyViolation, "m");
  ASSERT_TRUE(eventually([&] { return writer.calls().size() == 2; }));
  EXPECT_EQ(recorder.dropped(), 0u);
}

TEST(Events, ClusterScopedObjectsGetTheirEventsInDefault) {
  const auto e =
      make_event({"bulwark.dev/v1alpha1", "SecurityPolicy", "", "p", "u", "1"}, EventType::kNormal,
                 event_reasons::kReleased, "m", std::chrono::system_clock::now());
  EXPECT_EQ(e.find({"metadata", "namespace"})->str(), "default");
  EXPECT_EQ(e.find({"involvedObject", "namespace"})->str(), "");
  EXPECT_EQ(e.find("type")->str(), "Normal");
}

// client-go's spam filter: 25 about one object for one reason, then one each five minutes.
TEST(Events, OneObjectsReasonIsHeardTwentyFiveTimesThenOnceInFiveMinutes) {
  EventSpamFilter filter({25, std::chrono::minutes(5), 2});
  const auto t0 = std::chrono::steady_clock::time_point{};
  for (int i = 0; i < 25; ++i) EXPECT_TRUE(filter.allow("cart/QuarantineNotEnforced", t0)) << i;
  EXPECT_FALSE(filter.allow("cart/QuarantineNotEnforced", t0));
  EXPECT_TRUE(filter.allow("cart/Quarantined", t0));  // another reason
  EXPECT_FALSE(filter.allow("cart/QuarantineNotEnforced", t0 + std::chrono::minutes(4)));
  EXPECT_TRUE(filter.allow("cart/QuarantineNotEnforced", t0 + std::chrono::minutes(9)));
  EXPECT_FALSE(filter.allow("cart/QuarantineNotEnforced", t0 + std::chrono::minutes(9)));
  // Two remembered: a third forgets the least recent, which starts afresh.
  EXPECT_TRUE(filter.allow("web/Quarantined", t0));
  EXPECT_TRUE(filter.allow("cart/Quarantined", t0));
  EXPECT_TRUE(filter.allow("cart/QuarantineNotEnforced", t0 + std::chrono::minutes(9)));

  testing::FakeClock clock;
  testing::FakeObjectWriter writer;
  QueuedEventRecorder recorder(writer, clock, {1000, 1000, 1000, {}});
  for (int i = 0; i < 26; ++i) {
    recorder.record({"apps/v1", "Deployment", "shop", "cart", "u", "1"}, EventType::kWarning,
                    event_reasons::kQuarantineNotEnforced, "m" + std::to_string(i));
  }
  EXPECT_EQ(recorder.dropped(), 1u);
  recorder.stop();
}

TEST(Events, AFailedWriteIsDroppedNotThrown) {
  testing::FakeClock clock;
  testing::FakeObjectWriter writer;
  QueuedEventRecorder recorder(writer, clock, {100, 100, 100, {}});
  writer.fail_next(kube::ApiError(403, "Forbidden", "events is forbidden"));
  recorder.record({"v1", "Pod", "shop", "p", "u", "3"}, EventType::kWarning,
                  event_reasons::kPolicyViolation, "m");
  recorder.record({"v1", "Pod", "shop", "p", "u", "3"}, EventType::kWarning,
                  event_reasons::kPolicyViolation, "m");
  ASSERT_TRUE(eventually([&] { return writer.calls().size() == 2; }));
  recorder.stop();
  const auto calls = writer.calls();
  ASSERT_EQ(calls.size(), 2u);  // one attempt each: no retry
  EXPECT_EQ(calls[1].target(), "events/shop/" + event_name({"v1", "Pod", "shop", "p", "u", "3"},
                                                           event_reasons::kPolicyViolation, "m"));
  EXPECT_EQ(calls[1].body.find("reason")->str(), "PolicyViolation");
}

// Queued Events are written in order, stamped with the time they were recorded (not written),
// no faster than their rate: five at 2 a second with a burst of 1 take two seconds of the clock.
// Each Event carries the time it was recorded, not written. The writer thread runs beside the
// records and its rate waits move the fake clock, so a record's time is known only as lying between
// the clock before and after the call (once this test compared them all with the time before the
// first record, and failed whenever the writer slept out a token before the last record).
TEST(QueuedEvents, WrittenInOrderAtTheirRateWithTheTimeRecorded) {
  testing::FakeClock clock;
  testing::FakeObjectWriter writer;
  const auto first_recorded = clock.wall_now();
  QueuedEventRecorder recorder(writer, clock, {2, 1, 100, {}});
  std::vector<std::pair<std::string, std::string>> recorded;  // the clock before and after
  for (int i = 0; i < 5; ++i) {
    const auto before = clock.wall_now();
    recorder.record({"v1", "Pod", "shop", "p" + std::to_string(i), "u", "3"}, EventType::kWarning,
                    event_reasons::kPolicyViolation, "m");
    recorded.emplace_back(base::format_rfc3339(before), base::format_rfc3339(clock.wall_now()));
  }
  ASSERT_TRUE(eventually([&] { return writer.calls().size() == 5; }));
  const auto calls = writer.calls();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(calls[i].body.find({"involvedObject", "name"})->str(), "p" + std::to_string(i));
    const std::string stamp(calls[i].body.find("firstTimestamp")->str());
    EXPECT_GE(stamp, recorded[i].first);  // RFC 3339 in one form sorts as time does
    EXPECT_LE(stamp, recorded[i].second);
  }
  // Five at two a second with a burst of one: the last is written two seconds after the first.
  EXPECT_GE(clock.wall_now() - first_recorded, std::chrono::seconds(2));
  EXPECT_EQ(recorder.dropped(), 0u);
}

// Past its capacity an Event about a namespaced object is folded into its namespace's (never
// dropped, never waited for); one about a cluster-scoped object is dropped and counted. Stopping
// drops what still waits. (A real clock: the writer thread sleeps out a rate of one Event in
// 1,000 s.)
TEST(QueuedEvents, PastCapacityEventsAreFoldedOrDroppedAndCounted) {
  base::RealClock clock;
  testing::FakeObjectWriter writer;
  int told = 0;
  auto recorder = std::make_unique<QueuedEventRecorder>(
      writer, clock, QueuedEventRecorder::Options{0.001, 1, 3, {}}, [&told] { ++told; });
  const ObjectRef pod{"v1", "Pod", "shop", "p", "u", "3"};
  recorder->record(pod, EventType::kWarning, event_reasons::kPolicyViolation, "first");
  ASSERT_TRUE(eventually([&] { return writer.calls().size() == 1; }));
  // The second is taken by the writer thread, which then waits for its token.
  recorder->record(pod, EventType::kWarning, event_reasons::kPolicyViolation, "second");
  ASSERT_TRUE(eventually([&] { return recorder->waiting() == 0; }));
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    recorder->record(pod, EventType::kWarning, event_reasons::kQuarantined, std::to_string(i));
  }
  const ObjectRef policy{"bulwark.dev/v1alpha1", "SecurityPolicy", "", "p", "u", "3"};
  recorder->record(policy, EventType::kWarning, event_reasons::kNameConflict, "m");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500));
  EXPECT_EQ(recorder->waiting(), 4u);  // three queued, and the fold of the other seven
  EXPECT_EQ(recorder->dropped(), 1u);
  EXPECT_EQ(told, 1);
  recorder->stop();
  recorder.reset();
  EXPECT_EQ(writer.calls().size(), 1u);
}

// Past the budget of a minute, a namespace's Events are written as one when the minute ends: a
// first pass over 250 violating pods is 100 Events and one per namespace, none dropped.
TEST(QueuedEvents, PastTheBudgetANamespacesEventsAreWrittenAsOne) {
  testing::FakeClock clock;
  testing::FakeObjectWriter writer;
  QueuedEventRecorder recorder(writer, clock, {1000, 1000, 1000, {}});
  for (int i = 0; i < 250; ++i) {
    recorder.record({"v1", "Pod", i % 2 ? "shop" : "bank", "p" + std::to_string(i), "u", "1"},
                    EventType::kWarning, event_reasons::kPolicyViolation, "m");
  }
  ASSERT_TRUE(eventually([&] { return writer.calls().size() == 100; }));
  clock.advance(std::chrono::minutes(1));
  ASSERT_TRUE(eventually([&] { return writer.calls().size() == 102; }));
  EXPECT_EQ(recorder.dropped(), 0u);
  const auto calls = writer.calls();
  for (std::size_t i = 100; i < 102; ++i) {
    EXPECT_EQ(calls[i].body.find({"involvedObject", "kind"})->str(), "Namespace");
    EXPECT_EQ(calls[i].body.find({"metadata", "namespace"})->str(),
              calls[i].body.find({"involvedObject", "name"})->str());
    EXPECT_NE(std::string(calls[i].body.find("message")->str()).find("75 PolicyViolation"),
              std::string::npos);
  }
  recorder.stop();
}

}  // namespace
}  // namespace bulwark::reconcilers
