// Benchmark, not a test: image signature verification against a real registry (run it through
// e2e/bench/signature_bench.sh, which starts Debian's docker-registry with the reproducible test
// image and its cosign signature). Prints, beside the floor of the same run:
//   - one verification, cold (a fresh cache: the signature manifest and payload fetched, the
//     ECDSA signature checked) and warm (the cache), p50 and p99;
//   - what images.verify adds to an admission decision (decide(), in the process: the API
//     server's and TLS's share is the admission benchmark's), by tag (resolved at every review)
//     and by digest, with a cold and a warm cache, against the same decision without it;
//   - verifications per second of one replica's pool (4 workers), cold.
//   usage: signature_bench HOST:PORT REPOSITORY DIGEST PUBLIC_KEY.pem
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "app/admission/decide.h"
#include "operator/base/clock.h"
#include "operator/base/files.h"
#include "operator/document/reader.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/http.h"
#include "operator/posture/engine.h"
#include "operator/registry/image_verification.h"
#include "reconcilers/policy_set.h"

namespace {

using namespace bulwark;
using Clock = std::chrono::steady_clock;

std::unique_ptr<registry::Registry> make(const std::string& host) {
  registry::RegistrySettings s;
  s.insecure_hosts = {host};
  return registry::make_registry(
      s, [](const kube::ClusterConfig& c) { return kube::make_cpprest_transport(c); });
}

struct Stats {
  std::vector<double> ms;
  void print(const char* what) {
    std::sort(ms.begin(), ms.end());
    std::printf("%-52s p50 %9.4f ms   p99 %9.4f ms   (%zu)\n", what, ms[ms.size() / 2],
                ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], ms.size());
  }
};

template <class Fn>
Stats time_each(int n, Fn&& fn) {
  Stats s;
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    fn(i);
    s.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return s;
}

std::string json_escape_newlines(std::string pem) {
  for (std::size_t at = 0; (at = pem.find('\n', at)) != std::string::npos; at += 2) {
    pem.replace(at, 1, "\\n");
  }
  return pem;
}

std::vector<reconcilers::LoadedPolicy> policies(const std::string& host, const std::string& pem,
                                                bool verify) {
  const auto doc = document::parse_json(
      std::string(R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy",)") +
      R"("metadata":{"name":"p","uid":"u","generation":1},"spec":{"podSecurity":{"level":)" +
      R"("baseline"},"images":{"forbidLatestTag":false)" +
      (verify ? R"(,"verify":[{"imageReferences":[")" + host +
                    R"(/team/*"],"signedIdentities":["127.0.0.71:5000/team/app"],"publicKeys":)" +
                    R"([{"pem":")" + json_escape_newlines(pem) + R"("}]}])"
              : "") +
      R"(},"enforcement":{"mode":"Enforce","actions":["Deny"]}}})");
  reconcilers::LoadedPolicy p;
  auto parsed = crds::parse_security_policy(doc);
  p.policy = std::move(parsed.policy);
  p.errors = std::move(parsed.errors);
  p.evaluator = std::make_shared<const posture::PolicyEvaluator>(p.policy.spec);
  return {std::move(p)};
}

admission::Review pod(const std::string& image) {
  admission::Review r;
  r.uid = "u";
  r.kind = "Pod";
  r.operation = "CREATE";
  r.namespace_name = "shop";
  r.object = document::parse_json(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop"},)"
      R"("spec":{"containers":[{"name":"app","image":")" +
      image + R"("}]}})");
  return r;
}

// What one replica's verifier and the webhook's decision need, for the figures below.
struct Rig {
  std::string host, repo, digest, pem;
  base::RealClock clock;
  std::unique_ptr<registry::Registry> reg;
  registry::InlineTrust trust;
  registry::TrustedKeys keys;
  std::string repository() const { return host + "/" + repo; }
};

