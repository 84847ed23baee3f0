#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::kube {

// The project's own narrow HTTP interface. cpprestsdk lives behind it in one adapter file
// (cpprest_transport.cpp); tests substitute a fake transport.

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // path and query, e.g. "/api/v1/pods?limit=500"
  std::string body;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  // send(): the whole exchange (connect, send, the full response) must finish within this, or the
  // request is cancelled and fails with TransportError. open_stream(): the headers, and then
  // each read, must come within this, or the stream fails with IdleStreamError. Zero: the
  // transport's own defaults (30 s; no idle limit).
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // The Retry-After header in seconds, when the server sent one (with 429, or 503).
  std::optional<int> retry_after_seconds;
};

// The connection failed (refused, reset, timed out, TLS), as opposed to an HTTP error status.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A stream that carried nothing for its idle timeout (HttpRequest::timeout of open_stream): the
// connection is taken for dead and cancelled.
class IdleStreamError : public TransportError {
 public:
  using TransportError::TransportError;
};

// A response whose body is read as it arrives (watch streams). Not thread-safe, except cancel().
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual int status() const = 0;
  // A response header's value (the first of that name, case-insensitive); nullopt when absent.
  virtual std::optional<std::string> header(std::string_view name) const {
    (void)name;
    return std::nullopt;
  }
  // Appends the next bytes of the body to `out`; false at the end of the body.
  // Throws TransportError when the connection breaks.
  virtual bool read(std::string& out) = 0;
  // Ends the stream from another thread: a blocked read() returns false or throws soon after.
  virtual void cancel() = 0;
};

// Thread-safe: requests may be sent from several threads at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpResponse send(const HttpRequest& request) = 0;
  virtual std::unique_ptr<ResponseStream> open_stream(const HttpRequest& request) = 0;
};

// Sizes cpprestsdk's one thread pool, which runs every request's and stream's I/O and
// continuations. Its default of 40 threads handed each step of a request to another thread: about
// 85 context switches for each pod judged at scale, with the kernel's share of them as much CPU
// as the work. One thread per core keeps them apart. Before the first transport is made; false
// (and no change) when the pool already runs.
bool size_transport_threads(std::size_t threads);

struct ClusterConfig;
// The cpprestsdk adapter: TLS verification on unless the config says insecure, client
// certificates, bearer tokens (re-read from a token file when it rotates).
std::unique_ptr<HttpTransport> make_cpprest_transport(const ClusterConfig& config);

}  // namespace bulwark::kube
