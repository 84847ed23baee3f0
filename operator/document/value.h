#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::document {

// One node of a parsed YAML or JSON document. Plain data with value semantics. Mappings keep
// their members in a vector and are searched linearly: Kubernetes objects have a handful of keys
// per level, where a scan beats hashing and costs far less memory.
struct Value {
  enum class Type : std::uint8_t { kNull, kScalar, kSequence, kMapping };
  struct Member;  // a key and its value, defined below: Value is not complete here

  Type type = Type::kNull;
  // Scalars keep their source text. `quoted` is true for scalars that read as strings: JSON
  // strings, and YAML scalars that resolve to a string (quoted, or plain text that is no null,
  // boolean or number, which the YAML reader writes in canonical form): a string even when the
  // text reads "true" or "0".
  bool quoted = false;
  int line = 0;  // 1-based line in the source, 0 where unknown (JSON)
  std::string text;
  std::vector<Value> items;     // kSequence
  std::vector<Member> members;  // kMapping

  bool is_null() const { return type == Type::kNull; }
  bool is_scalar() const { return type == Type::kScalar; }
  bool is_sequence() const { return type == Type::kSequence; }
  bool is_mapping() const { return type == Type::kMapping; }

  // The member named `key` of a mapping; nullptr when absent or when this is not a mapping.
  const Value* find(std::string_view key) const;
  // Walks nested mappings: find({"spec", "template"}).
  const Value* find(std::initializer_list<std::string_view> keys) const;

  // A scalar's text, or `fallback` for anything else.
  std::string_view str(std::string_view fallback = {}) const;
  // An unquoted true or false (the YAML reader has already resolved y, on, !!bool yes...).
  std::optional<bool> as_bool() const;
  // A scalar that reads as a string (what Kubernetes' decoders take for a string field).
  bool is_string() const { return type == Type::kScalar && quoted; }
  // An unquoted integer, or a float with an integral value in int64's range.
  std::optional<std::int64_t> as_int() const;

  // Builders: objects, patches and status bodies are built as trees and written by
  // json_writer.h, never as JSON text by hand.
  static Value string(std::string_view s);  // a string, whatever its text reads as
  static Value integer(std::int64_t n);
  static Value boolean(bool b);
  static Value null();
  static Value object();
  static Value array();
  static Value array(const std::vector<std::string>& strings);
  // Sets the member `key` of a mapping, replacing a member of that name; a Value that is not a
  // mapping becomes an empty one first (as assigning a key does in JSON). Returns *this.
  Value& set(std::string_view key, Value v);
  // The member `key`, made an empty mapping when absent: object().child("metadata").set(...).
  Value& child(std::string_view key);
  // Appends to a sequence (a Value that is not one becomes an empty one first). Returns *this.
  Value& push(Value v);

 private:
  // Defined out of line: Value is not complete inside its own definition (see Member).
  static Value of_type(Type t);
};

// Shaped like std::pair (first, second) but a struct of its own: a std::pair of the still
// incomplete Value inside Value's own definition is something clang refuses.
struct Value::Member {
  Member() = default;
  Member(std::string key, Value value) : first(std::move(key)), second(std::move(value)) {}
  std::string first;
  Value second;
};

// The scalar at `path` as text, or "" when absent.
inline std::string text_at(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* found = v.find(path);
  return found != nullptr ? std::string(found->str()) : std::string();
}

// Convenience for optional members: an absent or null member reads as empty.
inline const std::vector<Value>& items_of(const Value* v) {
  static const std::vector<Value> kEmpty;
  return v != nullptr && v->is_sequence() ? v->items : kEmpty;
}
inline const std::vector<Value::Member>& members_of(const Value* v) {
  static const std::vector<Value::Member> kEmpty;
  return v != nullptr && v->is_mapping() ? v->members : kEmpty;
}

}  // namespace bulwark::document
