#pragma once

#include <string>

namespace bulwark::testing {

// A minimal pod in namespace "ns" as the API server would send it, optionally owned by `owner`.
inline std::string pod_json(const std::string& name, int resource_version,
                            const std::string& owner = "") {
  std::string s = R"({"metadata":{"name":")" + name + R"(","namespace":"ns","resourceVersion":")" +
                  std::to_string(resource_version) + "\"";
  if (!owner.empty()) s += R"(,"ownerReferences":[{"uid":")" + owner + R"("}])";
  return s + R"(},"spec":{"containers":[{"name":"c"}]}})";
}

}  // namespace bulwark::testing
