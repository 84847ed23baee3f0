#pragma once

// The posture reconciler's test fixture, shared by its test files: the shared fakes (caches,
// ObjectWriter, EventRecorder), a namespace "shop" whose bulwark-quarantine Bulwark holds, and
// builders for policies, Deployments and pods.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "operator/base/time_text.h"
#include "operator/document/reader.h"
#include "reconcilers/managed_network_policy.h"
#include "reconcilers/workload_posture.h"
#include "tests/base/fake_clock.h"
#include "tests/fakes/fake_cache.h"
#include "tests/fakes/fake_event_recorder.h"
#include "tests/fakes/fake_object_writer.h"
#include "tests/fakes/fake_vulnerability_source.h"

namespace bulwark::reconcilers {

inline const char* kInsecurePodSpec =
    R"({"containers":[{"name":"app","image":"nginx:1.27","securityContext":{"privileged":true}}]})";
inline const char* kSecurePodSpec =
    R"({"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},)"
    R"("containers":[{"name":"app","image":"nginx:1.27","securityContext":{)"
    R"("allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]})";

class PostureTest : public ::testing::Test {
 protected:
  PostureTest() : policy_set_(policies_) {
    reconciler_ = std::make_unique<WorkloadPostureReconciler>(
        writer_,
        WorkloadPostureReconciler::Sources{caches(), namespaces_, policy_set_, &vulnerabilities_,
                                           nullptr, nullptr, &ownership_, &network_policies_,
                                           nullptr, &enforcement_, &services_},
        book_, events_, clock_, std::vector<std::string>{"kube-system"});
    namespaces_.put(document::parse_json(
        R"({"kind":"Namespace","metadata":{"name":"shop","resourceVersion":"1","labels":{"env":"prod"}}})"));
    // Bulwark holds the namespace's bulwark-quarantine: a labelled pod counts as quarantined.
    hold_quarantine();
  }

  WorkloadCaches caches() {
    return WorkloadCaches(std::map<std::string_view, const runtime::CacheReader*>{
        {"pods", &pods_},
        {"deployments", &deployments_},
        {"statefulsets", &statefulsets_},
        {"daemonsets", &daemonsets_},
        {"replicasets", &replicasets_},
        {"replicationcontrollers", &replicationcontrollers_},
        {"jobs", &jobs_},
        {"cronjobs", &cronjobs_}});
  }

  void policy(const std::string& name, const std::string& spec, const std::string& rv = "1") {
    policies_.put(document::parse_json(
        R"({"apiVersion":"bulwark.dev/v1alpha1","kind":"SecurityPolicy",)"
        R"("metadata":{"name":")" +
        name + R"(","uid":"uid-)" + name + R"(","resourceVersion":")" + rv +
        R"(","generation":1},"spec":)" + spec + R"(,"status":{"observedGeneration":1}})"));
    policy_set_.invalidate();
  }

  // A Deployment with one ReplicaSet and `pods` pods, as the controllers would make them.
  void deployment(const std::string& name, const std::string& pod_spec, int pods = 2,
                  const std::string& extra_annotations = "", const std::string& replicas = "2",
                  const std::string& rv = "1") {
    deployments_.put(document::parse_json(
        R"({"kind":"Deployment","metadata":{"name":")" + name +
        R"(","namespace":"shop","uid":"d-)" + name + R"(","resourceVersion":")" + rv +
        R"(","annotations":{)" + extra_annotations + R"(}},"spec":{"replicas":)" + replicas +
        R"(,"template":{"metadata":{"labels":{"app":")" + name + R"("}},"spec":)" + pod_spec +
        "}}}"));
    replicasets_.put(document::parse_json(
        R"({"kind":"ReplicaSet","metadata":{"name":")" + name +
        R"(-rs","namespace":"shop","uid":"rs-)" + name +
        R"(","resourceVersion":"1","ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":")" +
        name + R"(","uid":"d-)" + name + R"(","controller":true}]},"spec":{"template":{"spec":)" +
        pod_spec + "}}}"));
    for (int i = 0; i < pods; ++i) {
      pod(name + "-rs-" + std::to_string(i), pod_spec,
          R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":")" + name +
              R"(-rs","uid":"rs-)" + name + R"(","controller":true}])");
    }
  }

  // `rv`: above the fake writer's versions (100 on) for an object that moved on after our writes.
  void pod(const std::string& name, const std::string& pod_spec, const std::string& meta = "",
           const std::string& labels = "{}", const std::string& rv = "1") {
    pods_.put(document::parse_json(
        R"({"kind":"Pod","metadata":{"name":")" + name + R"(","namespace":"shop","uid":"p-)" +
        name + R"(","resourceVersion":")" + rv + R"(","labels":)" + labels +
        (meta.empty() ? "" : "," + meta) + R"(},"spec":)" + pod_spec + "}"));
  }

  // The writes one reconcile made.
  std::vector<testing::WriteCall> reconcile(const std::string& key,
                                            runtime::Result* result = nullptr) {
    writer_.take_calls();
    auto r = reconciler_->reconcile(key);
    if (result != nullptr) *result = r;
    return writer_.take_calls();
  }

  testing::FakeClock clock_;
  testing::FakeObjectWriter writer_;
  testing::FakeCache pods_, deployments_, statefulsets_, daemonsets_, replicasets_, jobs_,
      cronjobs_, replicationcontrollers_, namespaces_, policies_;
  PolicySet policy_set_;
  PostureBook book_;
  testing::FakeEventRecorder events_;
  testing::FakeVulnerabilitySource vulnerabilities_;
  OwnershipRecord ownership_{policies_};
  testing::FakeCache network_policies_, services_;
  EnforcementBook enforcement_;
  // The enforcement canary's verdict for node n1, in both directions.
  void node_n1(canary::Enforcement e) {
    enforcement_.publish(
        {EnforcementSnapshot::State::kProbed, "", {{"n1", e, canary::Enforcement::kEnforced, ""}}});
  }
  void hold_quarantine() {
    auto np = ManagedNetworkPolicyReconciler::desired(ManagedPolicyKind::kQuarantine, "shop", false,
                                                      {{"enforce", "uid-enforce"}});
    np.child("metadata").set("uid", document::Value::string("q-uid"));
    network_policies_.put(np);
    ownership_.record("q-uid");
  }
  std::unique_ptr<WorkloadPostureReconciler> reconciler_;
};

}  // namespace bulwark::reconcilers
