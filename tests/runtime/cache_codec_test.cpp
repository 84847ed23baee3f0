// The informers' codec: JSON kept as it is until a dictionary is trained on the cache's own
// objects, compressed with it after, and always given back byte for byte.
#include "operator/runtime/cache_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace bulwark::runtime {
namespace {

// Pods as a Deployment makes them: one template, their names, uids and versions apart.
std::string pod(int i) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d4b9c-)" +
         std::to_string(i * 7919 % 100000) + R"(","namespace":"shop-)" + std::to_string(i % 7) +
         R"(","uid":"2f1c)" + std::to_string(i * 104729) + R"(-4e2b-9a51","resourceVersion":")" +
         std::to_string(40000 + i * 3) +
         R"("},"spec":{"serviceAccountName":"web","containers":[{"name":"app","image":)"
         R"("registry.example.com/shop/web:1.)" +
         std::to_string(i % 3) +
         R"(","securityContext":{"runAsNonRoot":true,"allowPrivilegeEscalation":false}}],)"
         R"("nodeName":"node-)" +
         std::to_string(i % 5) + R"("},"status":{"phase":"Running"}})";
}

std::vector<std::string> pods(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(pod(i));
  return out;
}

TEST(CacheCodec, UntrainedItKeepsTheJsonAsItIs) {
  CacheCodec codec;
  EXPECT_FALSE(codec.trained());
  EXPECT_EQ(codec.pack(pod(1)), pod(1));
  EXPECT_EQ(codec.unpack(pod(1)), pod(1));
  // One sample is too few to learn from: the codec stays as it was.
  EXPECT_FALSE(codec.train({pod(1)}));
  EXPECT_FALSE(codec.trained());
}

TEST(CacheCodec, TrainedItPacksSmallerAndGivesEveryObjectBackByteForByte) {
  const auto samples = pods(1000);
  CacheCodec codec;
  std::vector<std::string_view> views(samples.begin(), samples.end());
  ASSERT_TRUE(codec.train(views));
  EXPECT_FALSE(codec.train(views));  // once
  std::size_t raw = 0, packed = 0;
  for (int i = 1000; i < 1200; ++i) {  // objects it was not trained on
    const std::string json = pod(i);
    const std::string p = codec.pack(json);
    raw += json.size();
    packed += p.size();
    ASSERT_EQ(codec.unpack(p), json);
  }
  EXPECT_LT(packed * 3, raw) << "packed " << packed << " of " << raw << " bytes";
  // What was kept before the dictionary is read as it is.
  EXPECT_EQ(codec.unpack(pod(5)), pod(5));
  // Anything packed is never larger than the JSON: an object unlike the samples stays as it is.
  const std::string odd = R"({"x":"q8#Zr!0pL"})";
  EXPECT_LE(codec.pack(odd).size(), odd.size());
  EXPECT_EQ(codec.unpack(codec.pack(odd)), odd);
}

TEST(CacheCodec, ReadersOnOtherThreadsUnpackWhatOneWriterPacked) {
  const auto samples = pods(600);
  CacheCodec codec;
  std::vector<std::string_view> views(samples.begin(), samples.end());
  ASSERT_TRUE(codec.train(views));
  std::vector<std::string> packed;
  for (int i = 0; i < 400; ++i) packed.push_back(codec.pack(pod(i)));
  std::vector<std::thread> readers;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; i < 400; ++i) wrong[t] += codec.unpack(packed[i]) != pod(i);
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace bulwark::runtime
