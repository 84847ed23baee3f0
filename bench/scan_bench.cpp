// Benchmark of `bulwark scan` (not a test): generates N Deployment manifests, then prints in one
// run the time yaml-cpp alone needs to parse them (into YAML::Node, and with its event parser: the
// floor for any scanner built on it), and manifests per second and peak memory of the real
// `bulwark scan` binary on the same files, on one multi-document file, and on the same
// workloads as JSON.
//   usage: scan_bench BULWARK_BINARY [N]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>
#include <yaml-cpp/yaml.h>

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

// Fixes (docs/api.md, Fixes): the patches, and the fixed copies, of the one-file run against its
// JSON report. True when both exit 1 (the files violate).
bool fix_figures(const std::string& binary, const fs::path& dir, int n, const ChildRun& multi_run) {
  const auto patch_run = run_scan(binary, (dir / "all.yaml").string(), {"-o", "patch"});
  // --fix-out writes each file at its path relative to the current folder: run in `dir`.
  const auto fix_run = run_scan(binary, "all.yaml", {"-o", "json", "--fix-out", "fixed"}, dir);
  std::printf(
      "bulwark scan -o patch, the same file: %6.2f s  %7.0f manifests/s  peak %5.1f MiB  "
      "(%.2fx its JSON report)\n",
      patch_run.seconds, n / patch_run.seconds, patch_run.peak_kib / 1024.0,
      patch_run.seconds / multi_run.seconds);
  std::printf(
      "bulwark scan --fix-out, the same file:%6.2f s  %7.0f manifests/s  peak %5.1f MiB  "
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

  // yaml-cpp alone, reading the same files in this process.
  auto t = Clock::now();
  std::size_t nodes = 0;
  for (const auto& f : files) {
    std::ifstream in(f);
    for (const auto& doc : YAML::LoadAll(in)) nodes += doc.size();
  }
  const double node_s = seconds_since(t);
  if (nodes == 0) std::printf("yaml-cpp read no nodes: the figures below mean nothing\n");
  t = Clock::now();
  for (const auto& f : files) {
    std::ifstream in(f);
    YAML::Parser parser(in);
    NullHandler h;
    while (parser.HandleNextDocument(h)) {
    }
  }
  const double event_s = seconds_since(t);
  std::printf("yaml-cpp alone, into YAML::Node:      %6.2f s  %7.0f manifests/s\n", node_s,
              n / node_s);
  std::printf("yaml-cpp alone, event parser:         %6.2f s  %7.0f manifests/s\n", event_s,
              n / event_s);

  const auto files_run = run_scan(binary, (dir / "yaml").string());
  const auto multi_run = run_scan(binary, (dir / "all.yaml").string());
  const auto json_run = run_scan(binary, (dir / "json").string());
  std::printf(
      "bulwark scan, %d files:            %6.2f s  %7.0f manifests/s  peak %5.1f MiB  (%.2fx the "
      "Node parse, %.2fx the event parse; exit %d)\n",
      n, files_run.seconds, n / files_run.seconds, files_run.peak_kib / 1024.0,
      files_run.seconds / node_s, files_run.seconds / event_s, files_run.status);
  std::printf("bulwark scan, one %d-document file:%6.2f s  %7.0f manifests/s  peak %5.1f MiB\n", n,
              multi_run.seconds, n / multi_run.seconds, multi_run.peak_kib / 1024.0);
  std::printf("bulwark scan, %d JSON files:       %6.2f s  %7.0f manifests/s  peak %5.1f MiB\n", n,
              json_run.seconds, n / json_run.seconds, json_run.peak_kib / 1024.0);
  const bool fixes_ran = fix_figures(binary, dir, n, multi_run);
  fs::remove_all(dir);
  return files_run.status == 1 && multi_run.status == 1 && json_run.status == 1 && fixes_ran ? 0
                                                                                             : 1;
}
