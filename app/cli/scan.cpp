#include "app/cli/scan.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>

#include "app/cli/ordered_work.h"
#include "app/cli/scan_fix.h"
#include "app/cli/scan_inputs.h"
#include "app/cli/scan_judge.h"
#include "app/cli/scan_reach.h"
#include "operator/base/cpu_limit.h"
#include "operator/base/time_text.h"
#include "operator/document/reader.h"
#include "operator/document/yaml_chunks.h"
#include "operator/posture/engine.h"
#include "operator/posture/workload.h"
#include "operator/rbac/rbac.h"

namespace bulwark::cli {

namespace fs = std::filesystem;
using document::Value;

namespace {

// JSON is parsed whole, so it gets a tighter bound than streamed YAML.
constexpr std::uintmax_t kMaxJsonBytes = 32ull << 20;
constexpr std::uintmax_t kMaxYamlBytes = 1ull << 30;

// A job reads this many YAML documents, or about this many bytes of them: enough to outweigh
// handing it to a thread (a few microseconds), few enough that one large file still spreads over
// every core. Four jobs a thread may wait to be recorded, holding what they read, together at
// most kJobsBudget by their weight: 64 bytes a byte of text (a parsed node costs a few dozen
// times its text), and for a document with an alias ("*") the 16 MiB aliases may add, such a
// document a job of its own (found by review: 64 such documents of 15 KB in one 1 MB file held
// 245 MB with -j 4 when only text was counted).
constexpr std::size_t kJobDocuments = 16;
constexpr std::size_t kJobBytes = 256u << 10;
constexpr std::size_t kJobsPerThread = 4;
constexpr std::size_t kJobsBudget = 64u << 20;
constexpr std::size_t kParsedPerTextByte = 64;

// What a document's chunk may hold once parsed.
std::size_t weight_of(const std::string& text, const document::ReadLimits& limits) {
  const bool aliases = text.find('*') != std::string::npos;
  return text.size() * kParsedPerTextByte + (aliases ? limits.max_alias_bytes : 0);
}

// A file being scanned, as its recorded outcomes see it.
struct ScanFile {
  std::string name;
  bool json = false;
  std::size_t next_index = 0;  // of the next document recorded
  bool broken = false;         // the rest of it is not read
};
using Outcomes = std::vector<DocumentOutcome>;

// Reads documents from `reader` (a DocumentReader or a YamlChunkReader) to its end, or to a
// failure that ends the file (then returns false).
template <class Reader>
bool read_outcomes(Reader& reader, const ScanJudge& judge, const std::string& name, Outcomes& out) {
  for (;;) {
    auto doc = std::make_unique<Value>();
    DocumentOutcome o;
    try {
      if (!reader.next(*doc)) return true;
    } catch (const document::ParseError& e) {
      o.kind = DocumentOutcome::Kind::kError;
      o.what = e.what();
      o.line = e.line();
      o.column = e.column();
      out.push_back(std::move(o));
      continue;
    } catch (const std::exception& e) {
      // The readers' limits should make this unreachable; if memory still runs out, this file
      // is lost but not the others.
      o.kind = DocumentOutcome::Kind::kFatal;
      o.what = e.what();
      out.push_back(std::move(o));
      return false;
    }
    if (!doc->is_null()) o.objects = judge.objects_of(name, *doc);
    o.doc = std::move(doc);
    out.push_back(std::move(o));
  }
}

// Reads and judges on `jobs` threads (scan -j), and records every outcome in the order of the
// files and documents, so output, errors and exit status are those of one thread.
class Scanner {
 public:
  Scanner(const ScanOptions& options, posture::PolicyEvaluator evaluator, std::string policy_name,
          bool apply_match, std::ostream& out, std::ostream& err,
          std::chrono::system_clock::time_point now, unsigned jobs)
      : output_(make_scan_output(options.format, out, options.color)),
        err_(err),
        judge_permissions_(!evaluator.spec().permissions.forbid.empty()),
        judge_automount_(evaluator.spec().service_account.forbid_automount_token),
        judge_network_(!evaluator.spec().network.forbid.empty() ||
                       options.format == OutputFormat::kReach),
        reach_(options.format == OutputFormat::kReach),
        out_(out),
        inputs_({judge_permissions_, judge_automount_, judge_network_}, options.anonymous_requests),
        work_(jobs, std::size_t{jobs} * kJobsPerThread, kJobsBudget) {
    const bool deferred = judge_permissions_ || judge_automount_ || judge_network_;
    if (!options.fix_out.empty()) {
      // Judgements that wait for the files' RBAC or network objects hold every document.
      fix_out_ = std::make_unique<FixOut>(options.fix_out, !deferred);
    }
    std::unique_ptr<ScanVerifier> verifier;
    if (options.verify && !evaluator.spec().images.verify.empty()) {
      verifier = std::make_unique<ScanVerifier>(options.registries);
    }
    ScanJudge::Settings settings{std::move(policy_name),
                                 apply_match,
                                 reach_,
                                 deferred,
                                 fix_out_ != nullptr || needs_fixes(options.format),
                                 now};
    judge_ =
        std::make_unique<ScanJudge>(std::move(evaluator), std::move(settings), std::move(verifier));
  }

