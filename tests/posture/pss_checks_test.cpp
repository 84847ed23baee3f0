// Each Pod Security Standards control: a passing and a failing pod taken from the standard's
// text, each version boundary of upstream Pod Security Admission, and the edge cases (init and
// ephemeral containers, Windows pods, user namespaces, legacy annotations).
#include <gtest/gtest.h>

#include "tests/posture/eval_helpers.h"

namespace bulwark::testing {
namespace {

using crds::PssLevel;
constexpr auto kBaseline = PssLevel::kBaseline;
constexpr auto kRestricted = PssLevel::kRestricted;

std::string restricted_pod(const std::string& container_extra = "",
                           const std::string& pod_extra = "") {
  return "{" + kRestrictedPodSC + (pod_extra.empty() ? "" : ", " + pod_extra) +
         ", containers: [{name: app, image: 'i:1', " + kRestrictedContainerSC +
         (container_extra.empty() ? "" : ", " + container_extra) + "}]}";
}

TEST(PssLevels, RestrictedCompliantPodPasses) {
  EXPECT_TRUE(eval_pod(restricted_pod(), kRestricted).empty());
}

TEST(PssLevels, EmptyPodPassesBaselineButNotRestricted) {
  const std::string pod = "{containers: [{name: app, image: 'i:1'}]}";
  EXPECT_TRUE(eval_pod(pod, kBaseline).empty());
  EXPECT_EQ(controls(eval_pod(pod, kRestricted)),
            (std::set<std::string>{"allowPrivilegeEscalation", "capabilities_restricted",
                                   "runAsNonRoot", "seccompProfile_restricted"}));
}

TEST(PssLevels, PrivilegedLevelChecksNothing) {
  EXPECT_TRUE(eval_pod("{hostNetwork: true, containers: [{name: a, securityContext: "
                       "{privileged: true}}]}",
                       PssLevel::kPrivileged)
                  .empty());
}

TEST(Privileged, FlagsEachPrivilegedContainerAtItsPath) {
  auto vs = eval_pod("{containers: [{name: ok}, {name: bad, securityContext: {privileged: true}}]}",
                     kBaseline);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "privileged");
  EXPECT_EQ(vs[0].severity, crds::Severity::kCritical);
  EXPECT_EQ(vs[0].path, "spec.containers[1].securityContext.privileged");
  EXPECT_NE(vs[0].message.find("container \"bad\""), std::string::npos);
  EXPECT_NE(vs[0].message.find("privileged=true"), std::string::npos);
}

TEST(Privileged, FalseIsAllowed) {
  EXPECT_TRUE(eval_pod("{containers: [{name: a, securityContext: {privileged: false}}]}", kBaseline)
                  .empty());
}

TEST(Privileged, InitAndEphemeralContainersAreChecked) {
  auto vs = eval_pod(
      "{initContainers: [{name: init, securityContext: {privileged: true}}],"
      " containers: [{name: a}],"
      " ephemeralContainers: [{name: dbg, securityContext: {privileged: true}}]}",
      kBaseline);
  ASSERT_EQ(vs.size(), 2u);
  EXPECT_EQ(vs[0].path, "spec.initContainers[0].securityContext.privileged");
  EXPECT_EQ(vs[1].path, "spec.ephemeralContainers[0].securityContext.privileged");
}

TEST(HostNamespaces, EachHostNamespaceIsReported) {
  auto vs = eval_pod("{hostNetwork: true, hostPID: true, hostIPC: true, containers: [{name: a}]}",
                     kBaseline);
  ASSERT_EQ(vs.size(), 3u);
  EXPECT_EQ(vs[0].path, "spec.hostNetwork");
  EXPECT_EQ(vs[1].path, "spec.hostPID");
  EXPECT_EQ(vs[2].path, "spec.hostIPC");
  EXPECT_TRUE(eval_pod("{hostNetwork: false, containers: [{name: a}]}", kBaseline).empty());
}

TEST(HostPorts, NonZeroHostPortViolates) {
  auto vs = eval_pod(
      "{containers: [{name: a, ports: [{containerPort: 80}, {containerPort: 81, "
      "hostPort: 8081}]}]}",
      kBaseline);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "hostPorts");
  EXPECT_EQ(vs[0].path, "spec.containers[0].ports[1].hostPort");
  EXPECT_NE(vs[0].message.find("8081"), std::string::npos);
  EXPECT_TRUE(
      eval_pod("{containers: [{name: a, ports: [{containerPort: 80, hostPort: 0}]}]}", kBaseline)
          .empty());
}

