#include "reconcilers/fanout_event.h"

namespace bulwark::reconcilers {

namespace {
// Kubernetes kinds and names never hold a '|', so it separates the parts unambiguously.
constexpr char kSeparator = '|';
}  // namespace

std::string FanoutEvent::key() const {
  switch (type) {
    case Type::kEverything:
      return "everything";
    case Type::kResync:
      return "resync";
    case Type::kNamespace:
      return std::string("namespace") + kSeparator + object;
    case Type::kWorkload:
      return std::string("workload") + kSeparator + kind + kSeparator + object;
    case Type::kVulnerabilityReport:
      return std::string("report") + kSeparator + object;
    case Type::kPolicy:
      return std::string("policy") + kSeparator + object;
    case Type::kAccount:
      return std::string("account") + kSeparator + object;
    case Type::kSelecting:
      return std::string("selecting") + kSeparator + kind + kSeparator + object;
  }
  return "everything";
}

std::optional<FanoutEvent> FanoutEvent::parse(std::string_view key) {
  if (key == "everything") return everything();
  if (key == "resync") return resync();
  const auto bar = key.find(kSeparator);
  if (bar == std::string_view::npos) return std::nullopt;
  const std::string_view type = key.substr(0, bar), rest = key.substr(bar + 1);
  if (type == "namespace") return of_namespace(std::string(rest));
  if (type == "report") return of_report(std::string(rest));
  if (type == "policy") return of_policy(std::string(rest));
  if (type == "account") return of_account(std::string(rest));
  if (type == "workload" || type == "selecting") {
    const auto second = rest.find(kSeparator);
    if (second == std::string_view::npos) return std::nullopt;
    std::string kind(rest.substr(0, second)), object(rest.substr(second + 1));
    return type == "workload" ? of_workload(std::move(kind), std::move(object))
                              : of_selecting(std::move(kind), std::move(object));
  }
  return std::nullopt;
}

}  // namespace bulwark::reconcilers