  void scan_path(const std::string& path, std::istream& stdin_stream) {
    if (path == "-") {
      stdin_stream >> std::ws;
      const int first = stdin_stream.peek();
      scan_stream("<stdin>", stdin_stream, first == '{' || first == '[');
      return;
    }
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      error_later(path, "no such file or folder");
      return;
    }
    if (fs::is_directory(status)) {
      if (scan_folder(path) == 0) {
        note_later("bulwark scan: " + path + ": no .yaml, .yml or .json files\n");
      }
      return;
    }
    scan_file(path);
  }

  int finish(const std::vector<std::string>& paths) {
    work_.finish();
    judge_pending();
    if (fix_out_) summary_.errors += fix_out_->finish(err_);
    if (reach_) {
      if (summary_.workloads == 0 && summary_.errors == 0) error_no_manifest(paths);
      write_reach(inputs_.network(), std::move(reach_pods_), out_);
      return summary_.errors > 0 ? kExitBadInput : kExitClean;
    }
    if (summary_.documents == 0 && summary_.errors == 0) error_no_manifest(paths);
    output_->finish(summary_);
    if (summary_.errors > 0) return kExitBadInput;
    return summary_.violating > 0 ? kExitViolations : kExitClean;
  }

 private:
  // Scans a folder's manifests in name order, recursively, and returns how many files it read.
  // Each level is listed and sorted on its own, so memory follows the largest folder, not the
  // whole tree.
  std::size_t scan_folder(const fs::path& folder) {
    std::error_code ec;
    std::vector<fs::directory_entry> entries;
    for (fs::directory_iterator it(folder, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      entries.push_back(*it);
    }
    if (ec) error_later(folder.string(), "cannot read folder: " + ec.message());
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.path() < b.path(); });
    std::size_t count = 0;
    for (const auto& entry : entries) {
      std::error_code type_ec;
      if (entry.is_directory(type_ec)) {
        // Symlinked folders are not followed: a link loop must not hang the scan.
        if (!entry.is_symlink(type_ec) && !(fix_out_ && fix_out_->is_output(entry.path()))) {
          count += scan_folder(entry.path());
        }
        continue;
      }
      const auto ext = entry.path().extension();
      if (entry.is_regular_file(type_ec) && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
        scan_file(entry.path().string());
        ++count;
      }
    }
    return count;
  }

