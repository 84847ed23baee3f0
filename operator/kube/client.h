#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "operator/base/clock.h"
#include "operator/base/rate_limiter.h"
#include "operator/document/value.h"
#include "operator/kube/api_error.h"
#include "operator/kube/http.h"
#include "operator/kube/resource_type.h"

namespace bulwark::kube {

struct ListOptions {
  // Page size. Each page is parsed whole, and its short-lived nodes interleave on the heap with
  // the cache entries made from it; 100 kept a 10,000-pod informer at about half the resident
  // memory of 500, for a sync about 20% slower (docs/benchmarks.md).
  int limit = 100;
  std::string label_selector;
  std::string field_selector;
};

// The REST verbs Bulwark uses, over an HttpTransport, with an optional client-side rate limit.
// Without one, the API server's flow control is the limit: a 429 or 503 with Retry-After is
// retried after that long (call()). Every failure is an ApiError (code 0 when the connection
// failed). Thread-safe.
class KubeClient {
 public:
  struct Options {
    double qps = 0;  // 0: no client-side limit
    int burst = 0;   // with qps set: 0 means qps, rounded up
    // Every unary request (not a watch) is cancelled and fails as a connection failure (code 0)
    // if it has not been answered in this long. With leader election it is the renew deadline,
    // so no renew or write outlives the time this replica can prove it leads.
    std::chrono::milliseconds request_timeout = std::chrono::seconds(30);
  };
  // A request's own bound, shorter than the client's; zero means the client's.
  using Timeout = std::chrono::milliseconds;
  KubeClient(std::unique_ptr<HttpTransport> transport, Options options, base::Clock& clock);

  document::Value get(const ResourceType& type, const std::string& ns, const std::string& name,
                      Timeout timeout = {});
  // Whether the API server serves the resource (API discovery of its group and version), for
  // optional CRDs such as Trivy Operator's.
  bool serves(const ResourceType& type);
  // Lists every page, handing each item to `on_item`; returns the list's resourceVersion.
  std::string list(const ResourceType& type, const std::string& ns, const ListOptions& options,
                   const std::function<void(document::Value&& item)>& on_item);
  document::Value create(const ResourceType& type, const std::string& ns, const std::string& json,
                         Timeout timeout = {});
  // Answers the patched object's metadata only (PartialObjectMetadata, or the whole object from
  // a server that cannot): at 10,000 annotation patches, full pod bodies cost the API server and
  // us time for nothing.
  document::Value merge_patch(const ResourceType& type, const std::string& ns,
                              const std::string& name, const std::string& json,
                              Timeout timeout = {});
  // Built-in kinds only: lists merge by their patch merge key (a webhook by its name).
  document::Value strategic_merge_patch(const ResourceType& type, const std::string& ns,
                                        const std::string& name, const std::string& json,
                                        Timeout timeout = {});
  // Server-side apply: the body is the whole intent of `field_manager` for the object.
  document::Value apply(const ResourceType& type, const std::string& ns, const std::string& name,
                        const std::string& body, const std::string& field_manager, bool force,
                        Timeout timeout = {});
  // PUT of the whole object; its metadata.resourceVersion makes it fail with 409 if the object
  // changed since it was read (optimistic concurrency).
  document::Value replace(const ResourceType& type, const std::string& ns, const std::string& name,
                          const std::string& json, Timeout timeout = {});
  // PUT to the status subresource.
  document::Value update_status(const ResourceType& type, const std::string& ns,
                                const std::string& name, const std::string& json,
                                Timeout timeout = {});
  // Deletes, only if the object still has this uid / resourceVersion when given.
  void remove(const ResourceType& type, const std::string& ns, const std::string& name,
              const std::optional<std::string>& uid = std::nullopt,
              const std::optional<std::string>& resource_version = std::nullopt,
              Timeout timeout = {});
  // Opens a watch from `resource_version` with bookmarks; the server ends it after `timeout`.
  // With an idle timeout, a read that waits longer than that fails with IdleStreamError.
  std::unique_ptr<ResponseStream> watch(const ResourceType& type, const std::string& ns,
                                        const std::string& resource_version, int timeout_seconds,
                                        const ListOptions& options = {}, Timeout idle_timeout = {});

  // Told of every request, for metrics: verb, result code (0 when the connection failed), and
  // how long it took (for a watch, until the response headers arrived).
  using Observer = std::function<void(std::string_view verb, int code, base::Clock::Duration took)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  HttpResponse call(const std::string& verb, HttpRequest request);
  // One attempt: the rate limit, the request, the observer. Connection failures as ApiError 0.
  HttpResponse send_once(const std::string& verb, const HttpRequest& request,
                         const std::string& what);
  document::Value call_json(const std::string& verb, HttpRequest request);

  std::unique_ptr<HttpTransport> transport_;
  base::Clock& clock_;
  base::TokenBucket limiter_;
  Timeout request_timeout_;
  Observer observer_;
};

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

}  // namespace bulwark::kube
