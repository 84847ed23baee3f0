#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::runtime {

// How an informer keeps its objects' JSON: as it is until the cache holds enough objects to train
// a dictionary on them, then compressed with that dictionary (zstd, the one adapter to it). Why:
// a cache's objects are near copies of one another (a Deployment's pods, a chart's workloads),
// and their JSON was the largest part of the operator's memory at scale (39 MiB of pods at
// 50,000, docs/benchmarks.md, operator at scale). A dictionary, not plain compression: an object
// is too small (about 800 bytes) to compress well on its own.
// - pack() returns the JSON as it is until train() has made a dictionary, and compressed after,
//   unless compression would not make it smaller.
// - unpack() takes what pack() returned, either form, and gives the JSON back. Thread-safe.
// - train() makes the dictionary once; it returns false (and the codec stays as it was) when the
//   samples are too few or too alike for one. pack() and train() are called from one thread (the
//   informer's reflector, the only one that changes its objects).
class CacheCodec {
 public:
  CacheCodec();
  ~CacheCodec();
  CacheCodec(const CacheCodec&) = delete;
  CacheCodec& operator=(const CacheCodec&) = delete;

  bool trained() const;
  bool train(const std::vector<std::string_view>& samples);
  std::string pack(std::string json) const;
  std::string unpack(std::string stored) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bulwark::runtime
