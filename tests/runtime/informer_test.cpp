// The informer cache: indexes, projection, handlers, and lists that replace what was held.
#include "operator/runtime/informer.h"

#include <gtest/gtest.h>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"
#include "tests/runtime/pod_json.h"

namespace bulwark::runtime {
namespace {

using document::parse_json;

std::string pod(const std::string& name, int rv, const std::string& owner = "") {
  return testing::pod_json(name, rv, owner);
}

TEST(Informer, IndexesByNamespaceAndOwnerAndAppliesTheProjection) {
  Informer informer([](document::Value&& v) {
    // Keep metadata only, as a projection would drop what nobody reads.
    document::Value out;
    out.type = document::Value::Type::kMapping;
    out.members.emplace_back("metadata", *v.find("metadata"));
    return out;
  });
  std::vector<std::string> keys;
  informer.add_handler([&](const std::string& k) { keys.push_back(k); });
  informer.upsert(parse_json(pod("a", 1, "rs-1")));
  informer.upsert(parse_json(pod("b", 1, "rs-1")));
  informer.upsert(parse_json(pod("a", 1, "rs-1")));  // same resourceVersion: no change, no event
  EXPECT_EQ(keys, (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(informer.keys_owned_by("rs-1"), (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(informer.keys_in_namespace("ns").size(), 2u);
  EXPECT_EQ(informer.get("ns/a")->find("spec"), nullptr);
  informer.upsert(parse_json(pod("a", 2, "rs-2")));  // re-owned
  EXPECT_EQ(informer.keys_owned_by("rs-1"), (std::vector<std::string>{"ns/b"}));
  EXPECT_EQ(informer.keys_owned_by("rs-2"), (std::vector<std::string>{"ns/a"}));
  informer.remove(parse_json(pod("b", 3)));
  EXPECT_TRUE(informer.keys_owned_by("rs-1").empty());
  EXPECT_EQ(informer.keys_in_namespace("ns"), (std::vector<std::string>{"ns/a"}));
  EXPECT_EQ(informer.get("ns/b"), nullptr);
}

TEST(Informer, AListReplacesWhatWasHeldAndTellsOfEveryChange) {
  Informer informer([](document::Value&& v) { return std::move(v); });
  std::vector<std::string> keys;
  informer.add_handler([&](const std::string& k) { keys.push_back(k); });
  informer.upsert(parse_json(pod("gone", 1)));
  informer.upsert(parse_json(pod("kept", 1)));
  keys.clear();
  informer.begin_list();
  informer.list_item(parse_json(pod("kept", 1)));  // unchanged: no event
  informer.list_item(parse_json(pod("new", 2)));
  informer.end_list();
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"ns/gone", "ns/new"}));
  EXPECT_EQ(informer.keys(), (std::vector<std::string>{"ns/kept", "ns/new"}));
  EXPECT_EQ(informer.size(), 2u);
  EXPECT_GT(informer.cached_bytes(), 0u);
}

// A change handler learns the versions a change went between; after a relist the version before
// is unknown (versions between may have been missed), so nobody takes it for one write.
TEST(Informer, AChangeHandlerLearnsTheVersionsAChangeWentBetween) {
  Informer informer([](document::Value&& v) { return std::move(v); });
  std::vector<std::string> changes;
  informer.add_change_handler([&](const Informer::Change& c) {
    changes.push_back(c.key + " " + c.before + ">" + c.after);
  });
  informer.upsert(parse_json(pod("a", 1)));
  informer.upsert(parse_json(pod("a", 2)));
  informer.upsert(parse_json(pod("a", 2)));  // the same version again: no change
  informer.upsert(parse_json(pod("b", 1)));
  informer.remove(parse_json(pod("b", 1)));
  informer.begin_list();
  informer.list_item(parse_json(pod("a", 5)));
  informer.list_item(parse_json(pod("c", 1)));
  informer.end_list();
  EXPECT_EQ(changes, (std::vector<std::string>{"ns/a >1", "ns/a 1>2", "ns/b >1", "ns/b 1>",
                                               "ns/a >5", "ns/c >1"}));
}

TEST(Informer, ClusterScopedObjectsAreKeyedByName) {
  EXPECT_EQ(object_key(parse_json(R"({"metadata":{"name":"shop"}})")), "shop");
  EXPECT_EQ(object_key(parse_json(R"({"metadata":{"name":"a","namespace":"ns"}})")), "ns/a");
}

TEST(Informer, ReadsAreSnapshotsThatOutliveAChange) {
  Informer informer([](document::Value&& v) { return std::move(v); });
  informer.upsert(parse_json(pod("a", 1)));
  const auto before = informer.get("ns/a");
  informer.upsert(parse_json(pod("a", 2)));
  EXPECT_EQ(before->find({"metadata", "resourceVersion"})->str(), "1");
  EXPECT_EQ(informer.get("ns/a")->find({"metadata", "resourceVersion"})->str(), "2");
}

// Past 1 MiB of JSON the cache trains a dictionary on its objects and keeps every object packed
// with it (cache_codec.h): what it gives back is unchanged, and it holds a fraction of the bytes.
TEST(Informer, ACacheOfManyLikeObjectsKeepsThemPackedAndGivesThemBackUnchanged) {
  Informer informer([](document::Value&& v) { return std::move(v); });
  std::size_t raw = 0;
  constexpr int kPods = 9000;  // about 1.1 MiB of JSON
  std::size_t few = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string json = pod("web-" + std::to_string(i), 1, "rs-1");
    few += document::to_json(parse_json(json)).size();
    informer.upsert(parse_json(json));
  }
  EXPECT_EQ(informer.cached_bytes(), few);  // too little to be worth a dictionary: kept as it is
  for (int i = 0; i < kPods; ++i) {
    const std::string json = pod("web-" + std::to_string(i), 10 + i, "rs-1");
    raw += document::to_json(parse_json(json)).size();
    informer.upsert(parse_json(json));
  }
  EXPECT_LT(informer.cached_bytes() * 2, raw);
  for (int i = 0; i < kPods; i += 37) {
    const auto key = "ns/web-" + std::to_string(i);
    EXPECT_EQ(document::to_json(*informer.get(key)),
              document::to_json(parse_json(pod("web-" + std::to_string(i), 10 + i, "rs-1"))));
  }
  // A list after it packs with the same dictionary, and a change is read back as changed.
  informer.begin_list();
  for (int i = 0; i < kPods; ++i) {
    informer.list_item(parse_json(pod("web-" + std::to_string(i), 100000 + i, "rs-2")));
  }
  informer.end_list();
  EXPECT_EQ(document::to_json(*informer.get("ns/web-7")),
            document::to_json(parse_json(pod("web-7", 100007, "rs-2"))));
  EXPECT_EQ(informer.keys_owned_by("rs-2").size(), static_cast<std::size_t>(kPods));
  EXPECT_EQ(informer.keys_in_namespace("ns").size(), static_cast<std::size_t>(kPods));
}

}  // namespace
}  // namespace bulwark::runtime
