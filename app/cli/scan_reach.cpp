#include "app/cli/scan_reach.h"

#include <algorithm>
#include <tuple>

#include "operator/document/json_writer.h"
#include "operator/document/value.h"

namespace bulwark::cli {

using document::Value;

void write_reach(const network::NetworkModel& model, std::vector<ReachPod> pods,
                 std::ostream& out) {
  std::sort(pods.begin(), pods.end(),
            [](const ReachPod& a, const ReachPod& b) { return a.name < b.name; });
  std::string line;
  for (const auto& from : pods) {
    for (const auto& to : pods) {
      if (&from == &to) continue;  // a pod to itself never crosses a policy
      auto ports = to.pod.ports;
      std::sort(ports.begin(), ports.end(), [](const auto& a, const auto& b) {
        return std::tie(a.protocol, a.port) < std::tie(b.protocol, b.port);
      });
      ports.erase(std::unique(ports.begin(), ports.end(),
                              [](const auto& a, const auto& b) {
                                return a.protocol == b.protocol && a.port == b.port;
                              }),
                  ports.end());
      for (const auto& port : ports) {
        const auto decision = model.connect(from.pod, to.pod, port.protocol, port.port);
        const auto out_of =
            model.egress(from.pod, {&to.pod, to.pod.address}, port.protocol, port.port);
        const auto into =
            model.ingress({&from.pod, from.pod.address}, to.pod, port.protocol, port.port);
        Value row = Value::object();
        row.set("from", Value::string(from.name));
        row.set("to", Value::string(to.name));
        row.set("port", Value::integer(port.port));
        row.set("protocol", Value::string(network::to_string(port.protocol)));
        row.set("reach", Value::string(network::to_string(decision.reach)));
        row.set("egress", Value::string(network::to_string(out_of.reach)));
        row.set("ingress", Value::string(network::to_string(into.reach)));
        row.set("reason", Value::string(decision.reason));
        line.clear();
        document::write_json(row, line);
        out << line << '\n';
      }
    }
  }
}

}  // namespace bulwark::cli
