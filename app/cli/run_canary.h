#pragma once
// The enforcement canary of `bulwark run` (docs/architecture.md, The enforcement canary): the
// operator's listener on the ports the canary reaches back, the probes, the prober controller,
// and what metrics show of its verdicts.

#include <memory>
#include <string>

#include "config/operator_config.h"
#include "metrics/operator_metrics.h"
#include "operator/kube/client.h"
#include "operator/kube/object_writer.h"
#include "operator/runtime/manager.h"
#include "reconcilers/enforcement_book.h"

namespace bulwark::cli {

class OperatorCanary {
 public:
  // Registers the prober with the Manager when the canary is on and the operator runs in a pod
  // whose address it knows (POD_IP) and can listen on; otherwise publishes why the verdicts are
  // Unknown (canary off, CanaryUnavailable; outside a pod, ProbeFromNode) and probes nothing.
  OperatorCanary(runtime::Manager& manager, kube::KubeClient& client, kube::ObjectWriter& writer,
                 const base::Clock& clock, const config::OperatorConfig& cfg,
                 const std::string& own_namespace, metrics::OperatorMetrics& metrics);
  ~OperatorCanary();
  reconcilers::EnforcementBook& book() { return book_; }
  // The verdicts as the metrics show them.
  void fill(metrics::PostureSnapshot& snapshot) const;

 private:
  struct Parts;
  reconcilers::EnforcementBook book_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace bulwark::cli
