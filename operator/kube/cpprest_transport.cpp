// The one file that includes cpprestsdk's HTTP client. Everything else sees kube/http.h.
#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <string_view>
#include <vector>

#include "operator/kube/cluster_config.h"
#include "operator/kube/exec_credential.h"
#include "operator/kube/http.h"

namespace bulwark::kube {
namespace {

namespace http = web::http;
namespace client = web::http::client;

// What a unary request may take when it does not say (HttpRequest::timeout).
constexpr std::chrono::milliseconds kUnaryTimeout = std::chrono::seconds(30);
// How long a request or read cancelled at its deadline is given to end (cancelling closes its
// socket at once), so no task is left running into objects that go away after it.
constexpr std::chrono::milliseconds kSettle = std::chrono::seconds(1);

client::http_client_config make_config(const ClusterConfig& cfg, std::chrono::seconds timeout) {
  client::http_client_config c;
  c.set_timeout(timeout);
  // Never followed by the transport: a redirect to another host must not carry this one's
  // credentials (the registry client follows them itself, kube/http.h's callers see them).
  c.set_max_redirects(0);
  c.set_validate_certificates(!cfg.insecure_skip_tls_verify);
  const std::string ca = cfg.ca_pem, cert = cfg.client_cert_pem, key = cfg.client_key_pem;
  c.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
    // cpprestsdk has already loaded OpenSSL's default store (SSL_CERT_FILE, SSL_CERT_DIR, the
    // system's CAs) into the context. With a CA named, trust exactly that CA: a fresh, empty
    // store, so a server certified by any other CA never receives the bearer token.
    if (!ca.empty()) {
      SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());
      ctx.add_certificate_authority(boost::asio::buffer(ca));
    }
    // OpenSSL frees a connection's read and write buffers (about 34 KB) while it is idle: most of
    // the operator's connections are watches waiting for the next event.
    SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    if (!cert.empty()) {
      ctx.use_certificate_chain(boost::asio::buffer(cert));
      ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
    }
  });
  return c;
}