TEST(HostPathVolumes, BaselineFlagsHostPath) {
  auto vs = eval_pod("{volumes: [{name: v, hostPath: {path: /etc}}], containers: [{name: a}]}",
                     kBaseline);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "hostPathVolumes");
  EXPECT_EQ(vs[0].path, "spec.volumes[0].hostPath");
}

TEST(HostPathVolumes, RestrictedReportsItAsRestrictedVolumesOnly) {
  auto vs =
      eval_pod(restricted_pod("", "volumes: [{name: v, hostPath: {path: /etc}}]"), kRestricted);
  EXPECT_EQ(controls(vs), std::set<std::string>{"restrictedVolumes"});
}

TEST(HostProbesAndHostLifecycle, AppearsIn1_34) {
  const std::string pod =
      "{containers: [{name: a, livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}},"
      " lifecycle: {preStop: {tcpSocket: {host: evil, port: 1}}}}]}";
  EXPECT_TRUE(eval_pod(pod, kBaseline, "v1.33").empty());
  auto vs = eval_pod(pod, kBaseline, "v1.34");
  ASSERT_EQ(vs.size(), 2u);
  EXPECT_EQ(vs[0].path, "spec.containers[0].livenessProbe.httpGet.host");
  EXPECT_EQ(vs[1].path, "spec.containers[0].lifecycle.preStop.tcpSocket.host");
  EXPECT_TRUE(
      eval_pod("{containers: [{name: a, readinessProbe: {httpGet: {port: 80}}}]}", kBaseline)
          .empty());
}

TEST(CapabilitiesBaseline, OnlyTheDefaultSetMayBeAdded) {
  EXPECT_TRUE(eval_pod("{containers: [{name: a, securityContext: {capabilities: {add: [CHOWN, "
                       "NET_BIND_SERVICE, SYS_CHROOT]}}}]}",
                       kBaseline)
                  .empty());
  auto vs = eval_pod(
      "{containers: [{name: a, securityContext: {capabilities: {add: [CHOWN, SYS_ADMIN]}}}]}",
      kBaseline);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "capabilities_baseline");
  EXPECT_EQ(vs[0].path, "spec.containers[0].securityContext.capabilities.add[1]");
  EXPECT_NE(vs[0].message.find("SYS_ADMIN"), std::string::npos);
}

TEST(CapabilitiesRestricted, MustDropAllAndAddOnlyNetBindService) {
  EXPECT_TRUE(eval_pod(restricted_pod(), kRestricted).empty());
  auto vs =
      eval_pod("{" + kRestrictedPodSC +
                   ", containers: [{name: a, securityContext: {allowPrivilegeEscalation: false,"
                   " capabilities: {drop: [NET_RAW], add: [NET_BIND_SERVICE, CHOWN]}}}]}",
               kRestricted);
  EXPECT_EQ(controls(vs), std::set<std::string>{"capabilities_restricted"});
  ASSERT_EQ(vs.size(), 2u);
  EXPECT_EQ(vs[0].path, "spec.containers[0].securityContext.capabilities.drop");
  EXPECT_EQ(vs[1].path, "spec.containers[0].securityContext.capabilities.add[1]");
}

TEST(CapabilitiesRestricted, Before1_22BaselineCapabilitiesApplyInstead) {
  const std::string pod = "{" + kRestrictedPodSC +
                          ", containers: [{name: a, securityContext: {allowPrivilegeEscalation: "
                          "false, capabilities: {add: [SYS_ADMIN]}}}]}";
  EXPECT_EQ(controls(eval_pod(pod, kRestricted, "v1.21")),
            std::set<std::string>{"capabilities_baseline"});
  EXPECT_EQ(controls(eval_pod(pod, kRestricted, "v1.22")),
            std::set<std::string>{"capabilities_restricted"});
}

TEST(WindowsPods, ExemptFromLinuxOnlyRestrictedChecksFrom1_25) {
  const std::string pod =
      "{os: {name: windows}, securityContext: {runAsNonRoot: true},"
      " containers: [{name: a}]}";
  EXPECT_TRUE(eval_pod(pod, kRestricted, "v1.25").empty());
  EXPECT_EQ(controls(eval_pod(pod, kRestricted, "v1.24")),
            (std::set<std::string>{"allowPrivilegeEscalation", "capabilities_restricted",
                                   "seccompProfile_restricted"}));
}

