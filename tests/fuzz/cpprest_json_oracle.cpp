// The oracle of fuzz_json_reader: the JSON reader Bulwark had before its own (cpprestsdk's
// web::json, then converted to Value with the same checks). See cpprest_json_oracle.h.
#include "tests/fuzz/cpprest_json_oracle.h"

#include <cpprest/json.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include "operator/document/reader.h"
#include "operator/document/utf8.h"

namespace bulwark::document {
namespace {

// One text per number, so that what is written reads back the same: integers in decimal, other
// numbers in shortest round-trip form, and -0 as 0 (as an integer field takes it).
std::string number_text(const web::json::number& n) {
  if (n.is_int64()) return std::to_string(n.to_int64());
  if (n.is_uint64()) return std::to_string(n.to_uint64());
  const double d = n.to_double();
  if (d == 0) return "0";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, ec == std::errc() ? ptr : buf);
}

class CpprestJson {
 public:
  explicit CpprestJson(ReadLimits limits) : limits_(limits) {}

  Value parse(const std::string& text) const {
    check_depth(text);
    std::error_code ec;
    web::json::value parsed = web::json::value::parse(text, ec);
    if (ec) throw ParseError("invalid JSON: " + ec.message(), 0, 0);
    std::size_t nodes = 0;
    std::string path;
    return convert(parsed, 0, nodes, path);
  }

 private:
  // JSON is UTF-8, and every string Bulwark reads must be too: cpprestsdk passes other bytes
  // through and turns a lone surrogate escape ("\udddd", found by fuzz_json_reader) into bytes
  // that are not UTF-8, where Go's decoder would make U+FFFD. Checked on the decoded strings and
  // keys (bytes outside strings are a syntax error already), so escapes are covered in one pass.
  static void check_decoded(const std::string& text, const std::string& path) {
    std::uint32_t cp = 0;
    for (std::size_t i = 0; i < text.size();) {
      if (!next_code_point(text, i, cp)) {
        throw ParseError((path.empty() ? "" : path + ": ") +
                             "not UTF-8 (invalid bytes, or a \\u escape of a lone surrogate)",
                         0, 0);
      }
    }
  }

  // cpprestsdk's parser recurses once per level with no bound of its own, so the nesting is
  // measured before it runs: brackets outside strings.
  void check_depth(const std::string& text) const {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (in_string) {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        if (++depth > limits_.max_depth) {
          throw ParseError(
              "document nests deeper than " + std::to_string(limits_.max_depth) + " levels", 0, 0);
        }
      } else if ((c == ']' || c == '}') && depth > 0) {
        --depth;
      }
    }
  }

  Value convert(const web::json::value& j, std::size_t depth, std::size_t& nodes,
                std::string& path) const {
    if (depth > limits_.max_depth) {
      throw ParseError(
          "document nests deeper than " + std::to_string(limits_.max_depth) + " levels", 0, 0);
    }
    if (++nodes > limits_.max_nodes_per_document) {
      throw ParseError(
          "document has more than " + std::to_string(limits_.max_nodes_per_document) + " nodes", 0,
          0);
    }
    Value v;
    switch (j.type()) {
      case web::json::value::Null:
        break;
      case web::json::value::Boolean:
        v.type = Value::Type::kScalar;
        v.text = j.as_bool() ? "true" : "false";
        break;
      case web::json::value::Number:
        v.type = Value::Type::kScalar;
        v.text = number_text(j.as_number());
        break;
      case web::json::value::String:
        v.type = Value::Type::kScalar;
        v.quoted = true;
        v.text = j.as_string();
        check_decoded(v.text, path);
        break;
      case web::json::value::Array:
        v.type = Value::Type::kSequence;
        v.items.reserve(j.as_array().size());
        for (const auto& item : j.as_array()) {
          const std::size_t mark = path.size();
          path += "[" + std::to_string(v.items.size()) + "]";
          v.items.push_back(convert(item, depth + 1, nodes, path));
          path.resize(mark);
        }
        break;
      case web::json::value::Object:
        v.type = Value::Type::kMapping;
        v.members.reserve(j.as_object().size());
        for (const auto& [key, member] : j.as_object()) {
          const std::size_t mark = path.size();
          path += (path.empty() ? "" : ".") + key;
          check_decoded(key, path);
          v.members.emplace_back(key, convert(member, depth + 1, nodes, path));
          path.resize(mark);
        }
        reject_duplicates(v, path);
        break;
    }
    return v;
  }

  // cpprestsdk keeps both members of {"a": 1, "a": 2}, and a lookup finds the first, while the
  // API server's decoder keeps the last: refused, as kubectl's strict validation does.
  static void reject_duplicates(const Value& object, const std::string& path) {
    std::unordered_set<std::string_view> seen;
    seen.reserve(object.members.size());
    for (const auto& [key, member] : object.members) {
      if (!seen.insert(key).second) {
        throw ParseError((path.empty() ? "" : path + ".") + key + ": duplicate member name", 0, 0);
      }
    }
  }

  ReadLimits limits_;
};

}  // namespace
}  // namespace bulwark::document

namespace bulwark::fuzz {

document::Value cpprest_parse_json(const std::string& text, document::ReadLimits limits) {
  return document::CpprestJson(limits).parse(text);
}

document::Value sorted(document::Value v) {
  for (auto& item : v.items) item = sorted(std::move(item));
  for (auto& member : v.members) member.second = sorted(std::move(member.second));
  std::stable_sort(v.members.begin(), v.members.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return v;
}

}  // namespace bulwark::fuzz