// The Retry-After header as seconds, when it is one (the HTTP-date form is not used by the API
// server).
std::optional<int> retry_after(const http::http_response& response) {
  const auto& headers = response.headers();
  auto it = headers.find("Retry-After");
  if (it == headers.end()) return std::nullopt;
  try {
    std::size_t used = 0;
    const int seconds = std::stoi(it->second, &used);
    if (used != it->second.size() || seconds < 0) return std::nullopt;
    return seconds;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Runs a continuation on the thread that completed the task before it (or on the caller, when
// that task is already done), where pplx would post it to the thread pool: each post woke another
// thread, and a pod judged at scale went through about five of them in our own continuations (a
// request's last two steps, a watch read's two). Only for continuations that do little and call
// nothing that waits: setting a promise, copying a body out.
class InlineScheduler final : public pplx::scheduler_interface {
 public:
  void schedule(pplx::TaskProc_t proc, void* param) override { proc(param); }
};

pplx::task_options run_inline() {
  static const auto scheduler = std::make_shared<InlineScheduler>();
  return pplx::task_options(scheduler);
}

// Whether `task` completes within `limit` (it keeps running either way). The continuation observes
// the task's exception, if any: pplx ends the process over an exception no one observed, and a
// task abandoned at its deadline and then cancelled ends in one.
template <typename T>
bool finishes_within(const pplx::task<T>& task, std::chrono::milliseconds limit) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  task.then(
      [done](pplx::task<T> t) {
        try {
          t.get();
        } catch (...) {
          // Seen here; the caller that still wants the result calls get() and sees it again.
        }
        done->set_value();
      },
      run_inline());
  return finished.wait_for(limit) == std::future_status::ready;
}

// Reads a streamed body in the pieces it arrives in: one byte awaited (within the idle timeout),
// then everything else already there, taken at once. Why: read_to_delim took one lock and often a
// task per byte; at 10,000 watch events of 6 KB that cost about as much CPU as the API server
// spent on the writes (docs/benchmarks.md, operator at scale). The WatchDecoder finds the lines.
class CpprestStream : public ResponseStream {
 public:
  CpprestStream(http::http_response response, pplx::cancellation_token_source cancel,
                std::chrono::milliseconds idle_timeout)
      : response_(std::move(response)),
        body_(response_.body()),
        cancel_(std::move(cancel)),
        idle_timeout_(idle_timeout) {}
  ~CpprestStream() override { cancel(); }

  int status() const override { return response_.status_code(); }

  std::optional<std::string> header(std::string_view name) const override {
    const auto& headers = response_.headers();
    auto it = headers.find(std::string(name));  // cpprestsdk compares names case-insensitively
    if (it == headers.end()) return std::nullopt;
    return it->second;
  }

  bool read(std::string& out) override {
    if (cancelled_) return false;
    try {
      auto buffer = body_.streambuf();
      // Shared with the read: a cancelled one may still complete after this returns.
      auto first = std::make_shared<std::uint8_t>(0);
      auto reading =
          buffer.getn(first.get(), 1).then([first](std::size_t n) { return n; }, run_inline());
      if (idle_timeout_ > std::chrono::milliseconds::zero() &&
          !finishes_within(reading, idle_timeout_)) {
        cancel();
        finishes_within(reading, kSettle);
        throw IdleStreamError("watch stream carried nothing for " +
                              std::to_string(idle_timeout_.count()) + " ms");
      }
      if (reading.get() == 0) return false;  // the end of the body
      out += static_cast<char>(*first);
      const std::size_t ready = std::min<std::size_t>(buffer.in_avail(), kMaxPiece);
      if (ready > 0) {
        // Bytes, as the body stream's own character type (a std::string buffer would be cast
        // between character types inside cpprestsdk, which UBSan rightly flags).
        std::vector<std::uint8_t> more(ready);
        const std::size_t n = buffer.getn(more.data(), ready).get();  // there already: no wait
        out.append(more.begin(), more.begin() + static_cast<std::ptrdiff_t>(n));
      }
      return true;
    } catch (const IdleStreamError&) {
      throw;
    } catch (const std::exception& e) {
      if (cancelled_) return false;
      throw TransportError(std::string("watch stream broke: ") + e.what());
    }
  }

  void cancel() override {
    if (cancelled_.exchange(true)) return;
    cancel_.cancel();
    try {
      body_.close().wait();
    } catch (...) {
      // Already closed or broken: cancelling is best effort.
    }
    // cpprestsdk completes the cancelled response on its thread pool (closing the body, then
    // setting the event content_ready() waits on); a process that ends first leaves that chain
    // holding itself (LeakSanitizer saw it in about 1 exit in 10 of
    // CpprestTransport.ASilentStreamFailsAtItsIdleTimeout, never with the test repeated).
    finishes_within(response_.content_ready(), kSettle);
  }

 private:
  http::http_response response_;
  concurrency::streams::istream body_;
  pplx::cancellation_token_source cancel_;
  std::chrono::milliseconds idle_timeout_;
  static constexpr std::size_t kMaxPiece = 1 << 20;
  std::atomic<bool> cancelled_{false};
};

// The request failed before it was written whole: the server cannot have acted on it.
struct UnwrittenRequest : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class CpprestTransport : public HttpTransport {
 public:
  explicit CpprestTransport(const ClusterConfig& cfg)
      : unary_(cfg.server,
               make_config(cfg, std::chrono::duration_cast<std::chrono::seconds>(kUnaryTimeout))),
        // Watches last up to ten minutes; the server closes them, not us.
        streaming_(cfg.server, make_config(cfg, std::chrono::seconds(15 * 60))),
        token_(cfg.token),
        tls_server_name_(cfg.tls_server_name),
        user_agent_(cfg.user_agent.empty() ? "bulwark/" BULWARK_VERSION : cfg.user_agent) {
    if (!cfg.token_file.empty()) token_file_ = std::make_unique<TokenFile>(cfg.token_file);
    if (cfg.exec) exec_ = std::make_unique<ExecCredentialSource>(*cfg.exec, cfg);
  }

  // The request and the reading of its body run as one task; the caller waits for it at most
  // the request's timeout (the client's own is 30 s), then cancels it, so a hung API server cannot
  // hold a renew or a write past its deadline.
  HttpResponse send(const HttpRequest& request) override {
    HttpResponse response = send_written_whole(request);
    if (response.status == 401 && exec_) {
      // The plugin's token was revoked or expired early: ask the plugin again, once, as
      // client-go does.
      exec_->invalidate();
      response = send_written_whole(request);
    }
    return response;
  }

  // cpprestsdk sends a request again by itself when a pooled keep-alive connection turns out to
  // be closed while it waits for the answer, but not when the close shows while the request is
  // still being written: after an API server restart, the peer's reset can arrive between the
  // headers and the body (a CI run failed a create so). A request not written whole cannot have
  // been acted on, so it is sent again on a fresh connection whatever its method, as Go's
  // net/http does. Each attempt takes another pooled connection or a new one: the pool holds no
  // more stale ones than requests that ran at once.
  HttpResponse send_written_whole(const HttpRequest& request) {
    constexpr int kAttempts = 8;
    for (int attempt = 1;; ++attempt) {
      try {
        return send_once(request);
      } catch (const UnwrittenRequest& e) {
        if (attempt == kAttempts) throw TransportError(e.what());
      }
    }
  }

  HttpResponse send_once(const HttpRequest& request) {
    pplx::cancellation_token_source cancel;
    auto answered = std::make_shared<std::promise<HttpResponse>>();
    std::future<HttpResponse> answer = answered->get_future();
    unary_.request(build(request), cancel.get_token())
        .then([](http::http_response response) {
          auto body =
              std::make_shared<concurrency::streams::container_buffer<std::vector<uint8_t>>>();
          return response.body().read_to_end(*body).then(
              [response, body](std::size_t) {
                const auto& bytes = body->collection();
                return HttpResponse{response.status_code(), std::string(bytes.begin(), bytes.end()),
                                    retry_after(response)};
              },
              run_inline());
        })
        .then(
            [answered](pplx::task<HttpResponse> done) {
              try {
                answered->set_value(done.get());
              } catch (...) {
                answered->set_exception(std::current_exception());
              }
            },
            run_inline());
    const auto limit =
        request.timeout > std::chrono::milliseconds::zero() ? request.timeout : kUnaryTimeout;
    if (answer.wait_for(limit) != std::future_status::ready) {
      cancel.cancel();
      answer.wait_for(kSettle);  // let the cancelled request end before anything it uses does
      throw TransportError("no answer within " + std::to_string(limit.count()) + " ms");
    }
    try {
      return answer.get();
    } catch (const http::http_exception& e) {
      // cpprestsdk says which stage failed only in its message.
      if (std::string_view(e.what()).starts_with("Failed to write request"))
        throw UnwrittenRequest(e.what());
      throw TransportError(e.what());
    } catch (const pplx::task_canceled&) {
      throw TransportError("request cancelled");
    }
  }

  std::unique_ptr<ResponseStream> open_stream(const HttpRequest& request) override {
    pplx::cancellation_token_source cancel;
    try {
      // request() completes when the headers arrive; the body then streams as the server sends it.
      auto opening = streaming_.request(build(request), cancel.get_token());
      if (request.timeout > std::chrono::milliseconds::zero() &&
          !finishes_within(opening, request.timeout)) {
        cancel.cancel();
        finishes_within(opening, kSettle);
        throw IdleStreamError("no response headers within " +
                              std::to_string(request.timeout.count()) + " ms");
      }
      http::http_response response = opening.get();
      return std::make_unique<CpprestStream>(std::move(response), std::move(cancel),
                                             request.timeout);
    } catch (const http::http_exception& e) {
      throw TransportError(e.what());
    } catch (const pplx::task_canceled&) {
      throw TransportError("request cancelled");
    }
  }

 private:
  http::http_request build(const HttpRequest& r) {
    http::http_request req(r.method);
    try {
      req.set_request_uri(r.path);
    } catch (const web::uri_exception& e) {
      // A path a caller built from what others wrote (an image reference, a registry's Location):
      // a failed request, never an exception nobody expects.
      throw TransportError(std::string("not a request path: ") + e.what());
    }
    // A request's own Accept replaces the default (add() would join the two into one list).
    const bool own_accept = std::any_of(r.headers.begin(), r.headers.end(),
                                        [](const auto& h) { return h.first == "Accept"; });
    if (!own_accept) req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", user_agent_);
    if (!tls_server_name_.empty()) {
      // cpprestsdk verifies the certificate against, and sends as SNI, the Host header's name.
      req.headers().add("Host", tls_server_name_);
    }
    const std::string token = bearer_token();
    if (!token.empty()) req.headers().add("Authorization", "Bearer " + token);
    for (const auto& [k, v] : r.headers) req.headers().add(k, v);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      // Bytes, not set_body(std::string): that one reads a char stream buffer as an unsigned
      // char one, a cast UBSan reports (the first test to POST through here under it did).
      std::vector<unsigned char> bytes(r.body.begin(), r.body.end());
      const auto size = bytes.size();
      req.set_body(concurrency::streams::bytestream::open_istream(std::move(bytes)), size,
                   r.content_type.empty() ? "application/json" : r.content_type);
    }
    return req;
  }

  // An exec plugin's token (a plugin that fails is a TransportError: the request is retried as
  // any other failure, and the message says what the plugin said), else the token file's, else
  // the static token.
  std::string bearer_token() {
    if (exec_) {
      try {
        return exec_->token();
      } catch (const ConfigError& e) {
        throw TransportError(e.what());
      }
    }
    return token_file_ ? token_file_->token(std::chrono::steady_clock::now()) : token_;
  }

  client::http_client unary_;
  client::http_client streaming_;
  std::string token_;
  std::string tls_server_name_;
  std::string user_agent_;
  std::unique_ptr<TokenFile> token_file_;
  std::unique_ptr<ExecCredentialSource> exec_;
};

}  // namespace

bool size_transport_threads(std::size_t threads) {
  try {
    crossplat::threadpool::initialize_with_threads(threads);
    return true;
  } catch (const std::exception&) {
    return false;  // already initialised
  }
}

std::unique_ptr<HttpTransport> make_cpprest_transport(const ClusterConfig& config) {
  return std::make_unique<CpprestTransport>(config);
}

}  // namespace bulwark::kube