TEST(AllowPrivilegeEscalation, MustBeExplicitlyFalseFrom1_8) {
  const std::string unset =
      "{" + kRestrictedPodSC +
      ", containers: [{name: a, securityContext: {capabilities: {drop: [ALL]}}}]}";
  auto vs = eval_pod(unset, kRestricted);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "allowPrivilegeEscalation");
  EXPECT_EQ(vs[0].path, "spec.containers[0].securityContext.allowPrivilegeEscalation");
  EXPECT_FALSE(has(eval_pod(unset, kRestricted, "v1.7"), "allowPrivilegeEscalation"));
  const std::string explicit_true =
      "{" + kRestrictedPodSC +
      ", containers: [{name: a, securityContext: {allowPrivilegeEscalation: true, capabilities: "
      "{drop: [ALL]}}}]}";
  EXPECT_TRUE(has(eval_pod(explicit_true, kRestricted), "allowPrivilegeEscalation"));
}

TEST(RunAsNonRoot, PodLevelTrueCoversContainers) {
  EXPECT_TRUE(eval_pod(restricted_pod(), kRestricted).empty());
}

TEST(RunAsNonRoot, ContainerLevelTrueWithoutPodLevelPasses) {
  auto vs = eval_pod(
      "{securityContext: {seccompProfile: {type: RuntimeDefault}}, containers: "
      "[{name: a, securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: "
      "false, capabilities: {drop: [ALL]}}}]}",
      kRestricted);
  EXPECT_TRUE(vs.empty());
}

TEST(RunAsNonRoot, ExplicitFalseAnywhereViolates) {
  auto pod_false = eval_pod(
      "{securityContext: {runAsNonRoot: false, seccompProfile: {type: "
      "RuntimeDefault}}, containers: [{name: a, " +
          kRestrictedContainerSC + "}]}",
      kRestricted);
  const auto* p = find(pod_false, "runAsNonRoot");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->path, "spec.securityContext.runAsNonRoot");
  auto container_false = eval_pod("{" + kRestrictedPodSC +
                                      ", containers: [{name: a, securityContext: {runAsNonRoot: "
                                      "false, allowPrivilegeEscalation: false, capabilities: "
                                      "{drop: [ALL]}}}]}",
                                  kRestricted);
  ASSERT_EQ(container_false.size(), 1u);
  EXPECT_EQ(container_false[0].path, "spec.containers[0].securityContext.runAsNonRoot");
  EXPECT_NE(container_false[0].message.find("runAsNonRoot=false"), std::string::npos);
}

TEST(RunAsNonRoot, UserNamespacePodsAreRelaxedFrom1_35) {
  const std::string pod =
      "{hostUsers: false, securityContext: {seccompProfile: {type: "
      "RuntimeDefault}, runAsUser: 0}, containers: [{name: a, " +
      kRestrictedContainerSC + "}]}";
  EXPECT_TRUE(eval_pod(pod, kRestricted, "v1.35").empty());
  EXPECT_EQ(controls(eval_pod(pod, kRestricted, "v1.34")),
            (std::set<std::string>{"runAsNonRoot", "runAsUser"}));
}

TEST(RunAsUser, ZeroViolatesFrom1_23) {
  auto pod_with_user = [](const std::string& uid) {
    return "{securityContext: {runAsUser: " + uid +
           ", runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}, containers: [{name: "
           "a, " +
           kRestrictedContainerSC + "}]}";
  };
  EXPECT_TRUE(eval_pod(pod_with_user("0"), kRestricted, "v1.22").empty());
  const auto vs = eval_pod(pod_with_user("0"), kRestricted, "v1.23");
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "runAsUser");
  EXPECT_EQ(vs[0].path, "spec.securityContext.runAsUser");
  EXPECT_TRUE(eval_pod(pod_with_user("1000"), kRestricted).empty());
}

TEST(SeccompProfile, BaselineAnnotationsBefore1_19) {
  const std::string pod = "{containers: [{name: a}]}";
  const std::string meta =
      "{name: p, annotations: {seccomp.security.alpha.kubernetes.io/pod: unconfined}}";
  auto vs = eval_pod(pod, kBaseline, "v1.18", meta);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "seccompProfile_baseline");
  EXPECT_EQ(vs[0].path, "metadata.annotations.seccomp.security.alpha.kubernetes.io/pod");
  EXPECT_TRUE(eval_pod(pod, kBaseline, "v1.19", meta).empty());
  EXPECT_TRUE(eval_pod(pod, kBaseline, "v1.18",
                       "{name: p, annotations: {container.seccomp.security.alpha.kubernetes.io/a: "
                       "runtime/default}}")
                  .empty());
}

TEST(SeccompProfile, BaselineForbidsUnconfinedFrom1_19) {
  auto vs = eval_pod(
      "{securityContext: {seccompProfile: {type: Unconfined}}, containers: [{name: "
      "a, securityContext: {seccompProfile: {type: Localhost, localhostProfile: "
      "p.json}}}]}",
      kBaseline);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].path, "spec.securityContext.seccompProfile.type");
  EXPECT_NE(vs[0].message.find("Unconfined"), std::string::npos);
}