void verification_figures(Rig& r) {
  time_each(5, [&](int) {  // connections made
    registry::SignatureVerifier v(*r.reg, r.clock, {});
    v.verify_digest(r.repository(), r.digest, r.keys);
  });
  time_each(400, [&](int) {
    registry::SignatureVerifier v(*r.reg, r.clock, {});
    if (v.verify_digest(r.repository(), r.digest, r.keys).result !=
        images::SignatureResult::kVerified) {
      std::fprintf(stderr, "not verified\n");
      std::exit(1);
    }
  }).print("one verification, cold (2 GETs and ECDSA)");
  registry::SignatureVerifier warm(*r.reg, r.clock, {});
  warm.verify_digest(r.repository(), r.digest, r.keys);
  time_each(20000, [&](int) {
    warm.verify_digest(r.repository(), r.digest, r.keys);
  }).print("one verification, warm (the cache)");
}

// decide() for a pod, against the same decision without images.verify.
void admission_figures(Rig& r) {
  crds::Labels labels;
  auto judge = [&](const std::vector<reconcilers::LoadedPolicy>& p, const std::string& image,
                   registry::ImageVerification* v) {
    admission::Context c{&p, &labels, {}, std::chrono::system_clock::now()};
    c.images = v;
    if (admission::decide(pod(image), c).outcome == admission::Decision::Outcome::kDenied) {
      std::fprintf(stderr, "%s not admitted\n", image.c_str());
      std::exit(1);
    }
  };
  const auto plain = policies(r.host, r.pem, false);
  const auto verifying = policies(r.host, r.pem, true);
  if (!plain[0].active() || !verifying[0].active()) {
    std::fprintf(stderr, "a benchmark policy does not parse\n");
    std::exit(1);
  }
  const std::string by_tag = r.repository() + ":signed",
                    by_digest = r.repository() + "@" + r.digest;
  time_each(2000, [&](int) {
    judge(plain, by_tag, nullptr);
  }).print("admission floor: decide() without images.verify");
  for (const auto& [what, image] :
       {std::pair{"by tag", by_tag}, std::pair{"by digest", by_digest}}) {
    time_each(300, [&](int) {
      registry::SignatureVerifier v(*r.reg, r.clock, {});
      registry::ImageVerification iv(v, r.trust, {});
      judge(verifying, image, &iv);
    }).print((std::string("admission with images.verify, cold, ") + what).c_str());
    registry::SignatureVerifier v(*r.reg, r.clock, {});
    registry::ImageVerification iv(v, r.trust, {});
    judge(verifying, image, &iv);
    time_each(2000, [&](int) {
      judge(verifying, image, &iv);
    }).print((std::string("admission with images.verify, warm, ") + what).c_str());
  }
}

// Throughput: 4 threads, each verifying cold for 3 s.
void throughput_figure(Rig& r) {
  std::atomic<long> done{0};
  std::vector<std::thread> threads;
  const auto until = Clock::now() + std::chrono::seconds(3);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (Clock::now() < until) {
        registry::SignatureVerifier v(*r.reg, r.clock, {});
        v.verify_digest(r.repository(), r.digest, r.keys);
        ++done;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::printf("%-52s %8.0f /s\n", "cold verifications, 4 threads", double(done) / 3.0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: signature_bench HOST:PORT REPOSITORY DIGEST PUBLIC_KEY.pem\n");
    return 2;
  }
  Rig r;
  r.host = argv[1];
  r.repo = argv[2];
  r.digest = argv[3];
  r.pem = base::read_file(argv[4]).value_or("");
  r.reg = make(r.host);
  crds::ImageVerifyEntry entry{
      {r.host + "/team/*"}, {{r.pem, "", ""}}, {"127.0.0.71:5000/team/app"}, ""};
  std::string error;
  auto keys = r.trust.trust_for(entry, error);
  if (!keys) {
    std::fprintf(stderr, "the key: %s\n", error.c_str());
    return 1;
  }
  r.keys = std::move(*keys);
  verification_figures(r);
  admission_figures(r);
  throughput_figure(r);
  return 0;
}
