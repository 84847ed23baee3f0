#include "app/cli/scan_output.h"

#include "operator/document/json_stream.h"
#include "operator/document/json_writer.h"
#include "operator/document/yaml_writer.h"
#include "operator/policy/control_ids.h"
#include "operator/policy_reports/open_report.h"

namespace bulwark::cli {

namespace {

using document::Value;

std::string workload_name(const ScanResult& r) {
  std::string n = r.kind + " ";
  if (!r.namespace_name.empty()) n += r.namespace_name + "/";
  return n + (r.name.empty() ? "(unnamed)" : r.name);
}

class TableWriter : public ScanOutput {
 public:
  TableWriter(std::ostream& out, bool color) : out_(out), color_(color) {}

  void result(const ScanResult& r) override {
    const auto& v = r.verdict;
    const std::string where = r.file + " [doc " + std::to_string(r.document) + "]";
    if (v.posture == posture::Posture::kCompliant) {
      out_ << paint("32", "PASS") << "  " << workload_name(r) << "  " << dim(where) << "\n";
      return;
    }
    if (v.posture == posture::Posture::kExempt) {
      out_ << paint("36", "EXEMPT") << "  " << workload_name(r) << "  " << dim(where) << "  ("
           << v.exempted.size() << " exempted)\n";
      return;
    }
    if (v.posture == posture::Posture::kNotEvaluated) {
      out_ << paint("35", "NOT EVALUATED") << "  " << workload_name(r) << "  " << dim(where)
           << "\n";
      for (const auto& n : v.not_evaluated) {
        out_ << "      not evaluated " << n.control << ": " << n.reason << "\n";
      }
      return;
    }
    out_ << paint("31", "FAIL") << "  " << workload_name(r) << "  " << dim(where) << "  "
         << v.violations.size() << (v.violations.size() == 1 ? " violation" : " violations");
    if (r.fixes.fixed > 0) out_ << ", " << r.fixes.fixed << " with a fix (-o patch)";
    out_ << "\n";
    for (std::size_t i = 0; i < v.violations.size(); ++i) {
      const auto& x = v.violations[i];
      std::string sev(crds::to_string(x.severity));
      for (auto& ch : sev) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      sev.resize(8, ' ');
      out_ << "      " << paint(severity_color(x.severity), sev) << " " << x.control << ": "
           << x.message << "\n";
      out_ << "               "
           << dim(x.path + (r.lines[i] > 0 ? "  (line " + std::to_string(r.lines[i]) + ")" : ""))
           << "\n";
    }
  }

  void finish(const ScanSummary& s) override {
    out_ << "\n"
         << s.workloads << (s.workloads == 1 ? " workload" : " workloads") << " in " << s.files
         << (s.files == 1 ? " file" : " files") << ": " << s.compliant << " compliant, "
         << s.violating << " violating, " << s.exempt << " exempt";
    if (s.not_evaluated > 0) out_ << ", " << s.not_evaluated << " not evaluated";
    out_ << "; " << s.violations << (s.violations == 1 ? " violation" : " violations");
    if (s.skipped > 0) out_ << "; " << s.skipped << " documents skipped (no pod template)";
    if (s.not_selected > 0) out_ << "; " << s.not_selected << " not selected by the policy";
    if (s.errors > 0) out_ << "; " << s.errors << (s.errors == 1 ? " error" : " errors");
    out_ << "\n";
  }

 private:
  static const char* severity_color(crds::Severity s) {
    switch (s) {
      case crds::Severity::kCritical:
        return "1;31";
      case crds::Severity::kHigh:
        return "31";
      case crds::Severity::kMedium:
        return "33";
      case crds::Severity::kLow:
        return "34";
    }
    return "0";
  }
  std::string paint(const char* code, const std::string& text) const {
    return color_ ? "\033[" + std::string(code) + "m" + text + "\033[0m" : text;
  }
  std::string dim(const std::string& text) const { return paint("2", text); }

