#pragma once

// Fixes: for each finding Bulwark can repair without a person's decision, the exact change, as
// RFC 6902 JSON Patch operations on the document. Pure, like the engine beside it: the same
// patch for `bulwark scan -o patch`, `--fix-out`, the reports and Harden (docs/api.md, Fixes).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "operator/document/value.h"
#include "operator/posture/engine.h"
#include "operator/posture/workload.h"

namespace bulwark::posture {

namespace detail {
struct PodView;
class FixBuilder;
}  // namespace detail

// What the fix table says of a control: whether Bulwark derives a fix, and what the fix sets or
// why there is none. One row per control ID, in kControlIds' order.
struct FixRule {
  std::string_view control;
  bool fixable;
  std::string_view what;         // what the fix sets (fixable), or why a person must decide
  std::string_view unless = {};  // fixable: where the fix is not safe, so a person decides
  // Records the fixes of the control's findings in a pod; null when it has none.
  void (*plan)(const detail::PodView&, detail::FixBuilder&) = nullptr;
};
const std::vector<FixRule>& fix_table();
// The row of `control`; null for an unknown ID.
const FixRule* fix_rule(std::string_view control);

// One operation of a patch. Fixes only ever add: "add" sets a member (replacing one that is there
// but null, or insecure in a way the table names) or appends to an array ("/-"). They never
// remove anything.
struct PatchOp {
  std::string path;  // a JSON Pointer from the document's root
  document::Value value;
};

struct FixPlan {
  std::vector<PatchOp> ops;    // empty when nothing can be fixed
  std::size_t fixed = 0;       // the verdict's violations the patch repairs
  std::size_t left = 0;        // those that need a decision
  std::vector<bool> repaired;  // for each of the verdict's violations: whether the patch repairs it
};

// The patch that repairs every fixable violation of `verdict` (a verdict of `workload`), each
// container on its own. `prefix` is put before every path (a List item's "/items/3"). With
// `only_control`, the patch and the counts are of that control's violations alone (a report's
// result). Violations an exemption excuses are not fixed: they are not in `verdict.violations`.
FixPlan plan_fixes(const Workload& workload, const Verdict& verdict, std::string_view prefix = {},
                   std::string_view only_control = {});

// Applies `ops` in order. False, leaving `doc` partly patched, when a path does not resolve
// (never for a plan made of the same document).
bool apply_patch(document::Value& doc, const std::vector<PatchOp>& ops);

// The ops as a JSON Patch document: [{"op":"add","path":...,"value":...}, ...].
document::Value patch_document(const std::vector<PatchOp>& ops);

}  // namespace bulwark::posture
