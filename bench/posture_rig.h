#pragma once

// What a benchmark's posture reconciler writes through and records into: the in-process API
// stand-in (answering at once), the policy set over `policies`, the book and no Events.
#include <memory>

#include "bench/instant_api.h"
#include "operator/base/clock.h"
#include "operator/kube/client.h"
#include "operator/kube/client_writer.h"
#include "reconcilers/events.h"
#include "reconcilers/policy_set.h"
#include "reconcilers/posture_book.h"

namespace bulwark::bench {

struct PostureRig {
  explicit PostureRig(const runtime::CacheReader& policies)
      : api(new InstantApi),
        client(std::unique_ptr<InstantApi>(api), {1e9, 1000000}, clock),
        writer(client),
        policy_set(policies) {}
  base::RealClock clock;
  InstantApi* api;  // owned by the client
  kube::KubeClient client;
  kube::ClientWriter writer;
  reconcilers::PolicySet policy_set;
  reconcilers::PostureBook book;
  reconcilers::NoEvents events;
};

}  // namespace bulwark::bench
