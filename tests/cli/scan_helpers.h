#pragma once
// What the scan tests share: the real binary run with arguments and input, a temporary folder,
// sample pods, and run_scan() with a fixed clock.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/cli/scan.h"
#include "operator/base/time_text.h"
#include "tests/support/paths.h"

namespace bulwark::cli::scan_testing {

namespace fs = std::filesystem;

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs `bulwark` with the given arguments through the shell; stdin from `input` when given.
inline Run run_binary(const std::string& args, const std::string& input = "") {
  const fs::path dir = fs::temp_directory_path() / ("bulwark-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto in = dir / "stdin", out = dir / "stdout", err = dir / "stderr";
  std::ofstream(in) << input;
  const std::string cmd = std::string("cd ") + test::source_dir() + " && " +
                          test::bulwark_binary() + " " + args + " <" + in.string() + " >" +
                          out.string() + " 2>" + err.string();
  Run r;
  const int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::stringstream o, e;
  o << std::ifstream(out).rdbuf();
  e << std::ifstream(err).rdbuf();
  r.out = o.str();
  r.err = e.str();
  fs::remove_all(dir);
  return r;
}

inline std::string read(const fs::path& p) {
  std::stringstream s;
  s << std::ifstream(p).rdbuf();
  return s.str();
}

// `bulwark ARGS` run in `dir`, for relative paths.
inline Run run_in(const std::string& dir, const std::string& args) {
  const std::string cmd =
      "cd " + dir + " && " + test::bulwark_binary() + " " + args + " >stdout.txt 2>stderr.txt";
  Run r;
  const int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read(fs::path(dir) / "stdout.txt");
  r.err = read(fs::path(dir) / "stderr.txt");
  return r;
}

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("bulwark-scan-" + std::to_string(++counter_) + "-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    const auto p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

inline const char* const kBadPod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: ns}\n"
    "spec:\n  containers:\n  - name: a\n    image: i:1\n"
    "    securityContext: {privileged: true}\n";
inline const char* const kGoodPod =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n"
    "  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n"
    "  containers:\n  - name: a\n    image: i:1\n"
    "    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n";

// The posture the JSON report gives the workload named `name`.
inline std::string posture_of(const std::string& json, const std::string& name) {
  const auto at = json.find("\"name\":\"" + name + "\"");
  if (at == std::string::npos) return "(absent)";
  const auto p = json.find("\"posture\":\"", at) + 11;
  return json.substr(p, json.find('"', p) - p);
}

inline int scan(ScanOptions o, const std::string& stdin_text, std::string& out, std::string& err) {
  std::istringstream in(stdin_text);
  std::ostringstream o_out, o_err;
  const int status = run_scan(o, in, o_out, o_err, *base::parse_rfc3339("2026-11-28T10:00:00Z"));
  out = o_out.str();
  err = o_err.str();
  return status;
}

}  // namespace bulwark::cli::scan_testing