TEST(SeccompProfile, RestrictedRequiresItFrom1_19AndReplacesBaseline) {
  const std::string pod = "{securityContext: {runAsNonRoot: true}, containers: [{name: a, " +
                          kRestrictedContainerSC + "}]}";
  EXPECT_TRUE(eval_pod(pod, kRestricted, "v1.18").empty());
  auto vs = eval_pod(pod, kRestricted, "v1.19");
  EXPECT_EQ(controls(vs), std::set<std::string>{"seccompProfile_restricted"});
  EXPECT_EQ(vs[0].path, "spec.containers[0].securityContext.seccompProfile.type");
  auto unconfined = eval_pod(
      "{securityContext: {runAsNonRoot: true, seccompProfile: {type: Unconfined}}, containers: "
      "[{name: a, " +
          kRestrictedContainerSC + "}]}",
      kRestricted);
  EXPECT_EQ(controls(unconfined), std::set<std::string>{"seccompProfile_restricted"});
}

TEST(SELinuxOptions, TypesUserAndRole) {
  EXPECT_TRUE(eval_pod("{securityContext: {seLinuxOptions: {type: container_t, level: 's0:c1'}}, "
                       "containers: [{name: a}]}",
                       kBaseline)
                  .empty());
  auto vs = eval_pod(
      "{containers: [{name: a, securityContext: {seLinuxOptions: {type: spc_t, "
      "user: root, role: sysadm_r}}}]}",
      kBaseline);
  ASSERT_EQ(vs.size(), 3u);
  EXPECT_EQ(vs[0].path, "spec.containers[0].securityContext.seLinuxOptions.type");
  EXPECT_EQ(vs[1].path, "spec.containers[0].securityContext.seLinuxOptions.user");
  EXPECT_EQ(vs[2].path, "spec.containers[0].securityContext.seLinuxOptions.role");
}

TEST(SELinuxOptions, ContainerEngineTypeAllowedFrom1_31) {
  const std::string pod =
      "{containers: [{name: a, securityContext: {seLinuxOptions: {type: container_engine_t}}}]}";
  EXPECT_TRUE(has(eval_pod(pod, kBaseline, "v1.30"), "seLinuxOptions"));
  EXPECT_TRUE(eval_pod(pod, kBaseline, "v1.31").empty());
}

TEST(ProcMount, UnmaskedViolatesAndUserNamespacesRelaxBaselineFrom1_35) {
  const std::string pod = "{containers: [{name: a, securityContext: {procMount: Unmasked}}]}";
  const std::string userns =
      "{hostUsers: false, containers: [{name: a, securityContext: {procMount: Unmasked}}]}";
  EXPECT_TRUE(has(eval_pod(pod, kBaseline), "procMount"));
  EXPECT_TRUE(has(eval_pod(userns, kBaseline, "v1.34"), "procMount"));
  EXPECT_TRUE(eval_pod(userns, kBaseline, "v1.35").empty());
  EXPECT_TRUE(
      eval_pod("{containers: [{name: a, securityContext: {procMount: Default}}]}", kBaseline)
          .empty());
}

TEST(ProcMount, RestrictedKeepsTheUnconditionalCheckFrom1_35) {
  const std::string userns = "{hostUsers: false, " + kRestrictedPodSC +
                             ", containers: [{name: a, securityContext: {procMount: Unmasked, "
                             "allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}]}";
  EXPECT_EQ(controls(eval_pod(userns, kRestricted, "v1.35")),
            std::set<std::string>{"procMount_restricted"});
  EXPECT_EQ(controls(eval_pod(userns, kRestricted, "v1.34")), std::set<std::string>{"procMount"});
}

