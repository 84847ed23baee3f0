#pragma once

// The benchmarks' in-process API stand-in: answers every request at once with 200 and an empty
// object, and counts them, so a benchmark measures Bulwark's own work.
#include <memory>

#include "operator/kube/http.h"

namespace bulwark::bench {

class InstantApi : public kube::HttpTransport {
 public:
  kube::HttpResponse send(const kube::HttpRequest&) override {
    ++requests;
    return {200, "{}", std::nullopt};
  }
  std::unique_ptr<kube::ResponseStream> open_stream(const kube::HttpRequest&) override {
    throw kube::TransportError("not used");
  }
  long requests = 0;
};

}  // namespace bulwark::bench
