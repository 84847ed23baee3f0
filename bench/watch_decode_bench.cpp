// Benchmark of reading a watch stream (not a test): N events of a pod as KWOK and the
// controller-manager leave it (about 4 KB of JSON, with managedFields and status), fed to
// kube::WatchDecoder in 64 KiB pieces as the transport hands them over, each object then projected
// as the pod informer caches it. Prints MB/s and microseconds an event for each step, beside the
// floor measured on the same bytes: finding the line ends (a pass over the bytes no reader avoids).
// Measured here (2 cores, idle, objects let go as here): cpprestsdk's web::json then converted to
// Value, the reader before, 59 MB/s (67 us an event); the project's own reader
// (operator/document/json_reader.cpp) 222 to 233 MB/s (17 to 18 us), 25 times the floor.
//   usage: watch_decode_bench [EVENTS]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "operator/document/value.h"
#include "operator/kube/watch_decoder.h"
#include "operator/runtime/projection.h"

namespace {

using namespace bulwark;
using Steady = std::chrono::steady_clock;

// A Running pod of a Deployment on a KWOK node, its token volume and managedFields as the API
// server writes them; `i` makes names, uids and versions differ.
std::string pod(int i) {
  const std::string n = std::to_string(i);
  const std::string fields =
      R"({"apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:generateName":{},)"
      R"("f:labels":{".":{},"f:app":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},)"
      R"("k:{\"uid\":\"82ebceb3-6382-436b-a7c0-9a9add19169b\"}":{}}},"f:spec":{"f:containers":)"
      R"({"k:{\"name\":\"app\"}":{".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},)"
      R"("f:resources":{},"f:securityContext":{".":{},"f:privileged":{}},)"
      R"("f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},)"
      R"("f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},)"
      R"("f:terminationGracePeriodSeconds":{}}},"manager":"kube-controller-manager",)"
      R"("operation":"Update","time":"2026-11-29T13:14:18Z"},)"
      R"({"apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{)"
      R"("k:{\"type\":\"ContainersReady\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},)"
      R"("f:status":{},"f:type":{}},"k:{\"type\":\"Initialized\"}":{".":{},"f:lastProbeTime":{},)"
      R"("f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Ready\"}":{".":{},)"
      R"("f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},)"
      R"("f:containerStatuses":{},"f:hostIP":{},"f:phase":{},"f:podIP":{},"f:podIPs":{".":{},)"
      R"("k:{\"ip\":\"198.19.3.7\"}":{".":{},"f:ip":{}}},"f:startTime":{}}},"manager":"kwok",)"
      R"("operation":"Update","subresource":"status","time":"2026-11-29T13:14:19Z"})";
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"creationTimestamp":"2026-11-29T13:14:18Z",)"
         R"("generateName":"web-5dd986cbd9-","labels":{"app":"web","pod-template-hash":"5dd986cbd9"},)"
         R"("managedFields":[)" +
         fields + R"(],"name":"web-5dd986cbd9-)" + n +
         R"(","namespace":"shop","ownerReferences":[{"apiVersion":"apps/v1","blockOwnerDeletion":true,)"
         R"("controller":true,"kind":"ReplicaSet","name":"web-5dd986cbd9",)"
         R"("uid":"82ebceb3-6382-436b-a7c0-9a9add19169b"}],"resourceVersion":")" +
         std::to_string(100000 + i) + R"(","uid":"e20355f6-4d1b-412f-86bb-)" + n +
         R"("},"spec":{"containers":[{"image":"registry.example.com/app:1.0",)"
         R"("imagePullPolicy":"IfNotPresent","name":"app","resources":{},)"
         R"("securityContext":{"privileged":true},"terminationMessagePath":"/dev/termination-log",)"
         R"("terminationMessagePolicy":"File","volumeMounts":[{"mountPath":)"
         R"("/var/run/secrets/kubernetes.io/serviceaccount","name":"kube-api-access-qdjt8",)"
         R"("readOnly":true}]}],"dnsPolicy":"ClusterFirst","enableServiceLinks":true,)"
         R"("nodeName":"kwok-node-3","preemptionPolicy":"PreemptLowerPriority","priority":0,)"
         R"("restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},)"
         R"("serviceAccount":"default","serviceAccountName":"default",)"
         R"("terminationGracePeriodSeconds":30,"tolerations":[{"effect":"NoExecute",)"
         R"("key":"node.kubernetes.io/not-ready","operator":"Exists","tolerationSeconds":300},)"
         R"({"effect":"NoExecute","key":"node.kubernetes.io/unreachable","operator":"Exists",)"
         R"("tolerationSeconds":300}],"volumes":[{"name":"kube-api-access-qdjt8","projected":)"
         R"({"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3607,)"
         R"("path":"token"}},{"configMap":{"items":[{"key":"ca.crt","path":"ca.crt"}],)"
         R"("name":"kube-root-ca.crt"}},{"downwardAPI":{"items":[{"fieldRef":{"apiVersion":"v1",)"
         R"("fieldPath":"metadata.namespace"},"path":"namespace"}]}}]}}]},"status":{"conditions":[)"
         R"({"lastProbeTime":null,"lastTransitionTime":"2026-11-29T13:14:19Z","status":"True",)"
         R"("type":"Initialized"},{"lastProbeTime":null,"lastTransitionTime":"2026-11-29T13:14:19Z",)"
         R"("status":"True","type":"Ready"},{"lastProbeTime":null,)"
         R"("lastTransitionTime":"2026-11-29T13:14:19Z","status":"True","type":"ContainersReady"},)"
         R"({"lastProbeTime":null,"lastTransitionTime":"2026-11-29T13:14:18Z","status":"True",)"
         R"("type":"PodScheduled"}],"containerStatuses":[{"image":"registry.example.com/app:1.0",)"
         R"("imageID":"","lastState":{},"name":"app","ready":true,"restartCount":0,"started":true,)"
         R"("state":{"running":{"startedAt":"2026-11-29T13:14:19Z"}}}],"hostIP":"198.19.0.3",)"
         R"("phase":"Running","podIP":"198.19.3.7","podIPs":[{"ip":"198.19.3.7"}],)"
         R"("qosClass":"BestEffort","startTime":"2026-11-29T13:14:19Z"}})";
}

