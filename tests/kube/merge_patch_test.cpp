// Merge patches built as trees: set, remove (null), labels, annotations, the resourceVersion lock.
#include "operator/kube/merge_patch.h"

#include <gtest/gtest.h>

namespace bulwark::kube {
namespace {

using document::Value;

TEST(MergePatch, LabelsAnnotationsAndFieldsMergeIntoOneBody) {
  MergePatch p;
  EXPECT_TRUE(p.empty());
  p.set_label("bulwark.dev/quarantine", "true")
      .annotation("bulwark.dev/posture", std::string("violating"))
      .annotation("bulwark.dev/violations", std::nullopt)
      .set({"spec", "replicas"}, Value::integer(0));
  EXPECT_FALSE(p.empty());
  EXPECT_EQ(p.json(), R"({"metadata":{"labels":{"bulwark.dev/quarantine":"true"},"annotations":{)"
                      R"("bulwark.dev/posture":"violating","bulwark.dev/violations":null}},)"
                      R"("spec":{"replicas":0}})");
}

TEST(MergePatch, TheLastWordOnAKeyWins) {
  MergePatch p;
  p.set_annotation("a", "1").remove_annotation("a").label("l", std::nullopt).label("l", "x");
  EXPECT_EQ(p.json(), R"({"metadata":{"annotations":{"a":null},"labels":{"l":"x"}}})");
}

TEST(MergePatch, ResourceVersionMakesItConditional) {
  MergePatch p;
  p.require_resource_version("42").set({"metadata", "finalizers"}, Value::array({"a", "b"}));
  EXPECT_EQ(p.json(), R"({"metadata":{"resourceVersion":"42","finalizers":["a","b"]}})");
}

TEST(MergePatch, KeysAreEscaped) {
  MergePatch p;
  p.set_annotation(R"(evil"key)", R"(va"lue)");
  EXPECT_EQ(p.json(), R"({"metadata":{"annotations":{"evil\"key":"va\"lue"}}})");
}

}  // namespace
}  // namespace bulwark::kube
