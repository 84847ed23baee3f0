#include "operator/kube/client.h"

#include <algorithm>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"

namespace bulwark::kube {

using document::Value;

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

namespace {

Value parse_json(const std::string& body, const std::string& request) {
  Value v;
  try {
    v = document::parse_json(body);
  } catch (const document::ParseError& e) {
    throw ApiError(0, "InvalidResponse",
                   request + ": the API server sent invalid JSON: " + e.what());
  }
  return v;
}

std::string query(const ListOptions& o) {
  std::string q;
  auto add = [&](const std::string& k, const std::string& v) {
    q += (q.empty() ? "?" : "&") + k + "=" + url_encode(v);
  };
  if (o.limit > 0) add("limit", std::to_string(o.limit));
  if (!o.label_selector.empty()) add("labelSelector", o.label_selector);
  if (!o.field_selector.empty()) add("fieldSelector", o.field_selector);
  return q;
}

}  // namespace

KubeClient::KubeClient(std::unique_ptr<HttpTransport> transport, Options options,
                       base::Clock& clock)
    : transport_(std::move(transport)),
      clock_(clock),
      limiter_(options.qps, options.burst, clock),
      request_timeout_(options.request_timeout) {}

HttpResponse KubeClient::send_once(const std::string& verb, const HttpRequest& request,
                                   const std::string& what) {
  if (auto delay = limiter_.reserve(); delay > base::Clock::Duration::zero()) {
    clock_.sleep_for(delay);
  }
  const auto start = clock_.now();
  try {
    HttpResponse response = transport_->send(request);
    if (observer_) observer_(verb, response.status, clock_.now() - start);
    return response;
  } catch (const TransportError& e) {
    if (observer_) observer_(verb, 0, clock_.now() - start);
    throw ApiError(0, "ConnectionFailed", what + ": " + e.what());
  }
}

// client-go's rule: an answer of 429 (or 503) with Retry-After is retried after that long, at most
// ten times, within the request's own deadline. The API server's flow control sends it when it
// sheds load; failing the reconcile instead would back its key off exponentially, to minutes.
HttpResponse KubeClient::call(const std::string& verb, HttpRequest request) {
  constexpr int kMaxRetries = 10;
  constexpr int kLongestWaitSeconds = 10;
  if (request.timeout <= Timeout::zero()) request.timeout = request_timeout_;
  const auto deadline = clock_.now() + request.timeout;
  const std::string what = request.method + " " + request.path;
  for (int retries = 0;; ++retries) {
    HttpResponse response = send_once(verb, request, what);
    if (response.status >= 200 && response.status < 300) return response;
    const bool shed = response.status == 429 || response.status == 503;
    if (shed && response.retry_after_seconds && retries < kMaxRetries) {
      const auto wait =
          std::chrono::seconds(std::clamp(*response.retry_after_seconds, 0, kLongestWaitSeconds));
      if (clock_.now() + wait < deadline) {
        clock_.sleep_for(wait);
        request.timeout = std::chrono::duration_cast<Timeout>(deadline - clock_.now());
        if (request.timeout > Timeout::zero()) continue;
      }
    }
    throw ApiError::from_response(response.status, response.body, what);
  }
}

Value KubeClient::call_json(const std::string& verb, HttpRequest request) {
  const std::string what = request.method + " " + request.path;
  return parse_json(call(verb, std::move(request)).body, what);
}

Value KubeClient::get(const ResourceType& type, const std::string& ns, const std::string& name,
                      Timeout timeout) {
  return call_json("get", {"GET", type.path(ns, name), "", "", {}, timeout});
}

bool KubeClient::serves(const ResourceType& type) {
  const std::string path =
      type.group.empty() ? "/api/" + type.version : "/apis/" + type.group + "/" + type.version;
  try {
    const Value discovery = call_json("get", {"GET", path, "", "", {}, {}});
    for (const auto& r : document::items_of(discovery.find("resources"))) {
      const Value* name = r.find("name");
      if (name != nullptr && name->str() == type.resource) return true;
    }
    return false;
  } catch (const ApiError& e) {
    if (e.error_class() == ErrorClass::kNotFound) return false;
    throw;
  }
}

std::string KubeClient::list(const ResourceType& type, const std::string& ns,
                             const ListOptions& options,
                             const std::function<void(Value&& item)>& on_item) {
  std::string continue_token;
  std::string resource_version;
  do {
    std::string path = type.path(ns) + query(options);
    if (!continue_token.empty()) {
      path += (path.find('?') == std::string::npos ? "?" : "&") + std::string("continue=") +
              url_encode(continue_token);
    }
    Value page = call_json("list", {"GET", path, "", "", {}, {}});
    if (const Value* meta = page.find("metadata")) {
      if (const Value* rv = meta->find("resourceVersion"))
        resource_version = std::string(rv->str());
      const Value* cont = meta->find("continue");
      continue_token = cont != nullptr ? std::string(cont->str()) : std::string();
    } else {
      continue_token.clear();
    }
    if (Value* items = const_cast<Value*>(page.find("items")); items != nullptr) {
      for (auto& item : items->items) on_item(std::move(item));
    }
  } while (!continue_token.empty());
  return resource_version;
}

Value KubeClient::create(const ResourceType& type, const std::string& ns, const std::string& json,
                         Timeout timeout) {
  return call_json("create", {"POST", type.path(ns), json, "application/json", {}, timeout});
}

Value KubeClient::merge_patch(const ResourceType& type, const std::string& ns,
                              const std::string& name, const std::string& json, Timeout timeout) {
  static const std::vector<std::pair<std::string, std::string>> kMetadataOnly = {
      {"Accept", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"}};
  return call_json("patch", {"PATCH", type.path(ns, name), json, "application/merge-patch+json",
                             kMetadataOnly, timeout});
}

Value KubeClient::strategic_merge_patch(const ResourceType& type, const std::string& ns,
                                        const std::string& name, const std::string& json,
                                        Timeout timeout) {
  return call_json(
      "patch",
      {"PATCH", type.path(ns, name), json, "application/strategic-merge-patch+json", {}, timeout});
}

Value KubeClient::apply(const ResourceType& type, const std::string& ns, const std::string& name,
                        const std::string& body, const std::string& field_manager, bool force,
                        Timeout timeout) {
  std::string path = type.path(ns, name) + "?fieldManager=" + url_encode(field_manager);
  if (force) path += "&force=true";
  return call_json("apply", {"PATCH", path, body, "application/apply-patch+yaml", {}, timeout});
}

Value KubeClient::replace(const ResourceType& type, const std::string& ns, const std::string& name,
                          const std::string& json, Timeout timeout) {
  return call_json("update", {"PUT", type.path(ns, name), json, "application/json", {}, timeout});
}

Value KubeClient::update_status(const ResourceType& type, const std::string& ns,
                                const std::string& name, const std::string& json, Timeout timeout) {
  return call_json("update_status",
                   {"PUT", type.path(ns, name) + "/status", json, "application/json", {}, timeout});
}

void KubeClient::remove(const ResourceType& type, const std::string& ns, const std::string& name,
                        const std::optional<std::string>& uid,
                        const std::optional<std::string>& resource_version, Timeout timeout) {
  std::string body;
  if (uid || resource_version) {
    Value options = Value::object();
    options.set("kind", Value::string("DeleteOptions")).set("apiVersion", Value::string("v1"));
    Value& preconditions = options.child("preconditions");
    if (uid) preconditions.set("uid", Value::string(*uid));
    if (resource_version) preconditions.set("resourceVersion", Value::string(*resource_version));
    body = document::to_json(options);
  }
  call("delete",
       {"DELETE", type.path(ns, name), body, body.empty() ? "" : "application/json", {}, timeout});
}

std::unique_ptr<ResponseStream> KubeClient::watch(const ResourceType& type, const std::string& ns,
                                                  const std::string& resource_version,
                                                  int timeout_seconds, const ListOptions& options,
                                                  Timeout idle_timeout) {
  ListOptions o = options;
  o.limit = 0;
  std::string path = type.path(ns) + query(o);
  path += (path.find('?') == std::string::npos ? "?" : "&") +
          std::string("watch=true&allowWatchBookmarks=true&timeoutSeconds=") +
          std::to_string(timeout_seconds) + "&resourceVersion=" + url_encode(resource_version);
  if (auto delay = limiter_.reserve(); delay > base::Clock::Duration::zero()) {
    clock_.sleep_for(delay);
  }
  const std::string what = "WATCH " + path;
  std::unique_ptr<ResponseStream> stream;
  const auto start = clock_.now();
  try {
    stream = transport_->open_stream({"GET", path, "", "", {}, idle_timeout});
  } catch (const TransportError& e) {
    if (observer_) observer_("watch", 0, clock_.now() - start);
    throw ApiError(0, "ConnectionFailed", what + ": " + e.what());
  }
  if (observer_) observer_("watch", stream->status(), clock_.now() - start);
  if (stream->status() != 200) {
    std::string body;
    try {
      while (body.size() < 4096 && stream->read(body)) {
      }
    } catch (const TransportError&) {
      // The error body is best effort.
    }
    throw ApiError::from_response(stream->status(), body, what);
  }
  return stream;
}

}  // namespace bulwark::kube
