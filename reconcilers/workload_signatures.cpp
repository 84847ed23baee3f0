// A running workload's images, judged by the digests its pods run (workload_signatures.h).
#include "reconcilers/workload_signatures.h"

#include <map>
#include <set>

#include "operator/images/reference.h"

namespace bulwark::reconcilers {
namespace {

using document::Value;

constexpr std::string_view kLists[][2] = {{"initContainers", "initContainerStatuses"},
                                          {"containers", "containerStatuses"},
                                          {"ephemeralContainers", "ephemeralContainerStatuses"}};

// One pod's containers with what their statuses say they run.
void add_pod(const Value& pod, std::vector<registry::PodImage>& out, std::set<std::string>& seen) {
  const Value* spec = pod.find("spec");
  const Value* status = pod.find("status");
  if (spec == nullptr) return;
  for (const auto& [list, statuses] : kLists) {
    std::map<std::string, std::string, std::less<>> image_ids;
    for (const Value& s :
         document::items_of(status != nullptr ? status->find(statuses) : nullptr)) {
      image_ids[document::text_at(s, {"name"})] = document::text_at(s, {"imageID"});
    }
    for (const Value& c : document::items_of(spec->find(list))) {
      const std::string name = document::text_at(c, {"name"});
      auto id = image_ids.find(name);
      if (id == image_ids.end() || id->second.empty()) continue;  // not started yet
      registry::PodImage p{name, document::text_at(c, {"image"}), "", ""};
      if (const auto running = images::parse_image_id(id->second)) {
        p.digest = running->digest;
        p.repository = running->repository;
      } else {
        p.unverifiable = "it runs an image known only by its local ID (" + id->second +
                         "), not pulled by a registry digest";
      }
      seen.insert(name);
      out.push_back(std::move(p));
    }
  }
}

}  // namespace

std::vector<registry::PodImage> running_images(const Value& pod_spec,
                                               const std::vector<const Value*>& pods) {
  std::vector<registry::PodImage> out;
  std::set<std::string> seen;
  for (const Value* pod : pods) add_pod(*pod, out, seen);
  for (registry::PodImage& c : registry::images_of(pod_spec)) {
    if (seen.count(c.container) > 0) continue;
    if (!images::is_sha256_digest(images::parse_image(c.image).digest)) {
      c.unverifiable =
          "no pod runs it yet, and its image names a tag: it is judged by the digest it runs once "
          "it runs (admission judged the tag)";
    }
    out.push_back(std::move(c));
  }
  return out;
}

WorkloadSignatures workload_signatures(registry::ImageVerification& verification,
                                       const std::vector<LoadedPolicy>& policies,
                                       const std::function<bool(const LoadedPolicy&)>& selects,
                                       const std::vector<registry::PodImage>& containers) {
  WorkloadSignatures out;
  for (const auto& p : policies) {
    if (!p.active() || p.policy.spec.images.verify.empty() || !selects(p)) continue;
    const std::string key = crds::verify_key(p.policy.spec.images);
    if (out.by_entries.count(key) > 0) continue;
    auto now = verification.verify_now(p.policy.spec.images, containers);
    out.by_entries.emplace(key, std::move(now.verdicts));
    if (now.again) out.again = out.again ? std::min(*out.again, *now.again) : now.again;
  }
  return out;
}

}  // namespace bulwark::reconcilers
