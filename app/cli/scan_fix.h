#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

#include "operator/document/value.h"
#include "operator/posture/fixes.h"

namespace bulwark::cli {

// `bulwark scan --fix-out DIR`: every document of each file read, as read, with the patches of its
// workloads applied, written under DIR at the file's own relative path (YAML through the emitter
// of -o openreports, so comments are lost; a .json file as JSON).
// Streaming (workloads judged as they are read): each document is written once judged, so memory
// stays flat. Otherwise (judgements wait for the files' RBAC or network objects) every document is
// held until finish(), and memory grows with the input. Not thread-safe.
class FixOut {
 public:
  FixOut(std::filesystem::path dir, bool streaming) : dir_(std::move(dir)), streaming_(streaming) {}

  // A file begins: `name` as scan names it ("<stdin>" for standard input).
  void begin_file(const std::string& name, bool json);
  // The next document of the current file (an empty one is skipped, as the scan skips it).
  void document(std::size_t index, document::Value doc);
  // The current file will not be written: a document could not be read, so its copy would lose it.
  void fail_file();
  // Applies a workload's patch to document `index` of `file`; false when it does not apply (the
  // file is then not written).
  bool patch(const std::string& file, std::size_t index, const std::vector<posture::PatchOp>& ops);
  // Streaming: writes the current file's documents judged so far and lets them go.
  void flush();
  // Streaming: the current file ends (a partial copy of a failed one is removed).
  std::size_t end_file(std::ostream& err);
  // Writes what is still held. Each function returns how many errors it wrote to `err`.
  std::size_t finish(std::ostream& err);
  // Whether `folder` is the output folder (a folder scan skips it: a second run would read the
  // first run's copies).
  bool is_output(const std::filesystem::path& folder) const {
    std::error_code ec;
    return std::filesystem::equivalent(folder, dir_, ec);
  }

  // Where `name`'s copy goes under `dir`: the same relative path (an absolute one relative to the
  // current folder); nullopt, with the reason in `why`, for a path outside the current folder or
  // one that would overwrite the input itself.
  // Whether `input` (a path scan reads) lies in `dir`, where copies are written: refused, since a
  // copy could overwrite it before it is read.
  static bool inside(const std::filesystem::path& dir, const std::string& input);
  static std::optional<std::filesystem::path> target(const std::filesystem::path& dir,
                                                     const std::string& name, bool json,
                                                     std::string& why);

 private:
  struct File {
    std::string name;
    bool json = false;
    bool failed = false;
    std::string why;  // why it has no target
    std::filesystem::path path;
    std::vector<std::pair<std::size_t, document::Value>> documents;  // index in the file, doc
    std::unique_ptr<std::ofstream> out;                              // once opened
  };
  // Writes `file`'s held documents (opening its copy first); false when it cannot be written.
  static bool write_held(File& file);
  // Closes `file` and says what kept it from being written, if anything (1, or 0 when nothing
  // did); a partial copy is removed.
  static std::size_t report(File& file, std::ostream& err);

  std::filesystem::path dir_;
  bool streaming_;
  std::vector<File> files_;  // streaming: the current one only
  // Every target given out, and whose: two inputs never share a copy (stdin and ./stdin.yaml, or a
  // file named twice).
  std::map<std::filesystem::path, std::string> targets_;
};

}  // namespace bulwark::cli
