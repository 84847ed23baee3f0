// The fix table: for every control, whether Bulwark derives a fix and what it sets, or why a
// person must decide. A fix sets a field that is unset (or, where its row says so, one whose
// value the fix makes no difference to at run time); it never removes a container, volume, port
// or capability, and it keeps to what the API server validates. docs/api.md (Fixes) is this
// table in prose; FixTable.* hold the two and kControlIds together.
#include <algorithm>

#include "operator/policy/control_ids.h"
#include "operator/posture/fix_builder.h"

namespace bulwark::posture::detail {
namespace {

bool absent(const Value* v) { return v == nullptr || v->is_null(); }
bool is_true(const Value* v) { return v != nullptr && v->as_bool() == true; }

// A container whose securityContext (or a part of it the fix reaches into) has another shape than
// the API's is left alone: the API server refuses it before any fix would matter.
bool context_readable(const ContainerRef& c) {
  const Value* context = c.node.find("securityContext");
  return absent(context) || context->is_mapping();
}

// A numeric runAsUser above 0: the kubelet's runAsNonRoot check then passes whatever the image
// says, so runAsNonRoot=true changes nothing at run time.
bool non_root_user(const Value* uid) {
  if (absent(uid) || uid->is_string()) return false;
  const auto n = uid->as_int();
  return n && *n > 0;
}

// The API server refuses allowPrivilegeEscalation=false beside privileged=true or an added
// CAP_SYS_ADMIN (Kubernetes' ValidateSecurityContext); SYS_ADMIN, the spelling the runtimes
// read, is kept out too.
void fix_allow_privilege_escalation(const PodView& pod, FixBuilder& fixes) {
  if (pod.is_windows()) return;  // the API server refuses the field on Windows pods
  visit_containers(pod, [&](const ContainerRef& c) {
    if (!context_readable(c) || !absent(c.security_context("allowPrivilegeEscalation"))) return;
    if (is_true(c.security_context("privileged"))) return;
    const auto& added = document::items_of(c.node.find({"securityContext", "capabilities", "add"}));
    if (std::any_of(added.begin(), added.end(), [](const Value& cap) {
          return cap.str() == "SYS_ADMIN" || cap.str() == "CAP_SYS_ADMIN";
        })) {
      return;
    }
    fixes.set(c, "allowPrivilegeEscalation", "allowPrivilegeEscalation", Value::boolean(false));
  });
}

void fix_capabilities(const PodView& pod, FixBuilder& fixes) {
  if (pod.is_windows()) return;
  visit_containers(pod, [&](const ContainerRef& c) {
    if (!context_readable(c)) return;
    const Value* caps = c.security_context("capabilities");
    if (!absent(caps) && !caps->is_mapping()) return;
    const Value* drop = absent(caps) ? nullptr : caps->find("drop");
    if (!absent(drop) && !drop->is_sequence()) return;
    const auto& dropped = document::items_of(drop);
    if (std::any_of(dropped.begin(), dropped.end(),
                    [](const Value& v) { return v.str() == "ALL"; })) {
      return;
    }
    fixes.drop_all(c, "capabilities_restricted");
  });
}

// Each container whose own runAsNonRoot is unset or false, and whose user (its own runAsUser,
// else the pod's) is a number above 0. The pod's own runAsNonRoot=false is left: it would reach
// containers added later (kubectl debug, injected sidecars) whose user nobody checked.
void fix_run_as_non_root(const PodView& pod, FixBuilder& fixes) {
  if (pod.in_user_namespace()) return;
  const Value* pod_user = pod.spec.find({"securityContext", "runAsUser"});
  const Value* pod_non_root = pod.spec.find({"securityContext", "runAsNonRoot"});
  visit_containers(pod, [&](const ContainerRef& c) {
    if (!context_readable(c)) return;
    const Value* own_user = c.security_context("runAsUser");
    if (!non_root_user(absent(own_user) ? pod_user : own_user)) return;
    const Value* own = c.security_context("runAsNonRoot");
    const bool needed = absent(own) ? !is_true(pod_non_root) : own->as_bool() != true;
    if (needed) fixes.set(c, "runAsNonRoot", "runAsNonRoot", Value::boolean(true));
  });
}

bool annotated(const PodView& pod, std::string_view key) {
  const Value* annotations = pod.meta != nullptr ? pod.meta->find("annotations") : nullptr;
  return annotations != nullptr && annotations->find(key) != nullptr;
}

// RuntimeDefault on each container where neither it nor the pod names a profile. A profile the
// pod names (Unconfined too) is its owner's choice; so is one the legacy annotations name, which
// the API server holds equal to the fields.
void fix_seccomp(const PodView& pod, FixBuilder& fixes) {
  if (pod.is_windows()) return;
  if (!absent(pod.spec.find({"securityContext", "seccompProfile"}))) return;
  if (annotated(pod, "seccomp.security.alpha.kubernetes.io/pod")) return;
  visit_containers(pod, [&](const ContainerRef& c) {
    if (!context_readable(c) || !absent(c.security_context("seccompProfile"))) return;
    if (annotated(pod, "container.seccomp.security.alpha.kubernetes.io/" + std::string(c.name()))) {
      return;
    }
    fixes.set(c, "seccompProfile_restricted", "seccompProfile",
              Value::object().set("type", Value::string("RuntimeDefault")), "seccompProfile.type");
  });
}

}  // namespace
}  // namespace bulwark::posture::detail

