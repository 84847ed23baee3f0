#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "operator/kube/http.h"

namespace bulwark::testing {

// An HttpTransport that records requests and answers from a script.
class FakeTransport : public kube::HttpTransport {
 public:
  struct Stream {
    int status = 200;
    std::vector<std::string> chunks;
    bool break_at_end = false;  // throw TransportError after the chunks, like a dropped connection
    bool idle_at_end = false;   // throw IdleStreamError after the chunks, like a silent connection
  };

  void respond(int status, std::string body, std::optional<int> retry_after = std::nullopt) {
    responses_.push_back({status, std::move(body), retry_after});
  }
  void fail(std::string message) { responses_.push_back({-1, std::move(message), std::nullopt}); }
  // Answers `status` with the request's own body, as a create or update returns what it stored.
  void echo(int status) { responses_.push_back({-2, std::to_string(status), std::nullopt}); }
  void stream(Stream s) { streams_.push_back(std::move(s)); }

  kube::HttpResponse send(const kube::HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    if (responses_.empty()) return {500, "no scripted response", std::nullopt};
    auto r = responses_.front();
    responses_.pop_front();
    if (r.status == -1) throw kube::TransportError(r.body);
    if (r.status == -2) return {std::stoi(r.body), request.body, std::nullopt};
    return r;
  }

  std::unique_ptr<kube::ResponseStream> open_stream(const kube::HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    if (streams_.empty()) throw kube::TransportError("connection refused");
    auto s = std::make_unique<ScriptedStream>(std::move(streams_.front()));
    streams_.pop_front();
    return s;
  }

  std::vector<kube::HttpRequest> requests;

 private:
  class ScriptedStream : public kube::ResponseStream {
   public:
    explicit ScriptedStream(Stream s) : s_(std::move(s)) {}
    int status() const override { return s_.status; }
    bool read(std::string& out) override {
      if (next_ < s_.chunks.size()) {
        out += s_.chunks[next_++];
        return true;
      }
      if (s_.break_at_end) throw kube::TransportError("connection reset by peer");
      if (s_.idle_at_end) throw kube::IdleStreamError("nothing for the idle timeout");
      return false;
    }
    void cancel() override { next_ = s_.chunks.size(); }

   private:
    Stream s_;
    std::size_t next_ = 0;
  };

  std::mutex mu_;
  std::deque<kube::HttpResponse> responses_;
  std::deque<Stream> streams_;
};

}  // namespace bulwark::testing
