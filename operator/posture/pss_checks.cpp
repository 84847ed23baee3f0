// The Pod Security Standards controls, with the check IDs, levels, version boundaries and
// semantics of upstream k8s.io/pod-security-admission (policy/check_*.go, v0.37). Each finding is
// reported at the field that causes it, rather than once per check as upstream does, so a user
// sees every place to fix.
#include <algorithm>
#include <array>
#include <string>

#include "operator/posture/check.h"

namespace bulwark::posture::detail {
namespace {

using crds::PssLevel;
using crds::Severity;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool is_true(const Value* v) { return v != nullptr && v->as_bool() == true; }

// --- baseline -----------------------------------------------------------------------------------

void privileged_1_0(const PodView& pod, Findings& out) {
  visit_containers(pod, [&](const ContainerRef& c) {
    if (is_true(c.security_context("privileged"))) {
      out.add(c.label() + " must not set securityContext.privileged=true",
              c.path("securityContext.privileged"));
    }
  });
}

void host_namespaces_1_0(const PodView& pod, Findings& out) {
  for (std::string_view field : {"hostNetwork", "hostPID", "hostIPC"}) {
    if (is_true(pod.spec.find(field))) {
      out.add("pod must not set " + std::string(field) + "=true",
              pod.spec_path + "." + std::string(field));
    }
  }
}

void host_ports_1_0(const PodView& pod, Findings& out) {
  visit_containers(pod, [&](const ContainerRef& c) {
    const auto& ports = document::items_of(c.node.find("ports"));
    for (std::size_t i = 0; i < ports.size(); ++i) {
      const Value* host_port = ports[i].find("hostPort");
      if (host_port != nullptr && !host_port->is_null() && host_port->as_int() != 0) {
        out.add(c.label() + " uses hostPort " + std::string(host_port->str()),
                c.path("ports[" + std::to_string(i) + "].hostPort"));
      }
    }
  });
}

void host_path_volumes_1_0(const PodView& pod, Findings& out) {
  const auto& volumes = document::items_of(pod.spec.find("volumes"));
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    const Value* host_path = volumes[i].find("hostPath");
    if (host_path != nullptr && !host_path->is_null()) {
      const Value* name = volumes[i].find("name");
      out.add("volume " + quoted(name != nullptr ? name->str() : "") + " uses hostPath",
              pod.spec_path + ".volumes[" + std::to_string(i) + "].hostPath");
    }
  }
}

void host_probes_and_lifecycle_1_34(const PodView& pod, Findings& out) {
  visit_containers(pod, [&](const ContainerRef& c) {
    auto check_handler = [&](const Value* handler, const std::string& where) {
      if (handler == nullptr) return;
      for (std::string_view action : {"httpGet", "tcpSocket"}) {
        const Value* host = handler->find({action, "host"});
        if (host != nullptr && !host->str().empty()) {
          const std::string field = where + "." + std::string(action) + ".host";
          out.add(c.label() + " must not set " + field + " (" + quoted(host->str()) + ")",
                  c.path(field));
        }
      }
    };
    for (std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
      check_handler(c.node.find(probe), std::string(probe));
    }
    for (std::string_view hook : {"postStart", "preStop"}) {
      check_handler(c.node.find({"lifecycle", hook}), "lifecycle." + std::string(hook));
    }
  });
}

constexpr std::array<std::string_view, 13> kBaselineCapabilities = {
    "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",      "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT"};

void capabilities_baseline_1_0(const PodView& pod, Findings& out) {
  visit_containers(pod, [&](const ContainerRef& c) {
    const auto& added = document::items_of(c.node.find({"securityContext", "capabilities", "add"}));
    for (std::size_t i = 0; i < added.size(); ++i) {
      const auto cap = added[i].str();
      if (std::find(kBaselineCapabilities.begin(), kBaselineCapabilities.end(), cap) ==
          kBaselineCapabilities.end()) {
        out.add(c.label() + " must not add capability " + quoted(cap),
                c.path("securityContext.capabilities.add[" + std::to_string(i) + "]"));
      }
    }
  });
}

void host_process_1_0(const PodView& pod, Findings& out) {
  if (is_true(pod.spec.find({"securityContext", "windowsOptions", "hostProcess"}))) {
    out.add("pod must not set securityContext.windowsOptions.hostProcess=true",
            pod.spec_path + ".securityContext.windowsOptions.hostProcess");
  }
  visit_containers(pod, [&](const ContainerRef& c) {
    if (is_true(c.node.find({"securityContext", "windowsOptions", "hostProcess"}))) {
      out.add(c.label() + " must not set securityContext.windowsOptions.hostProcess=true",
              c.path("securityContext.windowsOptions.hostProcess"));
    }
  });
}

bool app_armor_type_allowed(std::string_view type) {
  return type == "RuntimeDefault" || type == "Localhost";
}

void app_armor_1_0(const PodView& pod, Findings& out) {
  if (const Value* type = pod.spec.find({"securityContext", "appArmorProfile", "type"})) {
    if (!app_armor_type_allowed(type->str())) {
      out.add("pod must not set AppArmor profile type to " + quoted(type->str()),
              pod.spec_path + ".securityContext.appArmorProfile.type");
    }
  }
  visit_containers(pod, [&](const ContainerRef& c) {
    if (const Value* type = c.node.find({"securityContext", "appArmorProfile", "type"})) {
      if (!app_armor_type_allowed(type->str())) {
        out.add(c.label() + " must not set AppArmor profile type to " + quoted(type->str()),
                c.path("securityContext.appArmorProfile.type"));
      }
    }
  });
  // The legacy beta annotations, still honoured by the kubelet and still checked upstream.
  constexpr std::string_view kPrefix = "container.apparmor.security.beta.kubernetes.io/";
  if (pod.meta == nullptr) return;
  for (const auto& [key, value] : document::members_of(pod.meta->find("annotations"))) {
    if (key.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    const auto v = value.str();
    if (v.empty() || v == "runtime/default" || v.substr(0, 10) == "localhost/") continue;
    out.add("annotation " + key + "=" + quoted(v) + " sets a forbidden AppArmor profile",
            pod.meta_path + ".annotations." + key);
  }
}

// SELinux types allowed by baseline; 1.31 added container_engine_t.
bool selinux_type_allowed(std::string_view type, bool engine_allowed) {
  return type.empty() || type == "container_t" || type == "container_init_t" ||
         type == "container_kvm_t" || (engine_allowed && type == "container_engine_t");
}

void selinux_options(const PodView& pod, Findings& out, bool engine_allowed) {
  auto check = [&](const Value* opts, const std::string& who, const std::string& path) {
    if (opts == nullptr || !opts->is_mapping()) return;
    if (const Value* type = opts->find("type"); type != nullptr) {
      if (!selinux_type_allowed(type->str(), engine_allowed)) {
        out.add(who + " must not set securityContext.seLinuxOptions.type to " + quoted(type->str()),
                path + ".type");
      }
    }
    for (std::string_view field : {"user", "role"}) {
      const Value* v = opts->find(field);
      if (v != nullptr && !v->str().empty()) {
        out.add(who + " must not set securityContext.seLinuxOptions." + std::string(field) + " (" +
                    quoted(v->str()) + ")",
                path + "." + std::string(field));
      }
    }
  };
  check(pod.spec.find({"securityContext", "seLinuxOptions"}), "pod",
        pod.spec_path + ".securityContext.seLinuxOptions");
  visit_containers(pod, [&](const ContainerRef& c) {
    check(c.security_context("seLinuxOptions"), c.label(),
          c.path("securityContext.seLinuxOptions"));
  });
}
void selinux_1_0(const PodView& pod, Findings& out) { selinux_options(pod, out, false); }
void selinux_1_31(const PodView& pod, Findings& out) { selinux_options(pod, out, true); }

void proc_mount_1_0(const PodView& pod, Findings& out) {
  visit_containers(pod, [&](const ContainerRef& c) {
    const Value* mount = c.security_context("procMount");
    if (mount != nullptr && !mount->is_null() && mount->str() != "Default") {
      out.add(c.label() + " must not set securityContext.procMount to " + quoted(mount->str()),
              c.path("securityContext.procMount"));
    }
  });
}
void proc_mount_1_35_baseline(const PodView& pod, Findings& out) {
  if (pod.in_user_namespace()) return;
  proc_mount_1_0(pod, out);
}

bool valid_seccomp_type(std::string_view type) {
  return type == "RuntimeDefault" || type == "Localhost";
}

// Before 1.19 seccomp was set by alpha annotations only.
void seccomp_baseline_1_0(const PodView& pod, Findings& out) {
  if (pod.meta == nullptr) return;
  const Value* annotations = pod.meta->find("annotations");
  auto valid = [](std::string_view v) {
    return v == "runtime/default" || v == "docker/default" || v.substr(0, 10) == "localhost/";
  };
  constexpr std::string_view kPodKey = "seccomp.security.alpha.kubernetes.io/pod";
  if (const Value* v = annotations != nullptr ? annotations->find(kPodKey) : nullptr) {
    if (!valid(v->str())) {
      out.add("annotation " + std::string(kPodKey) + "=" + quoted(v->str()) +
                  " sets a forbidden seccomp profile",
              pod.meta_path + ".annotations." + std::string(kPodKey));
    }
  }
  visit_containers(pod, [&](const ContainerRef& c) {
    const std::string key =
        "container.seccomp.security.alpha.kubernetes.io/" + std::string(c.name());
    if (const Value* v = annotations != nullptr ? annotations->find(key) : nullptr) {
      if (!valid(v->str())) {
        out.add("annotation " + key + "=" + quoted(v->str()) + " sets a forbidden seccomp profile",
                pod.meta_path + ".annotations." + key);
      }
    }
  });
}

void seccomp_baseline_1_19(const PodView& pod, Findings& out) {
  if (const Value* type = pod.spec.find({"securityContext", "seccompProfile", "type"})) {
    if (!valid_seccomp_type(type->str())) {
      out.add("pod must not set securityContext.seccompProfile.type to " + quoted(type->str()),
              pod.spec_path + ".securityContext.seccompProfile.type");
    }
  }
  visit_containers(pod, [&](const ContainerRef& c) {
    if (const Value* type = c.node.find({"securityContext", "seccompProfile", "type"})) {
      if (!valid_seccomp_type(type->str())) {
        out.add(c.label() + " must not set securityContext.seccompProfile.type to " +
                    quoted(type->str()),
                c.path("securityContext.seccompProfile.type"));
      }
    }
  });
}

void sysctls(const PodView& pod, Findings& out, int minor) {
  auto allowed = [minor](std::string_view name) {
    static constexpr std::array<std::string_view, 5> k1_0 = {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"};
    static constexpr std::array<std::string_view, 4> k1_29 = {
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes"};
    static constexpr std::array<std::string_view, 2> k1_32 = {"net.ipv4.tcp_rmem",
                                                              "net.ipv4.tcp_wmem"};
    static constexpr std::array<std::string_view, 2> k1_37 = {"net.ipv4.tcp_slow_start_after_idle",
                                                              "net.ipv4.tcp_notsent_lowat"};
    auto in = [name](const auto& set) {
      return std::find(set.begin(), set.end(), name) != set.end();
    };
    return in(k1_0) || (minor >= 27 && name == "net.ipv4.ip_local_reserved_ports") ||
           (minor >= 29 && in(k1_29)) || (minor >= 32 && in(k1_32)) || (minor >= 37 && in(k1_37));
  };
  const auto& list = document::items_of(pod.spec.find({"securityContext", "sysctls"}));
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Value* name = list[i].find("name");
    const auto n = name != nullptr ? name->str() : std::string_view{};
    if (!allowed(n)) {
      out.add("pod must not set sysctl " + quoted(n),
              pod.spec_path + ".securityContext.sysctls[" + std::to_string(i) + "].name");
    }
  }
}
void sysctls_1_0(const PodView& p, Findings& o) { sysctls(p, o, 0); }
void sysctls_1_27(const PodView& p, Findings& o) { sysctls(p, o, 27); }
void sysctls_1_29(const PodView& p, Findings& o) { sysctls(p, o, 29); }
void sysctls_1_32(const PodView& p, Findings& o) { sysctls(p, o, 32); }
void sysctls_1_37(const PodView& p, Findings& o) { sysctls(p, o, 37); }

// --- restricted ---------------------------------------------------------------------------------

// Volume sources restricted allows; a volume with no source at all is defaulted to emptyDir.
constexpr std::array<std::string_view, 9> kAllowedVolumeSources = {
    "configMap", "csi",   "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim",
    "projected", "secret"};

void restricted_volumes_1_0(const PodView& pod, Findings& out) {
  const auto& volumes = document::items_of(pod.spec.find("volumes"));
  for (std::size_t i = 0; i < volumes.size(); ++i) {
    for (const auto& [source, value] : document::members_of(&volumes[i])) {
      if (source == "name" || value.is_null()) continue;
      if (std::find(kAllowedVolumeSources.begin(), kAllowedVolumeSources.end(), source) !=
          kAllowedVolumeSources.end()) {
        continue;
      }
      const Value* name = volumes[i].find("name");
      out.add("volume " + quoted(name != nullptr ? name->str() : "") +
                  " uses restricted volume type " + quoted(source),
              pod.spec_path + ".volumes[" + std::to_string(i) + "]." + source);
    }
  }
}

void allow_privilege_escalation_1_8(const PodView& pod, Findings& out) {
  visit_containers(pod, [&](const ContainerRef& c) {
    const Value* ape = c.security_context("allowPrivilegeEscalation");
    if (ape == nullptr || ape->as_bool() != false) {
      out.add(c.label() + " must set securityContext.allowPrivilegeEscalation=false",
              c.path("securityContext.allowPrivilegeEscalation"));
    }
  });
}
void allow_privilege_escalation_1_25(const PodView& pod, Findings& out) {
  if (pod.is_windows()) return;
  allow_privilege_escalation_1_8(pod, out);
}

void run_as_non_root_1_0(const PodView& pod, Findings& out) {
  bool pod_non_root = false;
  if (const Value* v = pod.spec.find({"securityContext", "runAsNonRoot"});
      v != nullptr && !v->is_null()) {
    if (v->as_bool() == true) {
      pod_non_root = true;
    } else {
      out.add("pod must not set securityContext.runAsNonRoot=false",
              pod.spec_path + ".securityContext.runAsNonRoot");
    }
  }
  visit_containers(pod, [&](const ContainerRef& c) {
    const Value* v = c.security_context("runAsNonRoot");
    if (v != nullptr && !v->is_null()) {
      if (v->as_bool() != true) {
        out.add(c.label() + " must not set securityContext.runAsNonRoot=false",
                c.path("securityContext.runAsNonRoot"));
      }
    } else if (!pod_non_root) {
      out.add("pod or " + c.label() + " must set securityContext.runAsNonRoot=true",
              c.path("securityContext.runAsNonRoot"));
    }
  });
}
void run_as_non_root_1_35(const PodView& pod, Findings& out) {
  if (pod.in_user_namespace()) return;
  run_as_non_root_1_0(pod, out);
}

void run_as_user_1_23(const PodView& pod, Findings& out) {
  if (const Value* v = pod.spec.find({"securityContext", "runAsUser"}); v && v->as_int() == 0) {
    out.add("pod must not set securityContext.runAsUser=0",
            pod.spec_path + ".securityContext.runAsUser");
  }
  visit_containers(pod, [&](const ContainerRef& c) {
    if (const Value* v = c.security_context("runAsUser"); v && v->as_int() == 0) {
      out.add(c.label() + " must not set securityContext.runAsUser=0",
              c.path("securityContext.runAsUser"));
    }
  });
}
void run_as_user_1_35(const PodView& pod, Findings& out) {
  if (pod.in_user_namespace()) return;
  run_as_user_1_23(pod, out);
}

void seccomp_restricted_1_19(const PodView& pod, Findings& out) {
  bool pod_set = false;
  if (const Value* type = pod.spec.find({"securityContext", "seccompProfile", "type"})) {
    if (valid_seccomp_type(type->str())) {
      pod_set = true;
    } else {
      out.add("pod must not set securityContext.seccompProfile.type to " + quoted(type->str()),
              pod.spec_path + ".securityContext.seccompProfile.type");
    }
  }
  visit_containers(pod, [&](const ContainerRef& c) {
    const Value* profile = c.security_context("seccompProfile");
    if (profile != nullptr && !profile->is_null()) {
      const Value* type = profile->find("type");
      const auto t = type != nullptr ? type->str() : std::string_view{};
      if (!valid_seccomp_type(t)) {
        out.add(c.label() + " must not set securityContext.seccompProfile.type to " + quoted(t),
                c.path("securityContext.seccompProfile.type"));
      }
    } else if (!pod_set) {
      out.add("pod or " + c.label() +
                  " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or "
                  "\"Localhost\"",
              c.path("securityContext.seccompProfile.type"));
    }
  });
}
void seccomp_restricted_1_25(const PodView& pod, Findings& out) {
  if (pod.is_windows()) return;
  seccomp_restricted_1_19(pod, out);
}

void capabilities_restricted_1_22(const PodView& pod, Findings& out) {
  visit_containers(pod, [&](const ContainerRef& c) {
    const Value* caps = c.node.find({"securityContext", "capabilities"});
    const auto& dropped = document::items_of(caps != nullptr ? caps->find("drop") : nullptr);
    const bool drops_all = std::any_of(dropped.begin(), dropped.end(),
                                       [](const Value& v) { return v.str() == "ALL"; });
    if (!drops_all) {
      out.add(c.label() + " must set securityContext.capabilities.drop=[\"ALL\"]",
              c.path("securityContext.capabilities.drop"));
    }
    const auto& added = document::items_of(caps != nullptr ? caps->find("add") : nullptr);
    for (std::size_t i = 0; i < added.size(); ++i) {
      if (added[i].str() != "NET_BIND_SERVICE") {
        out.add(c.label() + " must not add capability " + quoted(added[i].str()) +
                    " (only NET_BIND_SERVICE may be added)",
                c.path("securityContext.capabilities.add[" + std::to_string(i) + "]"));
      }
    }
  });
}
void capabilities_restricted_1_25(const PodView& pod, Findings& out) {
  if (pod.is_windows()) return;
  capabilities_restricted_1_22(pod, out);
}

}  // namespace

const std::vector<PssCheck>& pss_checks() {
  using L = PssLevel;
  using S = Severity;
  static const std::vector<PssCheck> checks = {
      {"allowPrivilegeEscalation",
       L::kRestricted,
       S::kHigh,
       {{8, allow_privilege_escalation_1_8, {}}, {25, allow_privilege_escalation_1_25, {}}}},
      {"appArmorProfile", L::kBaseline, S::kHigh, {{0, app_armor_1_0, {}}}},
      {"capabilities_baseline", L::kBaseline, S::kHigh, {{0, capabilities_baseline_1_0, {}}}},
      {"capabilities_restricted",
       L::kRestricted,
       S::kMedium,
       {{22, capabilities_restricted_1_22, {"capabilities_baseline"}},
        {25, capabilities_restricted_1_25, {"capabilities_baseline"}}}},
      {"hostNamespaces", L::kBaseline, S::kCritical, {{0, host_namespaces_1_0, {}}}},
      {"hostPathVolumes", L::kBaseline, S::kCritical, {{0, host_path_volumes_1_0, {}}}},
      {"hostPorts", L::kBaseline, S::kHigh, {{0, host_ports_1_0, {}}}},
      {"hostProbesAndHostLifecycle",
       L::kBaseline,
       S::kMedium,
       {{34, host_probes_and_lifecycle_1_34, {}}}},
      {"privileged", L::kBaseline, S::kCritical, {{0, privileged_1_0, {}}}},
      {"procMount",
       L::kBaseline,
       S::kHigh,
       {{0, proc_mount_1_0, {}}, {35, proc_mount_1_35_baseline, {}}}},
      {"procMount_restricted", L::kRestricted, S::kHigh, {{35, proc_mount_1_0, {"procMount"}}}},
      {"restrictedVolumes",
       L::kRestricted,
       S::kMedium,
       {{0, restricted_volumes_1_0, {"hostPathVolumes"}}}},
      {"runAsNonRoot",
       L::kRestricted,
       S::kHigh,
       {{0, run_as_non_root_1_0, {}}, {35, run_as_non_root_1_35, {}}}},
      {"runAsUser",
       L::kRestricted,
       S::kHigh,
       {{23, run_as_user_1_23, {}}, {35, run_as_user_1_35, {}}}},
      {"seLinuxOptions", L::kBaseline, S::kHigh, {{0, selinux_1_0, {}}, {31, selinux_1_31, {}}}},
      {"seccompProfile_baseline",
       L::kBaseline,
       S::kHigh,
       {{0, seccomp_baseline_1_0, {}}, {19, seccomp_baseline_1_19, {}}}},
      {"seccompProfile_restricted",
       L::kRestricted,
       S::kMedium,
       {{19, seccomp_restricted_1_19, {"seccompProfile_baseline"}},
        {25, seccomp_restricted_1_25, {"seccompProfile_baseline"}}}},
      {"sysctls",
       L::kBaseline,
       S::kHigh,
       {{0, sysctls_1_0, {}},
        {27, sysctls_1_27, {}},
        {29, sysctls_1_29, {}},
        {32, sysctls_1_32, {}},
        {37, sysctls_1_37, {}}}},
      {"windowsHostProcess", L::kBaseline, S::kCritical, {{0, host_process_1_0, {}}}},
  };
  return checks;
}

}  // namespace bulwark::posture::detail