  std::ostream& out_;
  bool color_;
};

Value violation_json(const posture::Violation& v, int line) {
  Value j = Value::object();
  j.set("control", Value::string(v.control))
      .set("severity", Value::string(crds::to_string(v.severity)))
      .set("message", Value::string(v.message))
      .set("path", Value::string(v.path));
  if (line > 0) j.set("line", Value::integer(line));
  return j;
}

// Which document and workload a result is about.
Value identity_json(const ScanResult& r) {
  Value j = Value::object();
  j.set("file", Value::string(r.file))
      .set("document", Value::integer(static_cast<std::int64_t>(r.document)))
      .set("kind", Value::string(r.kind))
      .set("namespace", Value::string(r.namespace_name))
      .set("name", Value::string(r.name));
  return j;
}

Value result_json(const ScanResult& r) {
  const auto& v = r.verdict;
  Value violations = Value::array(), exempted = Value::array(), not_evaluated = Value::array();
  for (std::size_t i = 0; i < v.violations.size(); ++i) {
    violations.push(violation_json(v.violations[i], r.lines[i]));
  }
  for (const auto& x : v.exempted) exempted.push(violation_json(x, 0));
  for (const auto& n : v.not_evaluated) {
    Value j = Value::object();
    j.set("control", Value::string(n.control)).set("reason", Value::string(n.reason));
    not_evaluated.push(std::move(j));
  }
  Value j = identity_json(r);
  j.set("posture", Value::string(posture::to_string(v.posture)))
      .set("violations", std::move(violations))
      .set("exempted", std::move(exempted))
      .set("notEvaluated", std::move(not_evaluated));
  return j;
}

Value summary_json(const ScanSummary& s) {
  Value j = Value::object();
  auto count = [&j](std::string_view key, std::size_t n) {
    j.set(key, Value::integer(static_cast<std::int64_t>(n)));
  };
  count("files", s.files);
  count("documents", s.documents);
  count("workloads", s.workloads);
  count("compliant", s.compliant);
  count("violating", s.violating);
  count("exempt", s.exempt);
  count("notEvaluated", s.not_evaluated);
  count("violations", s.violations);
  count("skipped", s.skipped);
  count("notSelected", s.not_selected);
  count("errors", s.errors);
  return j;
}

// {"results":[ one line per workload ],"summary":{...}}, streamed: memory holds one result.
class JsonWriter : public ScanOutput {
 public:
  explicit JsonWriter(std::ostream& out) : json_(out) {
    json_.begin_object();
    json_.begin_array("results", document::JsonStream::kLines);
  }
  void result(const ScanResult& r) override { json_.item(result_json(r)); }
  void finish(const ScanSummary& s) override {
    json_.end();
    json_.member("summary", summary_json(s));
    json_.end();
  }

 private:
  document::JsonStream json_;
};

// SARIF 2.1.0, as GitHub code scanning and other tools read it. JSON member order is free, so
// results stream out first and the tool's rule table follows them.
class SarifWriter : public ScanOutput {
 public:
  explicit SarifWriter(std::ostream& out) : json_(out) {
    json_.begin_object();
    json_.member("version", Value::string("2.1.0"));
    json_.member("$schema", Value::string("https://json.schemastore.org/sarif-2.1.0.json"));
    json_.begin_array("runs");
    json_.begin_object();
    json_.begin_array("results", document::JsonStream::kLines);
  }

  void result(const ScanResult& r) override {
    for (std::size_t i = 0; i < r.verdict.violations.size(); ++i) {
      const auto& v = r.verdict.violations[i];
      Value location = physical_location(r.file);
      if (r.lines[i] > 0) {
        location.child("region").set("startLine", Value::integer(r.lines[i]));
      }
      Value logical = Value::object();
      logical.set("fullyQualifiedName", Value::string(workload_name(r) + "/" + v.path))
          .set("kind", Value::string("member"));
      Value place = Value::object();
      place.set("physicalLocation", std::move(location))
          .set("logicalLocations", std::move(Value::array().push(std::move(logical))));
      Value j = Value::object();
      j.set("ruleId", Value::string(v.control))
          .set("level", Value::string(level(v.severity)))
          .set("message", text(workload_name(r) + ": " + v.message))
          .set("locations", std::move(Value::array().push(std::move(place))));
      j.child("properties").set("document", Value::integer(static_cast<std::int64_t>(r.document)));
      json_.item(j);
    }
    // SARIF's own word for it: kind "open", the tool could not tell whether the rule holds.
    for (const auto& n : r.verdict.not_evaluated) {
      Value place = Value::object();
      place.set("physicalLocation", physical_location(r.file));
      Value j = Value::object();
      j.set("ruleId", Value::string(n.control))
          .set("kind", Value::string("open"))
          .set("level", Value::string("none"))
          .set("message", text(workload_name(r) + ": not evaluated: " + n.reason))
          .set("locations", std::move(Value::array().push(std::move(place))));
      j.child("properties")
          .set("document", Value::integer(static_cast<std::int64_t>(r.document)))
          .set("reason", Value::string(n.reason));
      json_.item(j);
    }
  }

