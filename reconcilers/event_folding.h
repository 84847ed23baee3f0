#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "reconcilers/event_ref.h"

namespace bulwark::reconcilers {

// Past a budget, Events are told by namespace rather than by object (docs/api.md, Events). Why:
// client-go and events.k8s.io/v1 aggregate repeats about one object only, so a first pass over
// 50,000 violating workloads was 50,000 Events: at 25 a second half an hour of writes beside the
// verdicts, and past 1,000 waiting, dropped (5,728 in the pass of docs/benchmarks.md). The
// per-object facts stay in the annotations, reports and policy status; an Event only tells that
// something changed.
// - Within each window the first `budget` Events of namespaced objects are written as they are;
//   past it (or while the writer's queue is full) each is folded into one Event per namespace,
//   reason and type, about the Namespace, naming the first `names` objects and the count.
// - A window's folded Events are due when it ends; what finds no room in the queue then stays
//   folded, and counting, until there is room: nothing is dropped.
// - Events about cluster-scoped objects are never folded (there is no namespace to tell them in).
// Not thread-safe: QueuedEventRecorder holds it under its lock.
class EventFolding {
 public:
  struct Options {
    std::size_t budget = 100;
    std::chrono::steady_clock::duration window = std::chrono::minutes(1);
    std::size_t names = 10;
  };
  // One Event to write.
  struct Told {
    ObjectRef about;
    EventType type = EventType::kNormal;
    std::string reason;
    std::string message;
    std::chrono::system_clock::time_point when;
  };

  EventFolding() : EventFolding(Options{}) {}
  explicit EventFolding(Options options) : options_(options) {}

  // Whether an Event about `about` is written as it is at `now` (taking from the window's budget,
  // unless `room` is false: the queue is full); if not, it is folded, and the caller writes
  // nothing.
  bool tell_alone(const Told& event, bool room, std::chrono::steady_clock::time_point now);
  // The folded Events due at `now` (their window has ended), at most `room` of them; those are
  // forgotten, the rest keep counting.
  std::vector<Told> due(std::chrono::steady_clock::time_point now, std::size_t room);
  bool folding() const { return !folded_.empty(); }
  std::size_t folds() const { return folded_.size(); }  // Events to come, one a fold
  // The namespace's Event for `count` Events of `reason` about `names` (the first of them).
  static std::string message(std::string_view reason, std::size_t count,
                             const std::vector<std::string>& names,
                             std::chrono::system_clock::time_point since);

 private:
  struct Fold {
    std::size_t count = 0;
    std::vector<std::string> names;  // "Kind/name", the first options_.names
    std::chrono::system_clock::time_point first;
    std::chrono::steady_clock::time_point window_end;
  };
  using Key = std::tuple<std::string, std::string, EventType>;  // namespace, reason, type

  Options options_;
  std::chrono::steady_clock::time_point window_end_{};
  std::size_t told_in_window_ = 0;
  std::map<Key, Fold> folded_;
};

}  // namespace bulwark::reconcilers
