// The informer cache: indexes, projection, handlers, and lists that replace what was held.
#include "operator/runtime/informer.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace bulwark::runtime
