// The cached projection keeps what the engine reads: verdicts on projected objects equal
// verdicts on the originals, while the bulk (managedFields, env, commands) is gone.
#include "operator/runtime/projection.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "operator/document/reader.h"
#include "operator/posture/engine.h"
#include "tests/support/paths.h"

namespace bulwark::runtime {
namespace {

std::vector<document::Value> read_samples() {
  std::vector<document::Value> docs;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(test::source_dir()) +
                                                               "/deploy/samples/workloads")) {
    std::ifstream in(entry.path());
    const bool json = entry.path().extension() == ".json";
    auto reader = json ? document::make_json_reader(in) : document::make_yaml_reader(in);
    document::Value v;
    while (reader->next(v)) {
      if (!v.is_null()) docs.push_back(v);
    }
  }
  return docs;
}

std::vector<std::string> verdict(const document::Value& doc, crds::PssLevel level) {
  auto w = posture::workload_from(doc);
  if (!w) return {"(not a workload)"};
  crds::SecurityPolicySpec spec;
  spec.pod_security.level = level;
  spec.images.allowed_registries = {"registry.example.com/"};
  spec.resources.require_limits = true;
  spec.service_account.forbid_automount_token = true;
  std::vector<std::string> out;
  for (const auto& v : posture::PolicyEvaluator(spec).evaluate(*w, {}).violations) {
    out.push_back(std::string(v.control) + " " + v.path + " " + v.message);
  }
  return out;
}

TEST(Projection, VerdictsOnProjectedObjectsEqualTheOriginals) {
  const auto docs = read_samples();
  ASSERT_GE(docs.size(), 6u);
  for (const auto& doc : docs) {
    auto copy = doc;
    const auto projected = project_workload(std::move(copy));
    for (auto level : {crds::PssLevel::kBaseline, crds::PssLevel::kRestricted}) {
      EXPECT_EQ(verdict(projected, level), verdict(doc, level))
          << doc.find({"metadata", "name"})->str();
    }
  }
}

// Volumes keep their names and which sources they set, not what the sources hold; the verdicts
// (hostPath at baseline, volume types at restricted) stay those of the original.
TEST(Projection, VolumesKeepTheirSourcesNotTheirContents) {
  std::istringstream in(R"({"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[
    {"name":"c","image":"registry.example.com/c"}],"volumes":[
    {"name":"kube-api-access-x","projected":{"sources":[{"serviceAccountToken":{"path":"token"}}],
      "defaultMode":420}},
    {"name":"host","hostPath":{"path":"/etc","type":"Directory"}},
    {"name":"disk","gcePersistentDisk":{"pdName":"d"}},
    {"name":"unset","hostPath":null}]}})");
  document::Value v;
  document::make_json_reader(in)->next(v);
  const auto original = v;
  const auto p = project_workload(std::move(v));
  const auto& volumes = p.find({"spec", "volumes"})->items;
  ASSERT_EQ(volumes.size(), 4u);
  EXPECT_EQ(volumes[0].find("name")->str(), "kube-api-access-x");
  EXPECT_TRUE(volumes[0].find("projected")->members.empty());
  EXPECT_TRUE(volumes[1].find("hostPath")->is_mapping());
  EXPECT_TRUE(volumes[1].find("hostPath")->members.empty());
  EXPECT_TRUE(volumes[2].find("gcePersistentDisk")->members.empty());
  EXPECT_TRUE(volumes[3].find("hostPath")->is_null());
  for (auto level : {crds::PssLevel::kBaseline, crds::PssLevel::kRestricted}) {
    EXPECT_EQ(verdict(p, level), verdict(original, level));
  }
  EXPECT_FALSE(verdict(p, crds::PssLevel::kRestricted).empty());
}

TEST(Projection, DropsWhatNobodyReads) {
  std::istringstream in(
      R"({"kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"kubectl"}],
    "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{...}","team":"x"},
    "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u","blockOwnerDeletion":true}]},
    "spec":{"nodeName":"n","tolerations":[{}],"containers":[{"name":"c","image":"i","env":[{"name":"A"}],
    "command":["x"],"securityContext":{"privileged":true}}]},
    "status":{"phase":"Pending","conditions":[{}],"containerStatuses":[{"name":"c","ready":true,
    "restartCount":3,"image":"i","imageID":"registry.test/i@sha256:abc","state":{"running":{}}}]}})");
  document::Value v;
  document::make_json_reader(in)->next(v);
  const auto p = project_workload(std::move(v));
  EXPECT_EQ(p.find({"metadata", "managedFields"}), nullptr);
  EXPECT_EQ(p.find({"metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"}),
            nullptr);
  EXPECT_NE(p.find({"metadata", "annotations", "team"}), nullptr);
  EXPECT_EQ(p.find({"metadata", "ownerReferences"})->items[0].find("blockOwnerDeletion"), nullptr);
  EXPECT_NE(p.find({"metadata", "ownerReferences"})->items[0].find("uid"), nullptr);
  EXPECT_EQ(p.find({"spec", "tolerations"}), nullptr);
  // Kept: the enforcement canary says whether a pod's node holds its quarantine.
  EXPECT_EQ(p.find({"spec", "nodeName"})->str(), "n");
  const auto& c = p.find({"spec", "containers"})->items[0];
  EXPECT_EQ(c.find("env"), nullptr);
  EXPECT_EQ(c.find("command"), nullptr);
  EXPECT_NE(c.find({"securityContext", "privileged"}), nullptr);
  EXPECT_EQ(p.find({"status", "conditions"}), nullptr);
  EXPECT_EQ(p.find({"status", "phase"})->str(), "Pending");
  // Kept: the digest each container runs (images.verify); not what flaps (ready, restarts).
  const auto& s = p.find({"status", "containerStatuses"})->items[0];
  EXPECT_EQ(s.find("imageID")->str(), "registry.test/i@sha256:abc");
  EXPECT_EQ(s.find("name")->str(), "c");
  EXPECT_EQ(s.members.size(), 2u);
}

}  // namespace
}  // namespace bulwark::runtime