  void finish(const ScanSummary&) override {
    json_.end();  // results
    json_.member("tool", tool());
    json_.end();  // the run
    json_.end();  // runs
    json_.end();
  }

 private:
  static Value text(const std::string& s) {
    Value j = Value::object();
    j.set("text", Value::string(s));
    return j;
  }
  static Value physical_location(const std::string& file) {
    Value j = Value::object();
    j.child("artifactLocation").set("uri", Value::string(file));
    return j;
  }
  // The tool and one rule per control ID.
  static Value tool() {
    Value rules = Value::array();
    for (const auto id : crds::kControlIds) {
      const auto sev = posture::severity_of(id);
      Value rule = Value::object();
      rule.set("id", Value::string(id))
          .set("name", Value::string(id))
          .set("shortDescription", text(std::string(id)));
      rule.child("defaultConfiguration").set("level", Value::string(level(sev)));
      rule.child("properties")
          .set("security-severity", Value::string(security_score(sev)))
          .set("tags", Value::array({"security", "kubernetes"}));
      rules.push(std::move(rule));
    }
    Value j = Value::object();
    j.child("driver")
        .set("name", Value::string("bulwark"))
        .set("version", Value::string(BULWARK_VERSION))
        .set("informationUri", Value::string("https://bulwark.dev"))
        .set("rules", std::move(rules));
    return j;
  }
  static const char* level(crds::Severity s) {
    return s == crds::Severity::kCritical || s == crds::Severity::kHigh ? "error"
           : s == crds::Severity::kMedium                               ? "warning"
                                                                        : "note";
  }
  // GitHub maps security-severity to its own labels: >= 9 critical, >= 7 high, >= 4 medium.
  static const char* security_score(crds::Severity s) {
    switch (s) {
      case crds::Severity::kCritical:
        return "9.5";
      case crds::Severity::kHigh:
        return "8.0";
      case crds::Severity::kMedium:
        return "5.5";
      case crds::Severity::kLow:
        return "3.0";
    }
    return "0";
  }

  document::JsonStream json_;
};

}  // namespace

namespace {

// One OpenReports Report per workload, as a YAML stream: what the operator writes in a cluster,
// with every passing control listed (the operator summarises them by default: etcd keeps a report
// for every workload, while a CI job's file costs nothing to be complete).
class OpenReportsWriter : public ScanOutput {
 public:
  explicit OpenReportsWriter(std::ostream& out) : out_(out) {}
  void result(const ScanResult& r) override {
    const policy_reports::PolicyVerdict verdict{r.policy,      r.controls, &r.verdict,
                                                r.pss_version, "",         r.workload};
    out_ << "---\n"
         << document::to_yaml(policy_reports::open_report(
                {r.api_version, r.kind, r.name, r.namespace_name, ""}, {verdict}, r.timestamp,
                policy_reports::Format::kOpenReports, policy_reports::Passes::kListed));
  }
  void finish(const ScanSummary&) override { out_.flush(); }

 private:
  std::ostream& out_;
};

// -o patch: a JSON line for each document with something to fix, in the order judged.
class PatchWriter : public ScanOutput {
 public:
  explicit PatchWriter(std::ostream& out) : out_(out) {}
  void result(const ScanResult& r) override {
    if (r.fixes.ops.empty()) return;
    Value j = identity_json(r);
    j.set("fixed", Value::integer(static_cast<std::int64_t>(r.fixes.fixed)))
        .set("left", Value::integer(static_cast<std::int64_t>(r.fixes.left)))
        .set("patch", posture::patch_document(r.fixes.ops));
    out_ << document::to_json(j) << "\n";
  }
  void finish(const ScanSummary&) override { out_.flush(); }

 private:
  std::ostream& out_;
};

}  // namespace

bool needs_fixes(OutputFormat format) {
  return format == OutputFormat::kTable || format == OutputFormat::kPatch ||
         format == OutputFormat::kOpenReports;
}

std::unique_ptr<ScanOutput> make_scan_output(OutputFormat format, std::ostream& out, bool color) {
  switch (format) {
    case OutputFormat::kOpenReports:
      return std::make_unique<OpenReportsWriter>(out);
    case OutputFormat::kJson:
      return std::make_unique<JsonWriter>(out);
    case OutputFormat::kSarif:
      return std::make_unique<SarifWriter>(out);
    case OutputFormat::kPatch:
      return std::make_unique<PatchWriter>(out);
    case OutputFormat::kTable:
    case OutputFormat::kReach:
      break;
  }
  return std::make_unique<TableWriter>(out, color);
}

}  // namespace bulwark::cli
