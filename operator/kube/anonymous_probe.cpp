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
  const std::string what = "GET namespaces/kube-system without credentials: ";
  try {
    client.get(resources::kNamespaces, "", "kube-system", std::chrono::seconds(10));
    return {AnonymousRequests::kAllowed, what + "200"};
  } catch (const ApiError& e) {
    const std::string detail = what + std::to_string(e.code()) + " " + e.what();
    if (e.code() == 401) return {AnonymousRequests::kDenied, detail};
    if (e.code() == 403) return {AnonymousRequests::kAllowed, detail};
    return {AnonymousRequests::kUnknown, detail};
  }
}

}  // namespace bulwark::kube