  void scan_file(const std::string& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
      error_later(path, "cannot read: " + ec.message());
      return;
    }
    const bool json = fs::path(path).extension() == ".json";
    if (size > (json ? kMaxJsonBytes : kMaxYamlBytes)) {
      error_later(path, "file is too large (" + std::to_string(size >> 20) + " MiB; the limit is " +
                            std::to_string((json ? kMaxJsonBytes : kMaxYamlBytes) >> 20) +
                            " MiB for " + (json ? "JSON" : "YAML") + ")");
      return;
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      error_later(path, "cannot open");
      return;
    }
    if (size == 0) {
      work_.then([this, path] {
        ++summary_.files;
        err_ << "bulwark scan: " << path << ": empty file, nothing to scan\n";
      });
      return;
    }
    char head[8192];
    file.read(head, sizeof head);
    if (std::find(head, head + file.gcount(), '\0') != head + file.gcount()) {
      error_later(path, "binary file, not YAML or JSON");
      return;
    }
    if (json) {
      // Parsed whole, on a worker that opens the file again.
      auto f = begin_file(path, true);
      work_.submit(
          [this, f] {
            auto outcomes = std::make_shared<Outcomes>();
            std::ifstream in(f->name, std::ios::binary);
            read_json(*f, in, *outcomes);
            return record_later(f, outcomes);
          },
          static_cast<std::size_t>(size) * kParsedPerTextByte);
      end_file();
      return;
    }
    file.clear();
    file.seekg(0);
    scan_stream(path, file, false);
  }

  void scan_stream(const std::string& name, std::istream& in, bool json) {
    auto f = begin_file(name, json);
    if (json) {
      // Standard input: read here, where the stream is.
      auto outcomes = std::make_shared<Outcomes>();
      read_json(*f, in, *outcomes);
      work_.then(record_later(f, outcomes));
    } else {
      split_yaml(f, in);
    }
    end_file();
  }

  std::shared_ptr<ScanFile> begin_file(const std::string& name, bool json) {
    auto f = std::make_shared<ScanFile>(ScanFile{name, json});
    work_.then([this, f] {
      ++summary_.files;
      if (fix_out_) fix_out_->begin_file(f->name, f->json);
    });
    return f;
  }
  void end_file() {
    if (fix_out_) work_.then([this] { summary_.errors += fix_out_->end_file(err_); });
  }

  void read_json(const ScanFile& f, std::istream& in, Outcomes& outcomes) const {
    auto reader = document::make_json_reader(in);
    read_outcomes(*reader, *judge_, f.name, outcomes);
  }

  // Cuts the stream into documents here and hands them to the workers in jobs.
  void split_yaml(const std::shared_ptr<ScanFile>& f, std::istream& in) {
    document::YamlSplitter splitter(in, {});
    std::vector<document::YamlChunk> batch;
    std::size_t bytes = 0;
    std::size_t weight = 0;
    for (;;) {
      document::YamlChunk chunk;
      auto failed = std::make_shared<Outcomes>(1);
      try {
        if (!splitter.next(chunk)) break;
      } catch (const document::ParseError& e) {
        submit_yaml(f, std::move(batch), weight);
        bytes = weight = 0;
        (*failed)[0] =
            DocumentOutcome{DocumentOutcome::Kind::kError, {}, {}, e.what(), e.line(), e.column()};
        work_.then(record_later(f, failed));
        continue;
      } catch (const std::exception& e) {
        submit_yaml(f, std::move(batch), weight);
        (*failed)[0] = DocumentOutcome{DocumentOutcome::Kind::kFatal, {}, {}, e.what()};
        work_.then(record_later(f, failed));
        return;
      }
      const std::size_t w = weight_of(chunk.text, {});
      const bool alone = w > kJobBytes * kParsedPerTextByte;  // a document with aliases
      if (alone) {
        submit_yaml(f, std::move(batch), weight);
        bytes = weight = 0;
      }
      bytes += chunk.text.size();
      weight += w;
      batch.push_back(std::move(chunk));
      if (alone || batch.size() >= kJobDocuments || bytes >= kJobBytes) {
        submit_yaml(f, std::move(batch), weight);
        bytes = weight = 0;
      }
    }
    submit_yaml(f, std::move(batch), weight);
  }

  void submit_yaml(const std::shared_ptr<ScanFile>& f, std::vector<document::YamlChunk>&& batch,
                   std::size_t weight) {
    if (batch.empty()) return;
    auto chunks = std::make_shared<std::vector<document::YamlChunk>>(std::move(batch));
    batch.clear();
    work_.submit(
        [this, f, chunks] {
          auto outcomes = std::make_shared<Outcomes>();
          for (auto& chunk : *chunks) {
            document::YamlChunkReader reader(std::move(chunk), {});
            if (!read_outcomes(reader, *judge_, f->name, *outcomes)) break;
          }
          return record_later(f, outcomes);
        },
        weight);
  }

  // What records `outcomes` of file `f`, in its turn.
  OrderedWork::Delivery record_later(std::shared_ptr<ScanFile> f,
                                     std::shared_ptr<Outcomes> outcomes) {
    return [this, f, outcomes] {
      for (auto& o : *outcomes) record(*f, o);
    };
  }

  void record(ScanFile& f, DocumentOutcome& o) {
    if (f.broken) return;
    const std::size_t index = f.next_index++;
    const std::string document = "document " + std::to_string(index);
    switch (o.kind) {
      case DocumentOutcome::Kind::kError: {
        std::string where = document;
        if (o.line > 0) where += ", line " + std::to_string(o.line);
        if (o.column > 0) where += ", column " + std::to_string(o.column);
        error(f.name, where + ": " + o.what);
        if (fix_out_) fix_out_->fail_file();
        return;
      }
      case DocumentOutcome::Kind::kFatal:
        error(f.name, document + ": " + o.what + "; the rest of this file is not read");
        if (fix_out_) fix_out_->fail_file();
        f.broken = true;
        return;
      case DocumentOutcome::Kind::kDocument:
        break;
    }
    if (o.doc->is_null()) return;  // an empty document between separators
    ++summary_.documents;
    if (fix_out_) fix_out_->document(index, *o.doc);
    for (auto& object : o.objects) record_object(f.name, index, object);
    if (fix_out_) fix_out_->flush();
  }

  void record_object(const std::string& name, std::size_t index, ObjectOutcome& o) {
    switch (o.kind) {
      case ObjectOutcome::Kind::kOther: {
        std::vector<std::string> problems;
        if (inputs_.take(*o.object, problems)) {
          for (const auto& p : problems) {
            error(name, "document " + std::to_string(index) + ": " + p);
          }
        }
        ++summary_.skipped;
        return;
      }
      case ObjectOutcome::Kind::kReach:
        reach_pods_.push_back(std::move(*o.reach));
        ++summary_.workloads;
        return;
      case ObjectOutcome::Kind::kPending:
        // Judged once every file is read: the roles, bindings and accounts may come after it.
        pending_.push_back({name, index, *o.object, o.pointer});
        return;
      case ObjectOutcome::Kind::kNotSelected:
        ++summary_.not_selected;
        return;
      case ObjectOutcome::Kind::kJudged:
        record_judged(name, index, o.result);
        return;
    }
  }

  void record_judged(const std::string& name, std::size_t index, ScanResult& r) {
    r.document = index;
    if (fix_out_ && !r.verdict.violations.empty() && !fix_out_->patch(name, index, r.fixes.ops)) {
      error(name, "document " + std::to_string(index) + ": its fixes did not apply");
    }
    ++summary_.workloads;
    summary_.violations += r.verdict.violations.size();
    switch (r.verdict.posture) {
      case posture::Posture::kCompliant:
        ++summary_.compliant;
        break;
      case posture::Posture::kViolating:
        ++summary_.violating;
        break;
      case posture::Posture::kExempt:
        ++summary_.exempt;
        break;
      case posture::Posture::kNotEvaluated:
        ++summary_.not_evaluated;
        break;
    }
    output_->result(r);
  }

  // Judges the workloads that waited for every file, in jobs like the documents, recorded in the
  // order they were read.
  void judge_pending() {
    if (pending_.empty()) return;
    for (const auto& note : inputs_.resolve()) err_ << "bulwark scan: " << note << "\n";
    auto pending = std::make_shared<std::vector<Pending>>(std::move(pending_));
    pending_.clear();
    for (std::size_t begin = 0; begin < pending->size(); begin += kJobDocuments) {
      const std::size_t end = std::min(pending->size(), begin + kJobDocuments);
      work_.submit([this, pending, begin, end] {
        auto judged = std::make_shared<std::vector<ObjectOutcome>>();
        for (std::size_t i = begin; i < end; ++i) judged->push_back(judge_waiting((*pending)[i]));
        return [this, pending, begin, judged] {
          for (std::size_t i = 0; i < judged->size(); ++i) {
            const auto& p = (*pending)[begin + i];
            record_object(p.file, p.index, (*judged)[i]);
          }
        };
      });
    }
    work_.finish();
  }

  struct Pending {
    std::string file;
    std::size_t index;
    Value object;
    std::string pointer;  // where the object sits in its document
  };

  // On a worker: the inputs are resolved and only read.
  ObjectOutcome judge_waiting(const Pending& p) const {
    auto workload = std::make_unique<posture::Workload>(*posture::workload_from(p.object));
    const rbac::Account account{
        workload->namespace_name.empty() ? "default" : workload->namespace_name,
        posture::service_account_of(*workload)};
    posture::EvaluationContext context = judge_->context();
    if (judge_network_) context.network = &inputs_.network();
    const auto permissions = inputs_.permissions_of(account);
    context.permissions = permissions ? &*permissions : nullptr;
    context.account_automount_token = inputs_.automount_of(account);
    return judge_->judge(p.file, p.object, p.pointer, std::move(workload), context);
  }

  // CI must not pass on nothing: a wrong path or a folder of .YAML files is an error.
  void error_no_manifest(const std::vector<std::string>& paths) {
    std::string names;
    for (const auto& p : paths) names += (names.empty() ? "" : ", ") + p;
    error(names,
          "no manifest found: folders are read for files named *.yaml, *.yml and *.json "
          "(lower case); name other files directly, or use - for standard input");
  }

  void error(const std::string& file, const std::string& message) {
    ++summary_.errors;
    err_ << "bulwark scan: " << file << ": " << message << "\n";
  }
  // From the thread that walks the paths: in its turn after what is already queued.
  void error_later(const std::string& file, const std::string& message) {
    work_.then([this, file, message] { error(file, message); });
  }
  void note_later(const std::string& line) {
    work_.then([this, line] { err_ << line; });
  }

  std::unique_ptr<ScanOutput> output_;
  std::ostream& err_;
  ScanSummary summary_;
  bool judge_permissions_;
  bool judge_automount_;  // then the files' ServiceAccounts too
  bool judge_network_;    // then the files' NetworkPolicies, Services and Namespaces too
  bool reach_;            // -o reach: the model's matrix of the files' pods instead of verdicts
  std::ostream& out_;
  std::vector<ReachPod> reach_pods_;
  ScanInputs inputs_;                // after the judge_* switches it is built from
  std::vector<Pending> pending_;     // with RBAC or network controls on: the workloads waiting
  std::unique_ptr<FixOut> fix_out_;  // --fix-out
  std::unique_ptr<ScanJudge> judge_;
  // Last: its workers stop before what their jobs use goes.
  OrderedWork work_;
};

}  // namespace

