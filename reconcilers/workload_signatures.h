#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "operator/document/value.h"
#include "operator/posture/engine.h"
#include "operator/registry/image_verification.h"
#include "reconcilers/policy_set.h"

namespace bulwark::reconcilers {

// What a running workload's containers run, as images.verify judges it: for each container of
// each of its pods, the digest its status reports (status.*containerStatuses[].imageID), and
// where none does yet, the template's reference when it pins a digest. A container whose image
// is known only by its local ID (imported on the node), or that no pod runs yet and that names a
// tag, cannot be verified by what it runs: not evaluated, saying why (admission judged the tag).
std::vector<registry::PodImage> running_images(const document::Value& pod_spec,
                                               const std::vector<const document::Value*>& pods);

// The verdicts of every active policy's entries that asks for signatures, for these containers,
// with no wait: a verdict not known yet is not evaluated ("being verified"), or a failed
// verification's reason, and `again` says when to judge again (ImageVerification::verify_now).
struct WorkloadSignatures {
  posture::SignaturesByEntries by_entries;
  std::optional<std::chrono::milliseconds> again;
};
// Only the policies `selects` takes (those that select the workload) are asked.
WorkloadSignatures workload_signatures(registry::ImageVerification& verification,
                                       const std::vector<LoadedPolicy>& policies,
                                       const std::function<bool(const LoadedPolicy&)>& selects,
                                       const std::vector<registry::PodImage>& containers);

}  // namespace bulwark::reconcilers
