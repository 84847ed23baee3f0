#include "reconcilers/event_folding.h"

#include "operator/base/time_text.h"

namespace bulwark::reconcilers {

bool EventFolding::tell_alone(const Told& event, bool room,
                              std::chrono::steady_clock::time_point now) {
  if (event.about.namespace_name.empty()) return true;
  if (now >= window_end_) {
    window_end_ = now + options_.window;
    told_in_window_ = 0;
  }
  if (room && told_in_window_ < options_.budget) {
    ++told_in_window_;
    return true;
  }
  auto [it, added] = folded_.try_emplace(Key{event.about.namespace_name, event.reason, event.type});
  Fold& f = it->second;
  if (added) {
    f.first = event.when;
    f.window_end = window_end_;
  }
  ++f.count;
  if (f.names.size() < options_.names) f.names.push_back(event.about.kind + "/" + event.about.name);
  return false;
}

std::vector<EventFolding::Told> EventFolding::due(std::chrono::steady_clock::time_point now,
                                                  std::size_t room) {
  std::vector<Told> out;
  for (auto it = folded_.begin(); it != folded_.end() && out.size() < room;) {
    if (it->second.window_end > now) {
      ++it;
      continue;
    }
    const auto& [ns, reason, type] = it->first;
    const Fold& f = it->second;
    out.push_back({{"v1", "Namespace", ns, ns, "", ""},
                   type,
                   reason,
                   message(reason, f.count, f.names, f.first),
                   f.first});
    it = folded_.erase(it);
  }
  return out;
}

std::string EventFolding::message(std::string_view reason, std::size_t count,
                                  const std::vector<std::string>& names,
                                  std::chrono::system_clock::time_point since) {
  std::string text = std::to_string(count) + " " + std::string(reason) +
                     " Events about objects of this namespace since " +
                     base::format_rfc3339(since) + ", past the budget of Events told one by one: ";
  for (std::size_t i = 0; i < names.size(); ++i) text += (i > 0 ? ", " : "") + names[i];
  if (count > names.size()) text += " and " + std::to_string(count - names.size()) + " more";
  text += ". Each object's bulwark.dev/ annotations and policy report say what it is.";
  return text;
}

}  // namespace bulwark::reconcilers
