// Benchmark of `bulwark scan` (not a test): generates N Deployment manifests, then prints in one
// run the time the parsers alone need to read them (libyaml's events, the floor of the reader
// built on it; yaml-cpp's, the reader before it, into YAML::Node and with its event parser), and
// manifests per second and peak memory of the real `bulwark scan` binary on the same files, on
// one multi-document file, and on the same workloads as JSON, on one thread (-j 1, beside the
// one-thread floor) and on every core.
//   usage: scan_bench BULWARK_BINARY [N]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A realistic Deployment of about 70 lines; every fourth one violates "restricted".
std::string deployment(int i) {
  const bool bad = i % 4 == 0;
  std::string s;
  s += "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-" + std::to_string(i) +
       "\n  namespace: team-" + std::to_string(i % 50) + "\n  labels:\n    app: app-" +
       std::to_string(i) + "\n    tier: backend\n  annotations:\n    owner: team-" +
       std::to_string(i % 50) +
       "\nspec:\n  replicas: 3\n  selector:\n    matchLabels:\n      app: app-" +
       std::to_string(i) + "\n  template:\n    metadata:\n      labels:\n        app: app-" +
       std::to_string(i) +
       "\n    spec:\n      serviceAccountName: app\n      automountServiceAccountToken: false\n"
       "      securityContext:\n        runAsNonRoot: " +
       (bad ? "false" : "true") +
       "\n        seccompProfile:\n          type: RuntimeDefault\n"
       "      containers:\n      - name: app\n        image: registry.example.com/app:" +
       std::to_string(i % 7) +
       ".0\n        args: [\"--port=8080\", \"--log-level=info\"]\n"
       "        ports:\n        - containerPort: 8080\n          name: http\n"
       "        env:\n        - name: MODE\n          value: production\n"
       "        - name: POD_NAME\n          valueFrom:\n            fieldRef:\n              "
       "fieldPath: metadata.name\n"
       "        resources:\n          requests: {cpu: 100m, memory: 128Mi}\n"
       "          limits: {cpu: 500m, memory: 256Mi}\n"
       "        readinessProbe:\n          httpGet: {path: /healthz, port: 8080}\n"
       "        securityContext:\n          allowPrivilegeEscalation: false\n"
       "          readOnlyRootFilesystem: true\n          capabilities:\n            drop: [ALL]\n"
       "        volumeMounts:\n        - name: tmp\n          mountPath: /tmp\n"
       "      - name: sidecar\n        image: registry.example.com/proxy:1.2\n"
       "        securityContext:\n          allowPrivilegeEscalation: false\n"
       "          capabilities:\n            drop: [ALL]\n"
       "      volumes:\n      - name: tmp\n        emptyDir: {}\n";
  return s;
}

std::string to_json(int i) {
  const bool bad = i % 4 == 0;
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"app-)" +
         std::to_string(i) + R"(","namespace":"team-)" + std::to_string(i % 50) +
         R"("},"spec":{"template":{"spec":{"automountServiceAccountToken":false,"securityContext":{"runAsNonRoot":)" +
         (bad ? "false" : "true") +
         R"(,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"app","image":"registry.example.com/app:1.0","resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"500m","memory":"256Mi"}},"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}}}})";
}