namespace bulwark::posture {

namespace {

// The rows written out: the controls a fix can repair, and those with a reason of their own.
// The network and RBAC controls not listed take their family's reason (fix_table below).
const std::vector<FixRule>& written_rules() {
  using namespace detail;
  static const std::vector<FixRule> rules = {
      {"privileged", false,
       "privileged=true is a decision, not a default: the container asked for the node's devices "
       "and every capability"},
      {"hostNamespaces", false,
       "sharing the node's network, PID or IPC namespace is how the workload was built"},
      {"hostPorts", false,
       "a hostPort is how clients reach the container; ports are never removed"},
      {"hostPathVolumes", false,
       "a hostPath volume cannot be removed safely: the workload reads or writes the node's files"},
      {"hostProbesAndHostLifecycle", false,
       "a probe's or hook's host says where it goes; another target is a decision"},
      {"capabilities_baseline", false,
       "an added capability is one the workload asked for; removing it may break it"},
      {"capabilities_restricted", true,
       "adds \"ALL\" to securityContext.capabilities.drop where the container does not drop it "
       "(what it adds stays)",
       "a capability added beyond NET_BIND_SERVICE is the workload's own request",
       fix_capabilities},
      {"allowPrivilegeEscalation", true,
       "sets securityContext.allowPrivilegeEscalation=false where it is unset",
       "beside privileged=true or an added SYS_ADMIN the API server refuses false, and an explicit "
       "true was chosen (setuid programs may need it)",
       fix_allow_privilege_escalation},
      {"runAsNonRoot", true,
       "sets the container's securityContext.runAsNonRoot=true (replacing false) where it runs as "
       "a numeric runAsUser above 0, its own or the pod's",
       "without a numeric runAsUser above 0 the image's user decides, which Bulwark cannot see; "
       "the pod's own runAsNonRoot=false would reach containers added later",
       fix_run_as_non_root},
      {"runAsUser", false, "runAsUser=0 asks for root explicitly"},
      {"seccompProfile_baseline", false,
       "the profile was chosen explicitly (Unconfined, or by a legacy annotation)"},
      {"seccompProfile_restricted", true,
       "sets securityContext.seccompProfile.type=RuntimeDefault on each container where neither "
       "it nor the pod names a profile",
       "a profile named on the pod or by a legacy annotation (Unconfined too) was chosen",
       fix_seccomp},
      {"seLinuxOptions", false, "SELinux labels are set for the node's policy"},
      {"procMount", false, "an Unmasked /proc was asked for explicitly"},
      {"procMount_restricted", false, "an Unmasked /proc was asked for explicitly"},
      {"sysctls", false, "a sysctl is set because the workload needs it"},
      {"appArmorProfile", false, "the AppArmor profile was chosen explicitly"},
      {"windowsHostProcess", false, "a HostProcess container runs as the Windows node itself"},
      {"restrictedVolumes", false, "a volume cannot be removed or replaced safely"},
      {"imageRegistry", false, "where an image comes from is a release decision"},
      {"imageLatestTag", false, "which version to pin is a release decision"},
      {"imageDigest", false, "which digest to pin is a release decision"},
      {"imageVulnerabilities", false, "a fixed image is a new build"},
      {"imageSignature", false, "an image is signed by its publisher, not by a patch"},
      {"resourceLimits", false, "limits are a sizing decision"},
      {"resourceRequests", false, "requests are a sizing decision"},
      {"automountServiceAccountToken", false,
       "a workload that calls the API server needs its token"},
      {"networkDefaultDeny", false,
       "judged per namespace: spec.network.defaultDeny has Bulwark keep one"},
      {"rbacDefaultServiceAccount", false, "which ServiceAccount a workload runs as is a decision"},
  };
  return rules;
}

}  // namespace

const std::vector<FixRule>& fix_table() {
  static const std::vector<FixRule> table = [] {
    std::vector<FixRule> out;
    for (const auto id : crds::kControlIds) {
      const auto& written = written_rules();
      const auto row = std::find_if(written.begin(), written.end(),
                                    [&](const FixRule& r) { return r.control == id; });
      if (row != written.end()) {
        out.push_back(*row);
      } else if (id.rfind("rbac", 0) == 0) {
        out.push_back({id, false, "permissions come from roles and bindings, not the workload"});
      } else if (id.rfind("network", 0) == 0) {
        out.push_back({id, false,
                       "which traffic a workload needs is a decision for the owners of its "
                       "NetworkPolicies and Services, other objects"});
      } else {
        out.push_back({id, false, ""});  // a new control: FixTable.* ask for its row
      }
    }
    return out;
  }();
  return table;
}

}  // namespace bulwark::posture
