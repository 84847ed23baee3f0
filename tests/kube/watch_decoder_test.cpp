// The watch stream decoder: events split anywhere across chunks, malformed lines, partial ends.
#include "operator/kube/watch_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "operator/document/reader.h"

namespace bulwark::kube {
namespace {

const std::string kEvents =
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"5\"}}}\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"}}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"8\"}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n";

std::vector<std::string> decode_all(WatchDecoder& d) {
  std::vector<std::string> out;
  while (auto e = d.next()) {
    const auto* rv = e->object.find({"metadata", "resourceVersion"});
    out.push_back(std::to_string(static_cast<int>(e->type)) + ":" +
                  std::string(rv ? rv->str() : e->object.find("reason")->str()));
  }
  return out;
}

TEST(WatchDecoder, EventsSurviveEveryChunkBoundary) {
  const std::vector<std::string> want = {"0:5", "3:7", "2:8", "4:Expired"};
  for (std::size_t cut = 1; cut < kEvents.size(); ++cut) {
    WatchDecoder d;
    d.feed(std::string_view(kEvents).substr(0, cut));
    auto got = decode_all(d);
    d.feed(std::string_view(kEvents).substr(cut));
    auto rest = decode_all(d);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got, want) << "cut at " << cut;
    EXPECT_EQ(d.pending(), 0u);
  }
}

TEST(WatchDecoder, ByteByByte) {
  WatchDecoder d;
  std::vector<std::string> got;
  for (char ch : kEvents) {
    d.feed(std::string_view(&ch, 1));
    auto some = decode_all(d);
    got.insert(got.end(), some.begin(), some.end());
  }
  EXPECT_EQ(got.size(), 4u);
}

TEST(WatchDecoder, MalformedLineThrowsAndTheNextStillDecodes) {
  WatchDecoder d;
  d.feed(
      "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}\n{not json\n"
      "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"resourceVersion\":\"2\"}}}\n");
  EXPECT_TRUE(d.next().has_value());
  EXPECT_THROW(d.next(), document::ParseError);
  auto e = d.next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->type, WatchEvent::Type::kModified);
}

TEST(WatchDecoder, StreamEndingMidLineLeavesBytesPending) {
  WatchDecoder d;
  d.feed("{\"type\":\"ADDED\",\"obj");
  EXPECT_FALSE(d.next().has_value());
  EXPECT_GT(d.pending(), 0u);
}

TEST(WatchDecoder, UnknownTypeOrMissingObjectIsAnError) {
  WatchDecoder d;
  d.feed("{\"type\":\"RENAMED\",\"object\":{}}\n{\"type\":\"ADDED\"}\n");
  EXPECT_THROW(d.next(), document::ParseError);
  EXPECT_THROW(d.next(), document::ParseError);
}

}  // namespace
}  // namespace bulwark::kube