struct NullHandler : YAML::EventHandler {
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct ChildRun {
  double seconds;
  long peak_kib;
  int status;
};

// Runs `bulwark scan -f PATH ARGS` (default `-o json`), output discarded; peak RSS from the
// kernel's rusage.
ChildRun run_scan(const std::string& binary, const std::string& path,
                  std::vector<std::string> args = {"-o", "json"}, const fs::path& cwd = {}) {
  std::fflush(stdout);  // or the child inherits and repeats what is buffered
  args.insert(args.begin(), {"scan", "-f", path});
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto t = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    std::freopen("/dev/null", "w", stdout);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  return {seconds_since(t), usage.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

struct Floors {
  double libyaml_s;
  double node_s;
  double event_s;
};

// The parsers alone, reading the same files in this process, one thread.
Floors parse_floors(const std::vector<fs::path>& files) {
  const int n = static_cast<int>(files.size());
  auto t = Clock::now();
  std::size_t events = 0;
  for (const auto& f : files) {
    std::ifstream in(f);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    for (yaml_event_t e; yaml_parser_parse(&parser, &e);) {
      const bool end = e.type == YAML_STREAM_END_EVENT;
      ++events;
      yaml_event_delete(&e);
      if (end) break;
    }
    yaml_parser_delete(&parser);
  }
  Floors out{seconds_since(t), 0, 0};
  if (events == 0) std::printf("libyaml read no events: the figures below mean nothing\n");
  t = Clock::now();
  for (const auto& f : files) {
    std::ifstream in(f);
    for (const auto& doc : YAML::LoadAll(in)) events += doc.size();
  }
  out.node_s = seconds_since(t);
  t = Clock::now();
  for (const auto& f : files) {
    std::ifstream in(f);
    YAML::Parser parser(in);
    NullHandler h;
    while (parser.HandleNextDocument(h)) {
    }
  }
  out.event_s = seconds_since(t);
  std::printf("libyaml alone, event parser:          %6.2f s  %7.0f manifests/s\n", out.libyaml_s,
              n / out.libyaml_s);
  std::printf("yaml-cpp alone, into YAML::Node:      %6.2f s  %7.0f manifests/s\n", out.node_s,
              n / out.node_s);
  std::printf("yaml-cpp alone, event parser:         %6.2f s  %7.0f manifests/s\n", out.event_s,
              n / out.event_s);
  return out;
}

void print_run(const char* what, int n, const ChildRun& r) {
  std::printf("%-37s %6.2f s  %7.0f manifests/s  peak %5.1f MiB\n", what, r.seconds, n / r.seconds,
              r.peak_kib / 1024.0);
}

// Fixes (docs/api.md, Fixes): the patches, and the fixed copies, of the one-file run against its
// JSON report. True when both exit 1 (the files violate).
bool fix_figures(const std::string& binary, const fs::path& dir, int n, const ChildRun& multi_run) {
  const auto patch_run = run_scan(binary, (dir / "all.yaml").string(), {"-o", "patch", "-j", "1"});
  // --fix-out writes each file at its path relative to the current folder: run in `dir`.
  const auto fix_run =
      run_scan(binary, "all.yaml", {"-o", "json", "-j", "1", "--fix-out", "fixed"}, dir);
  std::printf(
      "bulwark scan -j 1 -o patch, one file: %6.2f s  %7.0f manifests/s  peak %5.1f MiB  "
      "(%.2fx its JSON report)\n",
      patch_run.seconds, n / patch_run.seconds, patch_run.peak_kib / 1024.0,
      patch_run.seconds / multi_run.seconds);
  std::printf(
      "bulwark scan -j 1 --fix-out, one file:%6.2f s  %7.0f manifests/s  peak %5.1f MiB  "
      "(%.2fx its JSON report)\n",
      fix_run.seconds, n / fix_run.seconds, fix_run.peak_kib / 1024.0,
      fix_run.seconds / multi_run.seconds);
  return patch_run.status == 1 && fix_run.status == 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: scan_bench BULWARK_BINARY [N]\n";
    return 2;
  }
  const std::string binary = argv[1];
  const int n = argc > 2 ? std::stoi(argv[2]) : 10000;
  const fs::path dir = fs::temp_directory_path() / ("bulwark-bench-" + std::to_string(getpid()));
  fs::create_directories(dir / "yaml");
  fs::create_directories(dir / "json");
  std::vector<fs::path> files;
  std::size_t bytes = 0;
  {
    std::ofstream multi(dir / "all.yaml");
    for (int i = 0; i < n; ++i) {
      const auto text = deployment(i);
      bytes += text.size();
      files.push_back(dir / "yaml" / ("deploy-" + std::to_string(i) + ".yaml"));
      std::ofstream(files.back()) << text;
      multi << (i ? "---\n" : "") << text;
      std::ofstream(dir / "json" / ("deploy-" + std::to_string(i) + ".json")) << to_json(i);
    }
  }
  std::printf("%d Deployment manifests, %.1f MiB of YAML\n", n, bytes / 1048576.0);

  const Floors floors = parse_floors(files);
  const auto files_run = run_scan(binary, (dir / "yaml").string(), {"-o", "json", "-j", "1"});
  const auto multi_run = run_scan(binary, (dir / "all.yaml").string(), {"-o", "json", "-j", "1"});
  const auto json_run = run_scan(binary, (dir / "json").string(), {"-o", "json", "-j", "1"});
  std::printf(
      "bulwark scan -j 1, %d files:       %6.2f s  %7.0f manifests/s  peak %5.1f MiB  (%.2fx "
      "libyaml's event parse; exit %d)\n",
      n, files_run.seconds, n / files_run.seconds, files_run.peak_kib / 1024.0,
      files_run.seconds / floors.libyaml_s, files_run.status);
  print_run("bulwark scan -j 1, one file:", n, multi_run);
  print_run("bulwark scan -j 1, JSON files:", n, json_run);
  print_run("bulwark scan, every core, files:", n, run_scan(binary, (dir / "yaml").string()));
  print_run("bulwark scan, every core, one file:", n,
            run_scan(binary, (dir / "all.yaml").string()));
  print_run("bulwark scan, every core, JSON:", n, run_scan(binary, (dir / "json").string()));
  const bool fixes_ran = fix_figures(binary, dir, n, multi_run);
  fs::remove_all(dir);
  return files_run.status == 1 && multi_run.status == 1 && json_run.status == 1 && fixes_ran ? 0
                                                                                             : 1;
}
