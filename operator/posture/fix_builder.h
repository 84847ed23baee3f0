#pragma once

// Internal to the fixes: what the fix table's rows record of one pod before it becomes patch
// operations.

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "operator/posture/check.h"
#include "operator/posture/fixes.h"

namespace bulwark::posture::detail {

// What the fixes of one pod set: members of a container's securityContext, and
// "ALL" appended to a container's capabilities.drop. Also which findings (control and path, as
// the checks report them) the fixes repair. Each row records only what is safe (fix_table.cpp).
class FixBuilder {
 public:
  // Sets securityContext.`key` of the container, repairing the control's finding at
  // securityContext.`finding` (`key` when empty).
  void set(const ContainerRef& c, std::string_view control, std::string_view key,
           document::Value value, std::string_view finding = {});
  void drop_all(const ContainerRef& c, std::string_view control);

  bool repairs(std::string_view control, const std::string& path) const;
  // The operations, from `spec_pointer` (the pod spec's JSON Pointer): the containers' in
  // visiting order (init containers, containers, ephemeral containers).
  std::vector<PatchOp> ops(const std::string& spec_pointer) const;

 private:
  struct Setting {
    std::string key;  // a securityContext member; kDropAll appends "ALL" to capabilities.drop
    document::Value value;
  };
  struct ContainerSettings {
    std::string_view list;
    const document::Value* node;
    std::vector<Setting> settings;
  };
  ContainerSettings& container(const ContainerRef& c);
  static void container_ops(const ContainerSettings& c, const std::string& pointer,
                            std::vector<PatchOp>& out);

  // By (list: initContainers 0, containers 1, ephemeralContainers 2; index): visiting order, and
  // a lookup that stays logarithmic in a pod of 100,000 containers.
  std::map<std::pair<int, std::size_t>, ContainerSettings> containers_;
  std::set<std::pair<std::string, std::string>, std::less<>> repaired_;  // control, finding path
};

}  // namespace bulwark::posture::detail
