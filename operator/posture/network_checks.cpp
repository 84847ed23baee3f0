// The network controls (docs/api.md, Network controls): what may reach a workload's pods, and
// what they may reach, as the NetworkPolicies and Services of its namespace have it.
#include <algorithm>

#include "operator/network/exposure.h"
#include "operator/posture/check.h"
#include "operator/posture/engine.h"

namespace bulwark::posture::detail {

namespace {

using network::Direction;

std::string_view namespace_of(const OwnCheckInput& in) {
  return in.namespace_name.empty() ? "default" : in.namespace_name;
}

// The template as the model sees it: its labels, and those the controllers add with a value of
// "" (present, so Exists and DoesNotExist judge them; a selector on their values is not judged:
// network_unread). A manifest without a namespace is in "default", as kubectl would create it.
network::Pod pod_of(const OwnCheckInput& in) {
  auto pod = network::read_pod(in.pod.meta, in.pod.spec, nullptr, namespace_of(in));
  for (auto key : controller_pod_labels(in.kind)) pod.labels.emplace(std::string(key), "");
  return pod;
}

bool forbidden(const OwnCheckInput& in, std::string_view id) {
  const auto& forbid = in.spec.network.forbid;
  return std::find(forbid.begin(), forbid.end(), id) != forbid.end();
}

// Why no policy isolates the pod in `direction`, or "" when one does.
std::string unisolated(const OwnCheckInput& in, const network::Pod& pod, Direction direction) {
  if (pod.host_network) {
    return "the pod is on the host network: its traffic is its node's, and no NetworkPolicy "
           "isolates it";
  }
  if (!in.context.network->selecting(pod, direction).empty()) return "";
  return "no NetworkPolicy selects this pod for " + std::string(network::to_string(direction));
}

std::string where(const OwnCheckInput& in, const network::Pod& pod) {
  return pod.host_network ? in.pod.spec_path + ".hostNetwork" : in.pod.meta_path + ".labels";
}

// A rule-based control on a pod no policy isolates: that is the Unrestricted control's finding
// when the policy forbids it too (one finding for one cause), else this control's.
bool report_unisolated(const OwnCheckInput& in, const network::Pod& pod, Direction direction,
                       std::string_view consequence, Findings& out) {
  const std::string why = unisolated(in, pod, direction);
  if (why.empty()) return false;
  const bool covered =
      forbidden(in, direction == Direction::kIngress ? "networkIngressUnrestricted"
                                                     : "networkEgressUnrestricted");
  if (!covered) out.add(why + ", so " + std::string(consequence), where(in, pod));
  return true;
}

}  // namespace

std::optional<std::string> network_unread(const OwnCheckInput& in) {
  if (in.context.network == nullptr) return in.context.network_unread;
  const auto keys = controller_pod_labels(in.kind);
  if (keys.empty()) return std::nullopt;
  const std::string ns(namespace_of(in));
  const std::string set_by = ", which the " + std::string(in.kind) +
                             "'s controller sets on each pod and its template does not hold";
  const auto& by_namespace = in.context.network->policies();
  if (const auto found = by_namespace.find(ns); found != by_namespace.end()) {
    for (const auto& policy : found->second) {
      const auto key = network::reads_value_of(policy.pod_selector, keys);
      if (key.empty()) continue;
      return "NetworkPolicy " + ns + "/" + policy.name + " selects pods by the value of " +
             std::string(key) + set_by;
    }
  }
  // A Service on such a label (a StatefulSet's per-pod Service) may expose one of the pods.
  for (const network::Service* service : in.context.network->services_in(ns)) {
    for (auto key : keys) {
      if (service->selector.count(std::string(key)) == 0) continue;
      return "Service " + ns + "/" + service->name + " selects pods by the value of " +
             std::string(key) + set_by;
    }
  }
  return std::nullopt;
}

void check_network_unrestricted(const OwnCheckInput& in, bool ingress, Findings& out) {
  const auto pod = pod_of(in);
  const auto direction = ingress ? Direction::kIngress : Direction::kEgress;
  const std::string why = unisolated(in, pod, direction);
  if (why.empty()) return;
  out.add(why + (ingress ? ": every pod of the cluster, and any address that routes to it, may "
                           "connect to it"
                         : ": it may connect to every pod and every address"),
          where(in, pod));
}

void check_network_all_namespaces(const OwnCheckInput& in, Findings& out) {
  const auto pod = pod_of(in);
  if (report_unisolated(in, pod, Direction::kIngress, "every pod of every namespace reaches it",
                        out)) {
    return;
  }
  for (const auto& o : network::all_namespaces_openings(*in.context.network, pod)) {
    out.add(o.rule + " " + o.what, in.pod.meta_path + ".labels");
  }
}

void check_network_world(const OwnCheckInput& in, bool ingress, Findings& out) {
  const auto pod = pod_of(in);
  const auto direction = ingress ? Direction::kIngress : Direction::kEgress;
  if (report_unisolated(in, pod, direction,
                        ingress ? "any address that routes to it may connect to it"
                                : "it may connect to any address",
                        out)) {
    return;
  }
  for (const auto& o : network::world_openings(*in.context.network, pod, direction)) {
    out.add(o.rule + " " + o.what, in.pod.meta_path + ".labels");
  }
}

// A Service reached from outside the cluster that selects the pod, on each of its target ports
// the pod's ingress lets the world through.
void check_network_exposed_service(const OwnCheckInput& in, Findings& out) {
  const auto pod = pod_of(in);
  const auto& model = *in.context.network;
  const std::string unisolated_why = unisolated(in, pod, Direction::kIngress);
  for (const network::Service* service : model.services_selecting(pod)) {
    if (!service->exposed()) continue;
    const std::string name = "Service " + service->namespace_name + "/" + service->name + " (" +
                             (service->external_ips.empty() ? service->type : "externalIPs") + ")";
    for (const auto& port : service->ports) {
      const auto target =
          port.target_number ? port.target_number : pod.named_port(port.target_name, port.protocol);
      if (!target) continue;  // this pod has no such named port: the Service reaches none
      const std::string where_to =
          std::to_string(*target) + "/" + std::string(network::to_string(port.protocol));
      const std::string exposes =
          name + " exposes this pod's port " + where_to + " outside the cluster";
      if (!service->keeps_source) {
        out.add(exposes +
                    ", and with externalTrafficPolicy: Cluster its traffic arrives from a "
                    "node's address, which NetworkPolicy does not stop (a pod's own node "
                    "always reaches it)",
                in.pod.meta_path + ".labels");
        continue;
      }
      if (!unisolated_why.empty()) {
        out.add(exposes + ", and " + unisolated_why, in.pod.meta_path + ".labels");
        continue;
      }
      const auto open = network::world_openings(model, pod, Direction::kIngress,
                                                network::PortOf{port.protocol, *target});
      if (open.empty()) continue;
      out.add(exposes + ", and " + open.front().rule + " " + open.front().what,
              in.pod.meta_path + ".labels");
    }
  }
}

}  // namespace bulwark::posture::detail