int run_scan(const ScanOptions& options, std::istream& in, std::ostream& out, std::ostream& err,
             std::chrono::system_clock::time_point now) {
  crds::SecurityPolicySpec spec;
  // Without a policy only the Pod Security level is checked.
  spec.images.forbid_latest_tag = false;
  spec.match.exclude_namespaces.clear();
  const bool with_policy = !options.policy_file.empty();
  std::string policy_name;
  if (with_policy) {
    std::ifstream file(options.policy_file, std::ios::binary);
    if (!file) {
      err << "bulwark scan: " << options.policy_file << ": cannot open policy file\n";
      return kExitBadInput;
    }
    const bool json = fs::path(options.policy_file).extension() == ".json";
    auto reader = json ? document::make_json_reader(file) : document::make_yaml_reader(file);
    Value doc;
    try {
      if (!reader->next(doc) || doc.is_null()) {
        err << "bulwark scan: " << options.policy_file << ": policy file is empty\n";
        return kExitBadInput;
      }
    } catch (const document::ParseError& e) {
      err << "bulwark scan: " << options.policy_file << ": line " << e.line() << ": " << e.what()
          << "\n";
      return kExitBadInput;
    }
    auto parsed = crds::parse_security_policy(doc);
    if (!parsed.ok()) {
      for (const auto& e : parsed.errors) {
        err << "bulwark scan: " << options.policy_file << ": " << e.field << ": " << e.message
            << "\n";
      }
      return kExitBadInput;
    }
    spec = std::move(parsed.policy.spec);
    policy_name = parsed.policy.name;
    if (!spec.match.namespace_selector.empty()) {
      // Files hold no namespace labels: judging every workload is the stricter reading.
      err << "bulwark scan: " << options.policy_file
          << ": match.namespaceSelector is not applied offline (a namespace's labels are the "
             "cluster's): every workload of the files is judged\n";
    }
  }
  if (options.level) spec.pod_security.level = *options.level;
  if (options.pss_version) spec.pod_security.version = *options.pss_version;

  if (policy_name.empty()) {
    policy_name = "pod-security-" + std::string(crds::to_string(spec.pod_security.level));
  }
  std::unique_ptr<Scanner> scanner;
  try {
    scanner = std::make_unique<Scanner>(options, posture::PolicyEvaluator(std::move(spec)),
                                        std::move(policy_name), with_policy, out, err, now,
                                        options.jobs > 0 ? options.jobs : base::default_threads());
  } catch (const std::runtime_error& e) {  // --registry-ca unreadable
    err << "bulwark scan: " << e.what() << "\n";
    return kExitBadInput;
  }
  for (const auto& path : options.paths) scanner->scan_path(path, in);
  return scanner->finish(options.paths);
}

}  // namespace bulwark::cli
