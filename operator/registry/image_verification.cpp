// Verification with a time budget and a pool of workers (image_verification.h).
#include "operator/registry/image_verification.h"

#include "operator/images/reference.h"

namespace bulwark::registry {
namespace {

using images::SignatureResult;

// What a container's verdict depends on: its image (and digest), and each covering entry.
std::string job_key(const std::vector<const crds::ImageVerifyEntry*>& entries, const PodImage& c) {
  std::string key = c.image + "|" + c.repository + "@" + c.digest;
  for (const auto* e : entries) {
    key += "|";
    for (const auto& k : e->public_keys) key += k.pem + k.secret_name + "/" + k.secret_key + ";";
    for (const auto& i : e->signed_identities) key += "=" + i;
    key += "#" + e->credentials_secret;
  }
  return key;
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
    images::ImageSignatures out = verify_pod_images(verifier_, trust_, spec, {job.container});
    auto it = out.find(job.container.container);
    const images::ContainerSignature verdict =
        it != out.end() ? it->second : not_in_time(job.container, {}, "no entry covers it");
    job.promise.set_value(verdict);
    std::lock_guard lock(mu_);
    running_.erase(job.key);
    if (verdict.verdict.result == SignatureResult::kNotEvaluated) {
      failed_[job.key] = {verdict, Clock::now() + options_.retry_failed};
    }
  }
}

std::optional<images::ContainerSignature> ImageVerification::at_once(
    const std::string& key, const std::vector<const crds::ImageVerifyEntry*>& entries,
    const PodImage& c, std::optional<std::chrono::milliseconds>& again) {
  if (!c.unverifiable.empty()) {
    return images::ContainerSignature{c.image, {SignatureResult::kNotEvaluated, c.unverifiable}};
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
    auto v = trust ? verifier_.cached(repository, digest, *trust)
                   : images::SignatureVerdict{SignatureResult::kNotEvaluated, error};
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
  auto add = [&out](const std::string& name, const images::ContainerSignature& verdict) {
    auto [it, fresh] = out.verdicts.try_emplace(name, verdict);
    if (!fresh) it->second.verdict = images::worst_of(it->second.verdict, verdict.verdict);
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
