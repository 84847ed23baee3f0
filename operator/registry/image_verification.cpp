// Verification with a time budget and a pool of workers (image_verification.h).
#include "operator/registry/image_verification.h"

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
           why.empty() ? "not verified within " + std::to_string(budget.count()) +
                             " ms (the verification goes on; its verdict is kept for the next "
                             "request)"
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
    job.promise.set_value(it != out.end() ? it->second
                                          : not_in_time(job.container, {}, "no entry covers it"));
    {
      std::lock_guard lock(mu_);
      running_.erase(job.key);
    }
    if (on_done_) on_done_();
  }
}

images::ImageSignatures ImageVerification::verify(const crds::ImagesSpec& spec,
                                                  const std::vector<PodImage>& containers,
                                                  std::chrono::milliseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  std::vector<std::pair<const PodImage*, Result>> pending;
  for (const PodImage& c : containers) {
    const auto entries = crds::verify_entries_for(spec, c.image);
    if (entries.empty()) continue;
    std::vector<crds::ImageVerifyEntry> copies;
    for (const auto* e : entries) copies.push_back(*e);
    pending.emplace_back(&c, submit(job_key(entries, c), std::move(copies), c));
  }
  images::ImageSignatures out;
  for (auto& [c, result] : pending) {
    images::ContainerSignature verdict = not_in_time(*c, budget, "");
    if (!result.valid()) {
      verdict = not_in_time(*c, budget, "too many verifications queued");
    } else if (result.wait_until(deadline) == std::future_status::ready) {
      try {
        verdict = result.get();
      } catch (const std::future_error&) {  // the pool stopped before it came to this one
        verdict = not_in_time(*c, budget, "verification stopped");
      }
    }
    auto [it, fresh] = out.try_emplace(c->container, verdict);
    if (!fresh) it->second.verdict = images::worst_of(it->second.verdict, verdict.verdict);
  }
  return out;
}

}  // namespace bulwark::registry
