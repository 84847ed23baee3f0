#pragma once

#include <string>

#include "operator/kube/cluster_config.h"

namespace bulwark::kube {

// Whether the API server takes a request without credentials as the user system:anonymous
// (--anonymous-auth, on by default) or refuses it. Any pod can send one, so the answer decides
// whether every workload holds what system:anonymous and system:unauthenticated are bound to.
enum class AnonymousRequests { kAllowed, kDenied, kUnknown };

struct AnonymousProbe {
  AnonymousRequests answer = AnonymousRequests::kUnknown;
  std::string detail;  // what was answered, for the log
};

// Asks once, as a pod without its token would: a GET of the Namespace kube-system with the
// cluster's address and CA and no credentials. 401: denied. 403 (authenticated, not authorized)
// or 200: allowed. Anything else (no answer, 5xx): unknown.
AnonymousProbe probe_anonymous_requests(const ClusterConfig& cluster);

class KubeClient;
// The same through `client`, which must send no credentials.
AnonymousProbe probe_anonymous_requests(KubeClient& client);

}  // namespace bulwark::kube
