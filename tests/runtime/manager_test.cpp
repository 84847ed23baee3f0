// The Manager's readiness: every cache synced, and still hearing from the API server.
#include "operator/runtime/manager.h"

#include <gtest/gtest.h>

namespace bulwark::runtime {
namespace {

using namespace std::chrono_literals;

TEST(Readiness, ReadyOnceEveryCacheSyncedAndWhileEachStillHears) {
  const base::Clock::TimePoint now{1h};
  EXPECT_EQ(unready_reason({{"pods", true, now - 10s}, {"namespaces", true, now}}, now, 4min), "");
  EXPECT_EQ(unready_reason({{"pods", false, {}}, {"namespaces", true, now}}, now, 4min),
            "caches not synced: pods");
  // A cache whose API server went quiet (a dead connection that keeps failing) is old data.
  EXPECT_EQ(unready_reason({{"pods", true, now - 5min}, {"jobs", false, {}}}, now, 4min),
            "caches not synced: jobs; caches not hearing from the API server: pods (300 s)");
}

}  // namespace
}  // namespace bulwark::runtime
