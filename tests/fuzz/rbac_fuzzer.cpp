// RBAC objects on any YAML stream: every document is read as a Role, ClusterRole or binding of its
// kind, the graph aggregates and resolves the accounts they name, and every control is judged:
// findings or none, never a crash. Hostile input includes aggregation cycles, missing roleRefs,
// subjects of every shape and usernames with extra colons.
#include <cstdint>
#include <sstream>

#include "operator/rbac/permission_checks.h"
#include "operator/rbac/rbac.h"
#include "tests/fuzz/fuzz_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  auto reader = document::make_yaml_reader(in, fuzz::limits());
  rbac::RbacGraph graph;
  std::vector<rbac::Account> accounts{{"shop", "default"}, {"shop", "web"}};
  document::Value doc;
  for (int i = 0; i < 64; ++i) {
    try {
      if (!reader->next(doc)) break;
    } catch (const document::ParseError&) {
      break;
    }
    const document::Value* kind = doc.find("kind");
    if (kind == nullptr) continue;
    if (auto role = rbac::read_role(doc, kind->str())) {
      graph.put_role(std::move(*role));
    } else if (auto binding = rbac::read_binding(doc, kind->str())) {
      for (const auto& s : binding->subjects) accounts.push_back({s.namespace_name, s.name});
      graph.put_binding(std::move(*binding));
    }
  }
  graph.aggregate();
  std::vector<std::string> all;
  for (const auto& c : rbac::permission_controls()) all.emplace_back(c.id);
  for (const auto& a : accounts) (void)rbac::judge_permissions(graph.permissions_of(a), all);
  return 0;
}
