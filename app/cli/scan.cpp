#include "app/cli/scan.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <istream>
#include <optional>
#include <ostream>

#include "app/cli/scan_fix.h"
#include "app/cli/scan_inputs.h"
#include "app/cli/scan_reach.h"
#include "operator/base/time_text.h"
#include "operator/document/reader.h"
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

// The line of the deepest node that exists along a reported field path. Keys may contain dots
// (annotation keys do), so at each mapping the longest key that fits the path wins.
int line_for(const Value& root, std::string_view path) {
  const Value* cur = &root;
  int line = root.line;
  while (!path.empty() && cur != nullptr) {
    if (path.front() == '.') path.remove_prefix(1);
    if (!path.empty() && path.front() == '[') {
      auto close = path.find(']');
      if (close == std::string_view::npos || !cur->is_sequence()) break;
      std::size_t index = std::stoul(std::string(path.substr(1, close - 1)));
      if (index >= cur->items.size()) break;
      cur = &cur->items[index];
      path.remove_prefix(close + 1);
    } else if (cur->is_mapping()) {
      const Value::Member* best = nullptr;
      for (const auto& m : cur->members) {
        if (path.substr(0, m.first.size()) == m.first &&
            (path.size() == m.first.size() || path[m.first.size()] == '.' ||
             path[m.first.size()] == '[') &&
            (best == nullptr || m.first.size() > best->first.size())) {
          best = &m;
        }
      }
      if (best == nullptr) break;
      cur = &best->second;
      path.remove_prefix(best->first.size());
    } else {
      break;
    }
    if (cur->line > 0) line = cur->line;
  }
  return line;
}

