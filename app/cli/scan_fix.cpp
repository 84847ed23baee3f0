#include "app/cli/scan_fix.h"

#include "operator/document/json_writer.h"
#include "operator/document/yaml_writer.h"

namespace bulwark::cli {

namespace fs = std::filesystem;

void FixOut::begin_file(const std::string& name, bool json) {
  File file{name, json, false, {}, {}, {}, nullptr};
  if (auto path = target(dir_, name, json, file.why)) {
    const auto [taken, fresh] = targets_.emplace(path->lexically_normal(), name);
    if (fresh) {
      file.path = *path;
    } else {
      file.why = "its copy would go where " + taken->second + "'s went (" + path->string() + ")";
    }
  }
  files_.push_back(std::move(file));
}

bool FixOut::inside(const fs::path& dir, const std::string& input) {
  if (input == "-") return false;
  std::error_code ec;
  const auto d = fs::weakly_canonical(dir, ec);
  const auto in = fs::weakly_canonical(input, ec);
  const auto rel = in.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

void FixOut::document(std::size_t index, document::Value doc) {
  if (files_.empty() || files_.back().failed || !files_.back().why.empty()) return;
  files_.back().documents.emplace_back(index, std::move(doc));
}

void FixOut::fail_file() {
  if (files_.empty()) return;
  files_.back().failed = true;
  files_.back().documents.clear();
}

bool FixOut::patch(const std::string& file, std::size_t index,
                   const std::vector<posture::PatchOp>& ops) {
  // From the back: the file being read is found at once, a waiting workload's soon enough.
  for (auto f = files_.rbegin(); f != files_.rend(); ++f) {
    if (f->name != file) continue;
    if (f->failed || !f->why.empty()) return true;  // not written: nothing to patch
    for (auto& [i, doc] : f->documents) {
      if (i != index) continue;
      if (posture::apply_patch(doc, ops)) return true;
      f->why = "not written under --fix-out: the fixes of document " + std::to_string(index) +
               " did not apply";
      f->documents.clear();
      return false;
    }
  }
  return false;
}

// A file's copy is written beside its place and renamed into it once whole (report): an
// interrupted run leaves no half copy, and a symlink at the place is replaced, not followed.
namespace {
fs::path partial(const fs::path& path) { return path.string() + ".bulwark-partial"; }
}  // namespace

bool FixOut::write_held(File& file) {
  if (!file.out) {
    std::error_code ec;
    fs::create_directories(file.path.parent_path(), ec);
    file.out =
        std::make_unique<std::ofstream>(partial(file.path), std::ios::binary | std::ios::trunc);
  }
  for (const auto& [index, doc] : file.documents) {
    if (file.json) {
      *file.out << document::to_json(doc) << "\n";
    } else {
      *file.out << "---\n" << document::to_yaml(doc);
    }
  }
  file.documents.clear();
  return static_cast<bool>(*file.out);
}

void FixOut::flush() {
  if (!streaming_ || files_.empty()) return;
  File& file = files_.back();
  // A write that fails leaves the stream failed, which the file's end reports.
  if (!file.failed && file.why.empty() && !file.documents.empty()) write_held(file);
}

std::size_t FixOut::report(File& file, std::ostream& err) {
  std::string problem = file.why;
  if (file.out) {
    file.out->close();
    if (!*file.out && problem.empty()) problem = "cannot write " + file.path.string();
  }
  if (file.failed && problem.empty()) {
    problem = "not written under --fix-out: a document of it could not be read";
  }
  std::error_code ec;
  if (problem.empty() && file.out) {
    fs::rename(partial(file.path), file.path, ec);
    if (ec) problem = "cannot write " + file.path.string() + ": " + ec.message();
  }
  if (problem.empty()) return 0;
  if (file.out) fs::remove(partial(file.path), ec);
  err << "bulwark scan: " << file.name << ": " << problem << "\n";
  return 1;
}

std::size_t FixOut::end_file(std::ostream& err) {
  if (!streaming_ || files_.empty()) return 0;
  flush();
  File& file = files_.back();
  if (!file.failed && file.why.empty() && !file.out) write_held(file);  // a file of no documents
  const std::size_t errors = report(file, err);
  files_.pop_back();
  return errors;
}

std::size_t FixOut::finish(std::ostream& err) {
  std::size_t errors = 0;
  for (auto& file : files_) {
    if (!file.failed && file.why.empty()) write_held(file);  // a failed write: report says so
    errors += report(file, err);
  }
  files_.clear();
  return errors;
}

std::optional<fs::path> FixOut::target(const fs::path& dir, const std::string& name, bool json,
                                       std::string& why) {
  if (name == "<stdin>") return dir / (json ? "stdin.json" : "stdin.yaml");
  fs::path relative = fs::path(name).lexically_normal();
  std::error_code ec;
  if (relative.is_absolute()) relative = relative.lexically_relative(fs::current_path(ec));
  if (relative.empty() || *relative.begin() == "..") {
    why =
        "is outside the current folder, so it has no place under the --fix-out folder (scan "
        "from a folder above it)";
    return std::nullopt;
  }
  fs::path out = dir / relative;
  if (fs::equivalent(out, name, ec)) {
    why = "would be overwritten by its own fixed copy: give --fix-out another folder";
    return std::nullopt;
  }
  return out;
}

}  // namespace bulwark::cli
