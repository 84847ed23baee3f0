// Verification with a time budget and a pool of workers (image_verification.h).
#include "operator/registry/image_verification.h"

#include <algorithm>
#include <cctype>

#include "operator/images/public_key.h"
#include "operator/images/reference.h"
#include "operator/logging/logging.h"

namespace bulwark::registry {
namespace {

using images::SignatureResult;

// At most this many failed verifications are remembered (and their reasons logged): reviews
// naming ever new images cannot grow them without end.
constexpr std::size_t kMaxFailed = 4096;
// An image reference longer than this is not verified (the longest a registry takes is far
// shorter): a made-up review's 100 KB image strings hold nothing.
constexpr std::size_t kMaxImageLength = 1024;

// What a container's verdict depends on (its image and digest, and each covering entry), hashed:
// a fixed size whatever the image strings and keys.
std::string job_key(const std::vector<const crds::ImageVerifyEntry*>& entries, const PodImage& c) {
  std::string key = std::to_string(c.image.size()) + ":" + c.image + "|" +
                    std::to_string(c.repository.size()) + ":" + c.repository + "@" + c.digest;
  for (const auto* e : entries) {
    crds::ImagesSpec one;
    one.verify = {*e};
    key += "|" + crds::verify_key(one);
  }
  return images::sha256_digest(key);
}

// Whether the image can be verified at all, and why not: no verdict to queue for.
std::optional<std::string> unverifiable(const PodImage& c) {
  if (!c.unverifiable.empty()) return c.unverifiable;
  if (c.image.size() > kMaxImageLength) {
    return "its image reference is over " + std::to_string(kMaxImageLength) + " characters";
  }
  // The reference grammar's characters only (distribution/reference): anything else names no
  // image a registry serves, and must not reach a request path.
  const auto odd = std::find_if(c.image.begin(), c.image.end(), [](char ch) {
    return !std::isalnum(static_cast<unsigned char>(ch)) &&
           std::string_view("._-/:@").find(ch) == std::string_view::npos;
  });
  if (odd != c.image.end()) return "its image reference is not one a registry serves";
  const images::ImageRef ref = images::parse_image(c.image);
  if (c.digest.empty() && !ref.digest.empty() && !images::is_sha256_digest(ref.digest)) {
    return "its digest \"" + ref.digest + "\" is no sha256 digest";
  }
  return std::nullopt;
}

images::ContainerSignature not_in_time(const PodImage& c, std::chrono::milliseconds budget,
                                       std::string why) {
  return {c.image,
          {SignatureResult::kNotEvaluated,
           why.empty() ? "being verified, not done within " + std::to_string(budget.count()) +
                             " ms (its verdict is kept for the next judgement)"
                       : std::move(why)}};
}

}  // namespace

ImageVerification::ImageVerification(SignatureVerifier& verifier, TrustSource& trust,
                                     Options options)
    : verifier_(verifier), trust_(trust), options_(options) {
  for (std::size_t i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work(); });
}

ImageVerification::~ImageVerification() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

ImageVerification::Result ImageVerification::submit(std::string key,
                                                    std::vector<crds::ImageVerifyEntry> entries,
                                                    PodImage c) {
  std::lock_guard lock(mu_);
  if (auto it = running_.find(key); it != running_.end()) return it->second;
  if (queue_.size() >= options_.max_queued || stopping_) return {};
  Job job{key, std::move(entries), std::move(c), {}};
  Result result = job.promise.get_future().share();
  running_.emplace(std::move(key), result);
  queue_.push_back(std::move(job));
  wake_.notify_one();
  return result;
}

void ImageVerification::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    crds::ImagesSpec spec;
    spec.verify = job.entries;
    // Every entry here covers the image: verify_pod_images finds them again.
    images::ContainerSignature verdict = not_in_time(job.container, {}, "no entry covers it");
    try {
      images::ImageSignatures out = verify_pod_images(verifier_, trust_, spec, {job.container});
      if (auto it = out.find(job.container.container); it != out.end()) verdict = it->second;
    } catch (const std::exception& e) {  // a worker never takes the process down
      verdict = not_in_time(job.container, {}, std::string("verification failed: ") + e.what());
    }
    std::unique_lock lock(mu_);
    // Out of `running_` before the verdict is told: a caller that asks after it must start a new
    // verification (a tag resolved afresh), never take this finished one.
    running_.erase(job.key);
    job.promise.set_value(verdict);
    if (verdict.verdict.result != SignatureResult::kNotEvaluated) {
      logged_.erase(job.key);
      continue;
    }
    if (failed_.size() >= kMaxFailed) {
      std::erase_if(failed_, [](const auto& f) { return f.second.until <= Clock::now(); });
      if (failed_.size() >= kMaxFailed) failed_.clear();
    }
    if (logged_.size() >= kMaxFailed) logged_.clear();
    failed_[job.key] = {verdict, Clock::now() + options_.retry_failed};
    // Logged once per image and reason, not at every retry of an outage.
    std::string& logged = logged_[job.key];
    const bool news = logged != verdict.verdict.detail;
    logged = verdict.verdict.detail;
    lock.unlock();
    if (news) {
      logging::warn("image signatures of " + job.container.image + " (" + verdict.image +
                    ") not verified: " + verdict.verdict.detail);
    }
  }
}