class Scanner {
 public:
  Scanner(const ScanOptions& options, posture::PolicyEvaluator evaluator, std::string policy_name,
          bool apply_match, std::ostream& out, std::ostream& err,
          std::chrono::system_clock::time_point now)
      : evaluator_(std::move(evaluator)),
        policy_name_(std::move(policy_name)),
        apply_match_(apply_match),
        output_(make_scan_output(options.format, out, options.color)),
        err_(err),
        context_{now},
        judge_permissions_(!evaluator_.spec().permissions.forbid.empty()),
        judge_automount_(evaluator_.spec().service_account.forbid_automount_token),
        judge_network_(!evaluator_.spec().network.forbid.empty() ||
                       options.format == OutputFormat::kReach),
        reach_(options.format == OutputFormat::kReach),
        out_(out),
        inputs_({judge_permissions_, judge_automount_, judge_network_},
                options.anonymous_requests) {
    context_.vulnerabilities_unread =
        "bulwark scan reads no vulnerability reports (the operator does, in a cluster)";
    if (options.verify && !evaluator_.spec().images.verify.empty()) {
      verifier_ = std::make_unique<ScanVerifier>(options.registries);
    }
    if (!options.fix_out.empty()) {
      // Judgements that wait for the files' RBAC or network objects hold every document.
      const bool streaming = !(judge_permissions_ || judge_automount_ || judge_network_);
      fix_out_ = std::make_unique<FixOut>(options.fix_out, streaming);
    }
    plan_fixes_ = fix_out_ != nullptr || needs_fixes(options.format);
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
      error(path, "no such file or folder");
      return;
    }
    if (fs::is_directory(status)) {
      if (scan_folder(path) == 0) {
        err_ << "bulwark scan: " << path << ": no .yaml, .yml or .json files\n";
      }
      return;
    }
    scan_file(path);
  }

  int finish(const std::vector<std::string>& paths) {
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
    if (ec) error(folder.string(), "cannot read folder: " + ec.message());
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
      error(path, "cannot read: " + ec.message());
      return;
    }
    const bool json = fs::path(path).extension() == ".json";
    if (size > (json ? kMaxJsonBytes : kMaxYamlBytes)) {
      error(path, "file is too large (" + std::to_string(size >> 20) + " MiB; the limit is " +
                      std::to_string((json ? kMaxJsonBytes : kMaxYamlBytes) >> 20) + " MiB for " +
                      (json ? "JSON" : "YAML") + ")");
      return;
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      error(path, "cannot open");
      return;
    }
    if (size == 0) {
      ++summary_.files;
      err_ << "bulwark scan: " << path << ": empty file, nothing to scan\n";
      return;
    }
    char head[8192];
    file.read(head, sizeof head);
    if (std::find(head, head + file.gcount(), '\0') != head + file.gcount()) {
      error(path, "binary file, not YAML or JSON");
      return;
    }
    file.clear();
    file.seekg(0);
    scan_stream(path, file, json);
  }

  void scan_stream(const std::string& name, std::istream& in, bool json) {
    ++summary_.files;
    if (fix_out_) fix_out_->begin_file(name, json);
    auto reader = json ? document::make_json_reader(in) : document::make_yaml_reader(in);
    Value doc;
    // A malformed document is reported and the YAML reader goes on with the next one.
    for (std::size_t index = 0;; ++index) {
      try {
        if (!reader->next(doc)) break;
      } catch (const document::ParseError& e) {
        std::string where = "document " + std::to_string(index);
        if (e.line() > 0) where += ", line " + std::to_string(e.line());
        if (e.column() > 0) where += ", column " + std::to_string(e.column());
        error(name, where + ": " + e.what());
        if (fix_out_) fix_out_->fail_file();
        continue;
      } catch (const std::exception& e) {
        // The readers' limits should make this unreachable; if memory still runs out, this file
        // is lost but not the others.
        error(name, "document " + std::to_string(index) + ": " + e.what() +
                        "; the rest of this file is not read");
        if (fix_out_) fix_out_->fail_file();
        break;
      }
      if (doc.is_null()) continue;  // an empty document between separators
      ++summary_.documents;
      if (fix_out_) fix_out_->document(index, doc);
      scan_document(name, index, doc);
      if (fix_out_) fix_out_->flush();
    }
    if (fix_out_) summary_.errors += fix_out_->end_file(err_);
  }

  void scan_document(const std::string& name, std::size_t index, const Value& doc) {
    const Value* kind = doc.find("kind");
    if (kind != nullptr && kind->str() == "List") {
      const auto& items = document::items_of(doc.find("items"));
      for (std::size_t i = 0; i < items.size(); ++i) {
        scan_object(name, index, items[i], "/items/" + std::to_string(i));
      }
      return;
    }
    scan_object(name, index, doc, "");
  }

  // `pointer`: where the object sits in its document ("/items/3" in a List), for its fixes.
  void scan_object(const std::string& name, std::size_t index, const Value& object,
                   const std::string& pointer) {
    std::vector<std::string> problems;
    if (inputs_.take(object, problems)) {
      for (const auto& p : problems) error(name, "document " + std::to_string(index) + ": " + p);
      ++summary_.skipped;
      return;
    }
    auto workload = posture::workload_from(object);
    if (!workload) {
      ++summary_.skipped;
      return;
    }
    if (reach_) {
      add_reach_pod(object, *workload);
      return;
    }
    if (judge_permissions_ || judge_automount_ || judge_network_) {
      // Judged once every file is read: the roles, bindings and accounts may come after it.
      pending_.push_back({name, index, object, pointer});
      return;
    }
    judge(name, index, object, pointer, *workload);
  }

  // CI must not pass on nothing: a wrong path or a folder of .YAML files is an error.
  void error_no_manifest(const std::vector<std::string>& paths) {
    std::string names;
    for (const auto& p : paths) names += (names.empty() ? "" : ", ") + p;
    error(names,
          "no manifest found: folders are read for files named *.yaml, *.yml and *.json "
          "(lower case); name other files directly, or use - for standard input");
  }

  // -o reach: the workload's pod as the model sees it (a Pod's status gives its addresses).
  void add_reach_pod(const Value& object, const posture::Workload& workload) {
    const std::string ns = workload.namespace_name.empty() ? "default" : workload.namespace_name;
    ReachPod p{workload.kind + "/" + ns + "/" + workload.name,
               network::read_pod(workload.pod_metadata, *workload.pod_spec,
                                 workload.kind == "Pod" ? object.find("status") : nullptr, ns)};
    p.pod.name = workload.name;
    reach_pods_.push_back(std::move(p));
    ++summary_.workloads;
  }

  void judge_pending() {
    if (pending_.empty()) return;
    for (const auto& note : inputs_.resolve()) err_ << "bulwark scan: " << note << "\n";
    if (judge_network_) context_.network = &inputs_.network();
    for (const auto& p : pending_) {
      auto workload = posture::workload_from(p.object);
      const rbac::Account account{
          workload->namespace_name.empty() ? "default" : workload->namespace_name,
          posture::service_account_of(*workload)};
      const auto permissions = inputs_.permissions_of(account);
      context_.permissions = permissions ? &*permissions : nullptr;
      context_.account_automount_token = inputs_.automount_of(account);
      judge(p.file, p.index, p.object, p.pointer, *workload);
    }
    context_.permissions = nullptr;
    context_.account_automount_token.reset();
    pending_.clear();
  }

  void judge(const std::string& name, std::size_t index, const Value& object,
             const std::string& pointer, const posture::Workload& workload) {
    if (apply_match_ && !evaluator_.selects(workload, nullptr)) {
      ++summary_.not_selected;
      return;
    }
    ScanResult r;
    r.file = name;
    r.document = index;
    r.kind = workload.kind;
    r.namespace_name = workload.namespace_name;
    r.name = workload.name;
    posture::SignaturesByEntries signatures;
    if (verifier_) {
      const auto& images = evaluator_.spec().images;
      signatures[crds::verify_key(images)] = verifier_->verify(images, workload);
      context_.image_signatures = &signatures;
    }
    r.verdict = evaluator_.evaluate(workload, context_);
    context_.image_signatures = nullptr;
    r.api_version = workload.api_version;
    r.policy = policy_name_;
    r.controls = evaluator_.controls();
    r.pss_version = evaluator_.spec().pod_security.version.str();
    r.timestamp =
        std::chrono::duration_cast<std::chrono::seconds>(context_.now.time_since_epoch()).count();
    r.lines.reserve(r.verdict.violations.size());
    for (const auto& v : r.verdict.violations) r.lines.push_back(line_for(object, v.path));
    r.workload = &workload;
    if (plan_fixes_ && !r.verdict.violations.empty()) {
      r.fixes = posture::plan_fixes(workload, r.verdict, pointer);
      if (fix_out_ && !fix_out_->patch(name, index, r.fixes.ops)) {
        error(name, "document " + std::to_string(index) + ": its fixes did not apply");
      }
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

  void error(const std::string& file, const std::string& message) {
    ++summary_.errors;
    err_ << "bulwark scan: " << file << ": " << message << "\n";
  }

  posture::PolicyEvaluator evaluator_;
  std::string policy_name_;  // the policy file's, or pod-security-LEVEL without one
  bool apply_match_;
  std::unique_ptr<ScanOutput> output_;
  std::ostream& err_;
  posture::EvaluationContext context_;
  ScanSummary summary_;
  bool judge_permissions_;
  bool judge_automount_;  // then the files' ServiceAccounts too
  bool judge_network_;    // then the files' NetworkPolicies, Services and Namespaces too
  bool reach_;            // -o reach: the model's matrix of the files' pods instead of verdicts
  std::ostream& out_;
  std::vector<ReachPod> reach_pods_;
  ScanInputs inputs_;  // after the judge_* switches it is built from
  // With RBAC controls on: the files' roles and bindings, and the workloads waiting for them.
  struct Pending {
    std::string file;
    std::size_t index;
    Value object;
    std::string pointer;  // where the object sits in its document
  };
  std::vector<Pending> pending_;
  std::unique_ptr<ScanVerifier> verifier_;  // --verify with images.verify entries
  std::unique_ptr<FixOut> fix_out_;         // --fix-out
  bool plan_fixes_ = false;                 // the output or --fix-out shows fixes
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
                                        std::move(policy_name), with_policy, out, err, now);
  } catch (const std::runtime_error& e) {  // --registry-ca unreadable
    err << "bulwark scan: " << e.what() << "\n";
    return kExitBadInput;
  }
  for (const auto& path : options.paths) scanner->scan_path(path, in);
  return scanner->finish(options.paths);
}

}  // namespace bulwark::cli
