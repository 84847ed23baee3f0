#include "operator/document/value.h"

#include <charconv>
#include <cmath>

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

// The readers resolve scalars as Kubernetes does (yaml_scalar.h), so a boolean is the unquoted
// text true or false whatever its spelling was. A string is never a boolean or a number: the API
// server refuses "true" for a bool field.
std::optional<bool> Value::as_bool() const {
  if (type != Type::kScalar || quoted) return std::nullopt;
  if (text == "true") return true;
  if (text == "false") return false;
  return std::nullopt;
}

// Integers, and floats with an integral value: Kubernetes' decoders turn 0.0 and 1e3 into 0 and
// 1000 for an integer field.
std::optional<std::int64_t> Value::as_int() const {
  if (type != Type::kScalar || quoted || text.empty()) return std::nullopt;
  std::int64_t out = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ec == std::errc() && ptr == end) return out;
  double d = 0;
  auto [fptr, fec] = std::from_chars(begin, end, d);
  // 2^63 is the first double beyond int64.
  if (fec != std::errc() || fptr != end || !std::isfinite(d) || d != std::trunc(d) ||
      d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(d);
}

Value Value::of_type(Type t) {
  Value v;
  v.type = t;
  return v;
}

Value Value::null() { return Value{}; }
Value Value::object() { return of_type(Type::kMapping); }
Value Value::array() { return of_type(Type::kSequence); }

Value Value::string(std::string_view s) {
  Value v = of_type(Type::kScalar);
  v.quoted = true;
  v.text = s;
  return v;
}

Value Value::integer(std::int64_t n) {
  Value v = of_type(Type::kScalar);
  v.text = std::to_string(n);
  return v;
}

Value Value::boolean(bool b) {
  Value v = of_type(Type::kScalar);
  v.text = b ? "true" : "false";
  return v;
}

Value Value::array(const std::vector<std::string>& strings) {
  Value v = array();
  for (const auto& s : strings) v.items.push_back(string(s));
  return v;
}

Value& Value::set(std::string_view key, Value v) {
  child(key) = std::move(v);
  return *this;
}

Value& Value::child(std::string_view key) {
  if (type != Type::kMapping) *this = object();
  for (auto& m : members) {
    if (m.first == key) return m.second;
  }
  members.emplace_back(std::string(key), object());
  return members.back().second;
}

Value& Value::push(Value v) {
  if (type != Type::kSequence) *this = array();
  items.push_back(std::move(v));
  return *this;
}

}  // namespace bulwark::document
