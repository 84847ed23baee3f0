#include "operator/kube/resource_type.h"

namespace bulwark::kube {

std::string ResourceType::path(const std::string& ns, const std::string& name) const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) p += "/namespaces/" + ns;
  p += "/" + resource;
  if (!name.empty()) p += "/" + name;
  return p;
}

}  // namespace bulwark::kube
