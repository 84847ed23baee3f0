#include "operator/rbac/bootstrap_roles.h"

#include <sstream>
#include <stdexcept>

#include "operator/document/reader.h"
#include "operator/document/value.h"

namespace bulwark::rbac {

namespace detail {
extern const std::string_view kBootstrapClusterRolesJson;
}

const BootstrapRoles& bootstrap_cluster_roles() {
  static const BootstrapRoles roles = [] {
    std::istringstream in{std::string(detail::kBootstrapClusterRolesJson)};
    document::Value list;
    if (!document::make_json_reader(in)->next(list)) {
      throw std::logic_error("bootstrap_cluster_roles.json holds no document");
    }
    BootstrapRoles out;
    if (const auto* v = list.find({"metadata", "annotations", "bulwark.dev/kubernetes-version"})) {
      out.kubernetes_version = std::string(v->str());
    }
    for (const auto& item : document::items_of(list.find("items"))) {
      if (auto role = read_role(item, "ClusterRole")) out.roles.push_back(std::move(*role));
    }
    return out;
  }();
  return roles;
}

}  // namespace bulwark::rbac