double seconds_since(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

void print(const char* step, double s, std::size_t bytes, int events) {
  std::printf("%-34s %8.3f s %9.1f MB/s %8.2f us/event\n", step, s, bytes / s / 1e6,
              s * 1e6 / events);
}

}  // namespace

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 10000;
  std::string stream;
  for (int i = 0; i < events; ++i) stream += R"({"type":"MODIFIED","object":)" + pod(i) + "}\n";
  std::printf("%d watch events, %.1f MB (%zu bytes an event)\n", events, stream.size() / 1e6,
              stream.size() / events);
  constexpr std::size_t kPiece = 64 << 10;

  auto t = Steady::now();
  std::size_t lines = 0;
  for (const char* p = stream.data(); (p = static_cast<const char*>(std::memchr(
                                           p, '\n', stream.data() + stream.size() - p)));
       ++p) {
    ++lines;
  }
  print("floor: find the line ends", seconds_since(t), stream.size(), events);

  // As the informer does: each event decoded, projected, and the whole object let go.
  std::size_t kept = 0;
  const auto read = [&](const char* step, bool project) {
    kube::WatchDecoder decoder;
    const auto t = Steady::now();
    for (std::size_t at = 0; at < stream.size(); at += kPiece) {
      decoder.feed(std::string_view(stream).substr(at, kPiece));
      while (auto e = decoder.next()) {
        if (project) kept += runtime::project_workload(std::move(e->object)).members.size();
      }
    }
    print(step, seconds_since(t), stream.size(), events);
  };
  read("decode (WatchDecoder)", false);
  read("decode and project (pod informer)", true);
  return lines == static_cast<std::size_t>(events) && kept > 0 ? 0 : 1;
}
