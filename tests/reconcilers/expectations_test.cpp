// Expectations: our own writes stand in for the cache until it moves past the version they were
// computed from.
#include "reconcilers/expectations.h"

#include <gtest/gtest.h>

namespace bulwark::reconcilers {
namespace {

TEST(Expectations, AWriteStandsInForTheCacheUntilItMovesOn) {
  Expectations e;
  // Nothing written: the cache says.
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "label", std::nullopt), std::nullopt);
  e.expect("Pod/shop/a", "7", {{"label", "true"}, {"gone", std::nullopt}});
  // The cache still shows version 7: our write is what is there.
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "label", std::nullopt), std::optional<std::string>("true"));
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "gone", "x"), std::nullopt);
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "other", "cached"), std::optional<std::string>("cached"));
  EXPECT_EQ(e.seen("Pod/shop/b", "7", "label", std::nullopt), std::nullopt);  // another object
  // A second write from the same version adds to the first.
  e.expect("Pod/shop/a", "7", {{"other", "mine"}});
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "label", std::nullopt), std::optional<std::string>("true"));
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "other", "cached"), std::optional<std::string>("mine"));
  // The cache moved on: it is right again, and the expectation is dropped for good.
  EXPECT_EQ(e.seen("Pod/shop/a", "8", "label", "true"), std::optional<std::string>("true"));
  EXPECT_EQ(e.seen("Pod/shop/a", "7", "label", std::nullopt), std::nullopt);
}

TEST(Expectations, AWriteFromANewerVersionReplacesTheOld) {
  Expectations e;
  e.expect("Deployment/shop/a", "1", {{"x", "1"}});
  e.expect("Deployment/shop/a", "2", {{"y", "2"}});
  EXPECT_EQ(e.seen("Deployment/shop/a", "2", "x", std::nullopt), std::nullopt);
  EXPECT_EQ(e.seen("Deployment/shop/a", "2", "y", std::nullopt), std::optional<std::string>("2"));
}

}  // namespace
}  // namespace bulwark::reconcilers
