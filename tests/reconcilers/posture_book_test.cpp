// The PostureBook: the verdicts policy status and metrics aggregate, so neither judges again.
#include "reconcilers/posture_book.h"

#include <gtest/gtest.h>

namespace bulwark::reconcilers {
namespace {

using posture::Posture;

TEST(PostureBook, SummaryIsWorstFirstAndBounded) {
  PostureBook book;
  std::vector<std::string> told;
  book.set_listener(
      [&](const std::vector<std::string>& p) { told.insert(told.end(), p.begin(), p.end()); });
  using posture::Posture;
  book.put("a",
           {"ns",
            "Deployment",
            "a",
            {{"p", Posture::kViolating, {"imageLatestTag"}, crds::Severity::kMedium, false, {}}}});
  book.put("b",
           {"ns",
            "Deployment",
            "b",
            {{"p", Posture::kViolating, {"privileged"}, crds::Severity::kCritical, true, {}}}});
  book.put(
      "c",
      {"ns", "Deployment", "c", {{"p", Posture::kCompliant, {}, crds::Severity::kLow, false, {}}}});
  book.put(
      "d",
      {"ns", "Deployment", "d", {{"p", Posture::kExempt, {}, crds::Severity::kLow, false, {}}}});
  EXPECT_EQ(told.size(), 4u);
  EXPECT_FALSE(book.put(
      "d",
      {"ns", "Deployment", "d", {{"p", Posture::kExempt, {}, crds::Severity::kLow, false, {}}}}));
  EXPECT_EQ(told.size(), 4u);  // no change, no news
  const auto s = book.summarize("p", 1);
  EXPECT_EQ(s.workloads, 4);
  EXPECT_EQ(s.violating, 2);
  EXPECT_EQ(s.quarantined, 1);
  EXPECT_EQ(s.score, 50);
  ASSERT_EQ(s.violations.size(), 1u);
  EXPECT_EQ(s.violations[0].name, "b");
}

TEST(PostureBook, EraseTellsThePoliciesOfTheRecordAndOnlyThose) {
  PostureBook book;
  std::vector<std::string> told;
  book.put("a", {"ns",
                 "Deployment",
                 "a",
                 {{"p", Posture::kViolating, {"privileged"}, crds::Severity::kHigh, false, {}},
                  {"q", Posture::kCompliant, {}, crds::Severity::kLow, false, {}}}});
  book.set_listener(
      [&](const std::vector<std::string>& p) { told.insert(told.end(), p.begin(), p.end()); });
  book.erase("a");
  EXPECT_EQ(told, (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(book.size(), 0u);
  told.clear();
  book.erase("a");  // nothing held: no news
  EXPECT_TRUE(told.empty());
  const auto s = book.summarize("p", 100);
  EXPECT_EQ(s.workloads, 0);
  EXPECT_EQ(s.score, 100);  // no workload: nothing to hold against the policy
}

TEST(PostureBook, APolicyChangeTellsTheOldAndTheNewPolicy) {
  PostureBook book;
  book.put(
      "a",
      {"ns", "Deployment", "a", {{"p", Posture::kCompliant, {}, crds::Severity::kLow, false, {}}}});
  std::vector<std::string> told;
  book.set_listener(
      [&](const std::vector<std::string>& p) { told.insert(told.end(), p.begin(), p.end()); });
  EXPECT_TRUE(book.put("a", {"ns",
                             "Deployment",
                             "a",
                             {{"q", Posture::kCompliant, {}, crds::Severity::kLow, false, {}}}}));
  std::sort(told.begin(), told.end());
  EXPECT_EQ(told, (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(book.summarize("p", 100).workloads, 0);
  EXPECT_EQ(book.summarize("q", 100).workloads, 1);
}

TEST(PostureBook, ScoreRoundsDownAndCountsExemptAsCompliant) {
  PostureBook book;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "w" + std::to_string(i);
    book.put(
        name,
        {"ns",
         "Deployment",
         name,
         {{"p",
           i == 0   ? Posture::kViolating
           : i == 1 ? Posture::kExempt
                    : Posture::kCompliant,
           i == 0 ? std::vector<std::string_view>{"privileged"} : std::vector<std::string_view>{},
           crds::Severity::kHigh,
           false,
           {}}}});
  }
  const auto s = book.summarize("p", 100);
  EXPECT_EQ(s.compliant, 1);
  EXPECT_EQ(s.exempt, 1);
  EXPECT_EQ(s.violating, 1);
  EXPECT_EQ(s.score, 66);
}

}  // namespace
}  // namespace bulwark::reconcilers
