#include "document/value.h"

#include <charconv>

namespace bulwark::document {

const Value* Value::find(std::string_view key) const {
  if (type != Type::kMapping) return nullptr;
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

const Value* Value::find(std::initializer_list<std::string_view> keys) const {
  const Value* cur = this;
  for (auto key : keys) {
    cur = cur->find(key);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

std::string_view Value::str(std::string_view fallback) const {
  return type == Type::kScalar ? std::string_view(text) : fallback;
}

std::optional<bool> Value::as_bool() const {
  if (type != Type::kScalar) return std::nullopt;
  const std::string_view t = text;
  if (t == "true" || t == "True" || t == "TRUE") return true;
  if (t == "false" || t == "False" || t == "FALSE") return false;
  if (!quoted) {
    if (t == "yes" || t == "Yes" || t == "YES" || t == "on" || t == "On" || t == "ON") return true;
    if (t == "no" || t == "No" || t == "NO" || t == "off" || t == "Off" || t == "OFF") return false;
  }
  return std::nullopt;
}

std::optional<std::int64_t> Value::as_int() const {
  if (type != Type::kScalar || text.empty()) return std::nullopt;
  std::int64_t out = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return out;
}

}  // namespace bulwark::document
