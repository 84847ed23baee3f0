#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/cli/scan_output.h"
#include "app/cli/scan_reach.h"
#include "app/cli/scan_verify.h"
#include "operator/document/value.h"
#include "operator/posture/engine.h"
#include "operator/posture/workload.h"

namespace bulwark::cli {

// What `bulwark scan` makes of one object of a document, on whichever thread reads it; the scan
// then records these in file order (scan.cpp).
struct ObjectOutcome {
  enum class Kind {
    kOther,        // no workload: perhaps an input the scan reads (ScanInputs::take), or skipped
    kReach,        // -o reach: the workload's pod
    kPending,      // judged once every file is read (it waits for the files' RBAC or network)
    kNotSelected,  // the policy's match leaves it out
    kJudged,
  };
  Kind kind = Kind::kOther;
  const document::Value* object = nullptr;  // in the document that holds it
  std::string pointer;                      // where it sits in its document ("/items/3")
  std::optional<ReachPod> reach;
  std::unique_ptr<posture::Workload> workload;  // kJudged: what result.workload points at
  ScanResult result;                            // kJudged; result.document is set when recorded
};

// One document of a file as read: the document and its objects, or why it could not be read.
struct DocumentOutcome {
  enum class Kind {
    kDocument,
    kError,  // this document could not be read; the file goes on
    kFatal,  // the rest of the file is not read
  };
  Kind kind = Kind::kDocument;
  std::unique_ptr<document::Value> doc;  // kDocument; null is an empty document
  std::vector<ObjectOutcome> objects;
  std::string what;  // kError, kFatal
  int line = 0;
  int column = 0;
};

// How `bulwark scan` judges: the evaluator and what it is given. Shared by the threads that read
// documents: const, but for the registry verifier, which it locks.
class ScanJudge {
 public:
  struct Settings {
    std::string policy_name;
    bool apply_match = false;
    bool reach = false;     // -o reach
    bool deferred = false;  // judged after every file is read
    bool plan_fixes = false;
    std::chrono::system_clock::time_point now;
  };
  ScanJudge(posture::PolicyEvaluator evaluator, Settings settings,
            std::unique_ptr<ScanVerifier> verifier);
  ~ScanJudge();

  const posture::PolicyEvaluator& evaluator() const { return evaluator_; }
  const posture::EvaluationContext& context() const { return context_; }

  // The objects of a document (a List's items, or the document itself), each as outcome.
  std::vector<ObjectOutcome> objects_of(const std::string& file, const document::Value& doc) const;
  // Judges one workload of `file` (the object it was read from; its pointer in its document);
  // `context` says what the files hold for it.
  ObjectOutcome judge(const std::string& file, const document::Value& object,
                      const std::string& pointer, std::unique_ptr<posture::Workload> workload,
                      const posture::EvaluationContext& context) const;

 private:
  ObjectOutcome object_outcome(const std::string& file, const document::Value& object,
                               const std::string& pointer) const;

  posture::PolicyEvaluator evaluator_;
  Settings settings_;
  posture::EvaluationContext context_;
  std::unique_ptr<ScanVerifier> verifier_;  // --verify with images.verify entries
  mutable std::mutex verifier_mutex_;
};

// The line of the deepest node that exists along a reported field path.
int line_for(const document::Value& root, std::string_view path);

}  // namespace bulwark::cli
