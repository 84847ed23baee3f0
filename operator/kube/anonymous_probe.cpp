#include "operator/kube/anonymous_probe.h"

#include "operator/base/clock.h"
#include "operator/kube/client.h"

namespace bulwark::kube {

AnonymousProbe probe_anonymous_requests(const ClusterConfig& cluster) {
  ClusterConfig anonymous = cluster;
  anonymous.client_cert_pem.clear();
  anonymous.client_key_pem.clear();
  anonymous.token.clear();
  anonymous.token_file.clear();
  anonymous.exec.reset();
  base::RealClock clock;
  KubeClient client(make_cpprest_transport(anonymous), KubeClient::Options{}, clock);
  return probe_anonymous_requests(client);
}

AnonymousProbe probe_anonymous_requests(KubeClient& client) {
  // The answer's own text is left out of the detail for 401 and 403: those are expected here,
  // and logs are searched for refusals of the operator's own requests.
  const std::string what = "a GET of namespaces/kube-system without credentials was answered ";
  try {
    // Short: a replica starts only after it (an unreachable API server answers nothing anyway).
    client.get(resources::kNamespaces, "", "kube-system", std::chrono::seconds(3));
    return {AnonymousRequests::kAllowed, what + "200"};
  } catch (const ApiError& e) {
    const std::string code = std::to_string(e.code());
    if (e.code() == 401) return {AnonymousRequests::kDenied, what + code + " (not authenticated)"};
    if (e.code() == 403) {
      return {AnonymousRequests::kAllowed, what + code + " (system:anonymous, not authorized)"};
    }
    return {AnonymousRequests::kUnknown, what + code + ": " + e.what()};
  }
}

}  // namespace bulwark::kube
