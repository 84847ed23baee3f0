#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "operator/network/reach.h"

namespace bulwark::cli {

// A pod of the scanned files as `bulwark scan -o reach` names it: "Pod/shop/web", or the
// workload's kind and name for a pod template.
struct ReachPod {
  std::string name;
  network::Pod pod;
};

// `bulwark scan -o reach`: what the network model predicts for every ordered pair of distinct pods
// and every port the destination's containers declare, one JSON object a line, sorted (from, to,
// protocol, port): {"from","to","port","protocol","reach":"allowed|denied|unknown","egress",
// "ingress","reason"}: the connection, the source's egress alone, the destination's ingress alone.
// "unknown" where the model cannot decide without what the files lack (a namespace's labels, a
// pod's address).
void write_reach(const network::NetworkModel& model, std::vector<ReachPod> pods, std::ostream& out);

}  // namespace bulwark::cli
