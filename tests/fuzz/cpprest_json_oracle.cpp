// The one file that reads documents with cpprestsdk's web::json, the project's JSON library
// (see docs/architecture.md: faster than the alternatives here). Converts to Value.
#include <cpprest/json.h>

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

class JsonReader : public DocumentReader {
 public:
  JsonReader(std::istream& in, ReadLimits limits) : in_(in), limits_(limits) {}

  bool next(Value& out) override {
    if (done_) return false;
    done_ = true;
    const std::string text = read_bounded();
    check_depth(text);
    std::error_code ec;
    web::json::value parsed = web::json::value::parse(text, ec);
    if (ec) throw ParseError("invalid JSON: " + ec.message(), 0, 0);
    std::size_t nodes = 0;
    std::string path;
    out = convert(parsed, 0, nodes, path);
    return true;
  }

 private:
  // The whole input, read at most one byte past the limit: standard input has no size to check
  // up front, and a JSON document is parsed whole.
  std::string read_bounded() {
    std::string text;
    char buf[1 << 16];
    while (in_.read(buf, sizeof buf) || in_.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(in_.gcount()));
      if (text.size() > limits_.max_json_bytes) {
        throw ParseError(
            "JSON input is larger than " + std::to_string(limits_.max_json_bytes >> 20) + " MiB", 0,
            0);
      }
    }
    return text;
  }

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

  std::istream& in_;
  ReadLimits limits_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<DocumentReader> make_json_reader(std::istream& in, ReadLimits limits) {
  return std::make_unique<JsonReader>(in, limits);
}

Value parse_json(const std::string& text) {
  std::istringstream in(text);
  Value v;
  make_json_reader(in)->next(v);
  return v;
}

}  // namespace bulwark::document