TEST(Sysctls, AllowedSetGrowsWithTheRelease) {
  auto sysctl = [](const std::string& name) {
    return "{securityContext: {sysctls: [{name: " + name +
           ", value: '1'}]}, containers: [{name: "
           "a}]}";
  };
  EXPECT_TRUE(eval_pod(sysctl("kernel.shm_rmid_forced"), kBaseline, "v1.0").empty());
  struct Boundary {
    const char* name;
    const char* before;
    const char* from;
  };
  for (const auto& b : {Boundary{"net.ipv4.ip_local_reserved_ports", "v1.26", "v1.27"},
                        Boundary{"net.ipv4.tcp_keepalive_time", "v1.28", "v1.29"},
                        Boundary{"net.ipv4.tcp_fin_timeout", "v1.28", "v1.29"},
                        Boundary{"net.ipv4.tcp_rmem", "v1.31", "v1.32"},
                        Boundary{"net.ipv4.tcp_wmem", "v1.31", "v1.32"},
                        Boundary{"net.ipv4.tcp_slow_start_after_idle", "v1.36", "v1.37"},
                        Boundary{"net.ipv4.tcp_notsent_lowat", "v1.36", "v1.37"}}) {
    SCOPED_TRACE(b.name);
    EXPECT_TRUE(has(eval_pod(sysctl(b.name), kBaseline, b.before), "sysctls"));
    EXPECT_TRUE(eval_pod(sysctl(b.name), kBaseline, b.from).empty());
  }
  auto vs = eval_pod(sysctl("kernel.msgmax"), kBaseline);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].path, "spec.securityContext.sysctls[0].name");
}

TEST(AppArmor, FieldsAndLegacyAnnotations) {
  EXPECT_TRUE(eval_pod("{securityContext: {appArmorProfile: {type: RuntimeDefault}}, containers: "
                       "[{name: a, securityContext: {appArmorProfile: {type: Localhost, "
                       "localhostProfile: p}}}]}",
                       kBaseline)
                  .empty());
  auto vs = eval_pod(
      "{containers: [{name: a, securityContext: {appArmorProfile: {type: "
      "Unconfined}}}]}",
      kBaseline);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].path, "spec.containers[0].securityContext.appArmorProfile.type");
  auto annotated = eval_pod(
      "{containers: [{name: a}]}", kBaseline, "latest",
      "{name: p, annotations: {container.apparmor.security.beta.kubernetes.io/a: unconfined}}");
  ASSERT_EQ(annotated.size(), 1u);
  EXPECT_EQ(annotated[0].control, "appArmorProfile");
  EXPECT_TRUE(eval_pod("{containers: [{name: a}]}", kBaseline, "latest",
                       "{name: p, annotations: {container.apparmor.security.beta.kubernetes.io/a: "
                       "localhost/p, container.apparmor.security.beta.kubernetes.io/b: "
                       "runtime/default}}")
                  .empty());
}

TEST(WindowsHostProcess, PodOrContainer) {
  auto vs = eval_pod(
      "{securityContext: {windowsOptions: {hostProcess: true}}, containers: "
      "[{name: a, securityContext: {windowsOptions: {hostProcess: true}}}]}",
      kBaseline);
  ASSERT_EQ(vs.size(), 2u);
  EXPECT_EQ(vs[0].control, "windowsHostProcess");
  EXPECT_EQ(vs[0].path, "spec.securityContext.windowsOptions.hostProcess");
  EXPECT_EQ(vs[1].path, "spec.containers[0].securityContext.windowsOptions.hostProcess");
}

TEST(RestrictedVolumes, AllowedTypesAndDefaultedEmptyDir) {
  EXPECT_TRUE(eval_pod(restricted_pod("",
                                      "volumes: [{name: a, configMap: {name: c}}, {name: b, "
                                      "secret: {secretName: s}}, {name: c, emptyDir: {}}, "
                                      "{name: d, persistentVolumeClaim: {claimName: x}}, "
                                      "{name: e, projected: {sources: []}}, {name: f}]"),
                       kRestricted)
                  .empty());
  auto vs = eval_pod(restricted_pod("", "volumes: [{name: share, nfs: {server: s, path: /}}]"),
                     kRestricted);
  ASSERT_EQ(vs.size(), 1u);
  EXPECT_EQ(vs[0].control, "restrictedVolumes");
  EXPECT_EQ(vs[0].path, "spec.volumes[0].nfs");
  EXPECT_NE(vs[0].message.find("\"nfs\""), std::string::npos);
}

TEST(Versions, NewerThanKnownBehavesAsLatest) {
  const std::string pod =
      "{securityContext: {sysctls: [{name: net.ipv4.tcp_notsent_lowat}]}, containers: [{name: a}]}";
  EXPECT_TRUE(eval_pod(pod, kBaseline, "v1.99").empty());
  EXPECT_TRUE(eval_pod(pod, kBaseline, "latest").empty());
}

TEST(Booleans, YamlOneOneSpellingsCountAsTrue) {
  EXPECT_TRUE(
      has(eval_pod("{containers: [{name: a, securityContext: {privileged: yes}}]}", kBaseline),
          "privileged"));
  EXPECT_FALSE(
      has(eval_pod("{containers: [{name: a, securityContext: {privileged: 'yes'}}]}", kBaseline),
          "privileged"));
}

}  // namespace
}  // namespace bulwark::testing
