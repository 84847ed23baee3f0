#pragma once

// Helpers for engine tests: build a workload from YAML text and evaluate it.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "operator/document/reader.h"
#include "operator/policy/security_policy.h"
#include "operator/posture/engine.h"

namespace bulwark::testing {

inline document::Value parse_yaml(const std::string& text) {
  std::istringstream in(text);
  document::Value v;
  EXPECT_TRUE(document::make_yaml_reader(in)->next(v));
  return v;
}

// Evaluates a Pod whose spec is `spec` (YAML, flow style welcome) and optional pod metadata.
inline std::vector<posture::Violation> eval_pod(const std::string& spec, crds::PssLevel level,
                                                const std::string& version = "latest",
                                                const std::string& metadata = "{name: p}") {
  const auto doc =
      parse_yaml("apiVersion: v1\nkind: Pod\nmetadata: " + metadata + "\nspec: " + spec);
  auto workload = posture::workload_from(doc);
  EXPECT_TRUE(workload.has_value());
  crds::SecurityPolicySpec policy;
  policy.images.forbid_latest_tag = false;
  policy.pod_security.level = level;
  policy.pod_security.version = *crds::PssVersion::parse(version);
  return posture::PolicyEvaluator(policy).evaluate(*workload, {}).violations;
}

inline std::set<std::string> controls(const std::vector<posture::Violation>& vs) {
  std::set<std::string> out;
  for (const auto& v : vs) out.emplace(v.control);
  return out;
}

inline bool has(const std::vector<posture::Violation>& vs, std::string_view control) {
  return std::any_of(vs.begin(), vs.end(), [&](const auto& v) { return v.control == control; });
}

inline const posture::Violation* find(const std::vector<posture::Violation>& vs,
                                      std::string_view control) {
  auto it = std::find_if(vs.begin(), vs.end(), [&](const auto& v) { return v.control == control; });
  return it == vs.end() ? nullptr : &*it;
}

// Pod and container settings that satisfy "restricted", for tests that then break one thing.
inline const std::string kRestrictedPodSC =
    "securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}";
inline const std::string kRestrictedContainerSC =
    "securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}";

}  // namespace bulwark::testing
