#pragma once

// The benchmarks' in-process API stand-in: answers every request at once with 200 and an empty
// object, and counts them, so a benchmark measures Bulwark's own work. Bodies of requests whose
// path holds `keep_path` are kept (to feed them back as the watch would).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "operator/kube/http.h"
#include "operator/policy/workload_kinds.h"
#include "operator/runtime/cache_reader.h"

namespace bulwark::bench {

class InstantApi : public kube::HttpTransport {
 public:
  kube::HttpResponse send(const kube::HttpRequest& request) override {
    ++requests;
    if (!keep_path.empty() && request.path.find(keep_path) != std::string::npos) {
      kept.push_back(request.body);
    }
    return {200, "{}", std::nullopt};
  }
  std::unique_ptr<kube::ResponseStream> open_stream(const kube::HttpRequest&) override {
    throw kube::TransportError("not used");
  }
  long requests = 0;
  std::string keep_path;
  std::vector<std::string> kept;
};

// The workload caches by resource for benchmarks of bare pods: `pods`, and `none` for every other
// kind.
inline std::map<std::string_view, const runtime::CacheReader*> pods_only(
    const runtime::CacheReader& pods, const runtime::CacheReader& none) {
  std::map<std::string_view, const runtime::CacheReader*> out;
  for (const auto& k : posture::kWorkloadKinds) out[k.resource] = k.kind == "Pod" ? &pods : &none;
  return out;
}

}  // namespace bulwark::bench