std::optional<images::ContainerSignature> ImageVerification::at_once(
    const std::string& key, const std::vector<const crds::ImageVerifyEntry*>& entries,
    const PodImage& c, std::optional<std::chrono::milliseconds>& again) {
  if (auto why = unverifiable(c)) {
    return images::ContainerSignature{c.image.substr(0, kMaxImageLength),
                                      {SignatureResult::kNotEvaluated, *why}};
  }
  {
    std::lock_guard lock(mu_);
    if (auto f = failed_.find(key); f != failed_.end()) {
      const auto left = f->second.until - Clock::now();
      if (left > Clock::duration::zero()) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left);
        again = again ? std::min(*again, ms) : ms;
        return f->second.verdict;
      }
      failed_.erase(f);
    }
  }
  const images::ImageRef ref = images::parse_image(c.image);
  const std::string digest = !c.digest.empty()                      ? c.digest
                             : images::is_sha256_digest(ref.digest) ? ref.digest
                                                                    : "";
  if (digest.empty()) return std::nullopt;  // a tag: resolved by a worker
  const std::string repository = c.repository.empty() ? images::repository_of(ref) : c.repository;
  std::optional<images::SignatureVerdict> worst;
  for (const auto* e : entries) {
    std::string error;
    const auto trust = trust_.trust_for(*e, error);
    // Keys that cannot be read go to a worker, which remembers (and logs) the failure.
    auto v = trust ? verifier_.cached(repository, digest, *trust) : std::nullopt;
    if (!v) return std::nullopt;
    worst = worst ? images::worst_of(*worst, *v) : *v;
  }
  return images::ContainerSignature{repository + "@" + digest, *worst};
}

ImageVerification::Now ImageVerification::collect(const crds::ImagesSpec& spec,
                                                  const std::vector<PodImage>& containers,
                                                  Clock::time_point deadline,
                                                  std::chrono::milliseconds budget) {
  Now out;
  // Worst over the containers of one name (several pods), naming the image of the worst.
  auto add = [&out](const std::string& name, const images::ContainerSignature& verdict) {
    auto [it, fresh] = out.verdicts.try_emplace(name, verdict);
    if (!fresh &&
        images::worst_of(it->second.verdict, verdict.verdict).result != it->second.verdict.result) {
      it->second = verdict;
    }
  };
  std::vector<std::pair<const PodImage*, Result>> pending;
  for (const PodImage& c : containers) {
    const auto entries = crds::verify_entries_for(spec, c.image);
    if (entries.empty()) continue;
    std::string key = job_key(entries, c);
    if (auto now = at_once(key, entries, c, out.again)) {
      add(c.container, *now);
      continue;
    }
    std::vector<crds::ImageVerifyEntry> copies;
    for (const auto* e : entries) copies.push_back(*e);
    pending.emplace_back(&c, submit(std::move(key), std::move(copies), c));
  }
  for (auto& [c, result] : pending) {
    images::ContainerSignature verdict = not_in_time(*c, budget, "");
    if (!result.valid()) {
      verdict = not_in_time(*c, budget, "too many verifications queued");
    } else if (result.wait_until(deadline) == std::future_status::ready) {
      try {
        verdict = result.get();
        add(c->container, verdict);
        // A verification that could not be done is tried again once its failure lapses.
        if (verdict.verdict.result == SignatureResult::kNotEvaluated) {
          const auto retry =
              std::chrono::duration_cast<std::chrono::milliseconds>(options_.retry_failed);
          out.again = out.again ? std::min(*out.again, retry) : retry;
        }
        continue;
      } catch (const std::future_error&) {  // the pool stopped before it came to this one
        verdict = not_in_time(*c, budget, "verification stopped");
      }
    }
    constexpr std::chrono::milliseconds kShortly{2000};
    out.again = out.again ? std::min(*out.again, kShortly) : kShortly;
    add(c->container, verdict);
  }
  return out;
}

images::ImageSignatures ImageVerification::verify(const crds::ImagesSpec& spec,
                                                  const std::vector<PodImage>& containers,
                                                  std::chrono::milliseconds budget) {
  return collect(spec, containers, Clock::now() + budget, budget).verdicts;
}

ImageVerification::Now ImageVerification::verify_now(const crds::ImagesSpec& spec,
                                                     const std::vector<PodImage>& containers) {
  return collect(spec, containers, Clock::now(), {});
}

}  // namespace bulwark::registry
