#include "app/cli/report.h"

#include "operator/document/json_writer.h"
#include "operator/document/yaml_writer.h"
#include "operator/policy/control_ids.h"
#include "operator/reports/open_report.h"

namespace bulwark::cli {

namespace {

std::string workload_name(const ScanResult& r) {
  std::string n = r.kind + " ";
  if (!r.namespace_name.empty()) n += r.namespace_name + "/";
  return n + (r.name.empty() ? "(unnamed)" : r.name);
}

class TableWriter : public ReportWriter {
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
         << v.violations.size() << (v.violations.size() == 1 ? " violation" : " violations")
         << "\n";
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

void write_violation_json(std::ostream& out, const posture::Violation& v, int line) {
  out << "{\"control\":" << json_quote(v.control)
      << ",\"severity\":" << json_quote(crds::to_string(v.severity))
      << ",\"message\":" << json_quote(v.message) << ",\"path\":" << json_quote(v.path);
  if (line > 0) out << ",\"line\":" << line;
  out << "}";
}

class JsonWriter : public ReportWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) { out_ << "{\"results\":["; }

  void result(const ScanResult& r) override {
    out_ << (first_ ? "\n" : ",\n") << "{\"file\":" << json_quote(r.file)
         << ",\"document\":" << r.document << ",\"kind\":" << json_quote(r.kind)
         << ",\"namespace\":" << json_quote(r.namespace_name) << ",\"name\":" << json_quote(r.name)
         << ",\"posture\":" << json_quote(posture::to_string(r.verdict.posture))
         << ",\"violations\":[";
    for (std::size_t i = 0; i < r.verdict.violations.size(); ++i) {
      if (i > 0) out_ << ",";
      write_violation_json(out_, r.verdict.violations[i], r.lines[i]);
    }
    out_ << "],\"exempted\":[";
    for (std::size_t i = 0; i < r.verdict.exempted.size(); ++i) {
      if (i > 0) out_ << ",";
      write_violation_json(out_, r.verdict.exempted[i], 0);
    }
    out_ << "],\"notEvaluated\":[";
    for (std::size_t i = 0; i < r.verdict.not_evaluated.size(); ++i) {
      const auto& n = r.verdict.not_evaluated[i];
      out_ << (i > 0 ? "," : "") << "{\"control\":" << json_quote(n.control)
           << ",\"reason\":" << json_quote(n.reason) << "}";
    }
    out_ << "]}";
    first_ = false;
  }

  void finish(const ScanSummary& s) override {
    out_ << "\n],\"summary\":{\"files\":" << s.files << ",\"documents\":" << s.documents
         << ",\"workloads\":" << s.workloads << ",\"compliant\":" << s.compliant
         << ",\"violating\":" << s.violating << ",\"exempt\":" << s.exempt
         << ",\"notEvaluated\":" << s.not_evaluated << ",\"violations\":" << s.violations
         << ",\"skipped\":" << s.skipped << ",\"notSelected\":" << s.not_selected
         << ",\"errors\":" << s.errors << "}}\n";
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

// SARIF 2.1.0, as GitHub code scanning and other tools read it. JSON member order is free, so
// results stream out first and the tool's rule table follows them.
class SarifWriter : public ReportWriter {
 public:
  explicit SarifWriter(std::ostream& out) : out_(out) {
    out_ << "{\"version\":\"2.1.0\","
            "\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
            "\"runs\":[{\"results\":[";
  }

  void result(const ScanResult& r) override {
    for (std::size_t i = 0; i < r.verdict.violations.size(); ++i) {
      const auto& v = r.verdict.violations[i];
      out_ << (first_ ? "\n" : ",\n") << "{\"ruleId\":" << json_quote(v.control)
           << ",\"level\":" << json_quote(level(v.severity))
           << ",\"message\":{\"text\":" << json_quote(workload_name(r) + ": " + v.message) << "}"
           << ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":"
           << json_quote(r.file) << "}";
      if (r.lines[i] > 0) out_ << ",\"region\":{\"startLine\":" << r.lines[i] << "}";
      out_ << "},\"logicalLocations\":[{\"fullyQualifiedName\":"
           << json_quote(workload_name(r) + "/" + v.path) << ",\"kind\":\"member\"}]}]"
           << ",\"properties\":{\"document\":" << r.document << "}}";
      first_ = false;
    }
    // SARIF's own word for it: kind "open", the tool could not tell whether the rule holds.
    for (const auto& n : r.verdict.not_evaluated) {
      out_ << (first_ ? "\n" : ",\n") << "{\"ruleId\":" << json_quote(n.control)
           << ",\"kind\":\"open\",\"level\":\"none\",\"message\":{\"text\":"
           << json_quote(workload_name(r) + ": not evaluated: " + n.reason) << "}"
           << ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":"
           << json_quote(r.file) << "}}}],\"properties\":{\"document\":" << r.document
           << ",\"reason\":" << json_quote(n.reason) << "}}";
      first_ = false;
    }
  }

  void finish(const ScanSummary&) override {
    out_ << "\n],\"tool\":{\"driver\":{\"name\":\"bulwark\",\"version\":"
         << json_quote(BULWARK_VERSION)
         << ",\"informationUri\":\"https://bulwark.dev\",\"rules\":[";
    for (std::size_t i = 0; i < crds::kControlIds.size(); ++i) {
      const auto id = crds::kControlIds[i];
      const auto sev = posture::severity_of(id);
      out_ << (i > 0 ? ",\n" : "\n") << "{\"id\":" << json_quote(id)
           << ",\"name\":" << json_quote(id) << ",\"shortDescription\":{\"text\":" << json_quote(id)
           << "},\"defaultConfiguration\":{\"level\":" << json_quote(level(sev))
           << "},\"properties\":{\"security-severity\":" << json_quote(security_score(sev))
           << ",\"tags\":[\"security\",\"kubernetes\"]}}";
    }
    out_ << "\n]}}}]}\n";
  }

 private:
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

  std::ostream& out_;
  bool first_ = true;
};

}  // namespace

namespace {

// One OpenReports Report per workload, as a YAML stream: what the operator writes in a cluster.
class OpenReportsWriter : public ReportWriter {
 public:
  explicit OpenReportsWriter(std::ostream& out) : out_(out) {}
  void result(const ScanResult& r) override {
    const reports::PolicyVerdict verdict{r.policy, r.controls, &r.verdict, r.pss_version, ""};
    out_ << "---\n"
         << document::to_yaml(reports::open_report(
                {r.api_version, r.kind, r.name, r.namespace_name, ""}, {verdict}, r.timestamp));
  }
  void finish(const ScanSummary&) override { out_.flush(); }

 private:
  std::ostream& out_;
};

}  // namespace

std::unique_ptr<ReportWriter> make_report_writer(OutputFormat format, std::ostream& out,
                                                 bool color) {
  switch (format) {
    case OutputFormat::kOpenReports:
      return std::make_unique<OpenReportsWriter>(out);
    case OutputFormat::kJson:
      return std::make_unique<JsonWriter>(out);
    case OutputFormat::kSarif:
      return std::make_unique<SarifWriter>(out);
    case OutputFormat::kTable:
      break;
  }
  return std::make_unique<TableWriter>(out, color);
}

}  // namespace bulwark::cli
