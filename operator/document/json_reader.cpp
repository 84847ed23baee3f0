// The project's JSON reader: RFC 8259 text straight into Value, in one pass over the bytes.
// Why its own: every object Bulwark sees arrives as JSON (10,000 pods are 40 MB of watch events a
// pass), and going through cpprestsdk's web::json tree and then converting it read 18 MB/s;
// bench/watch_decode_bench prints the figures. What it accepts is what Go's encoding/json (the
// API server's and kubectl's decoder) accepts, less what Bulwark refuses on purpose:
// - no comments, leading zeros, trailing commas or numbers beyond float64 (Go refuses them;
//   cpprestsdk took comments and leading zeros);
// - duplicate member names are refused (Go keeps the last, a lookup here would find the first);
// - strings must be UTF-8 and \u escapes must not leave a lone surrogate (Go would substitute
//   U+FFFD, changing the text).
// Numbers keep one text each: integers in decimal (int64, else uint64), others in shortest
// round-trip form, and -0 as 0. tests/fuzz/json_reader_fuzzer.cpp holds it to cpprestsdk's
// parser: never accepting what that refuses, and reading the same values.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include "operator/document/reader.h"
#include "operator/document/utf8.h"

namespace bulwark::document {
namespace {

[[noreturn]] void too_big(const ReadLimits& limits) {
  throw ParseError(
      "JSON input is larger than " + std::to_string(limits.max_json_bytes >> 20) + " MiB", 0, 0);
}

constexpr std::string_view kNotUtf8 =
    "not UTF-8 (invalid bytes, or a \\u escape of a lone surrogate)";

class JsonParser {
 public:
  JsonParser(std::string_view text, const ReadLimits& limits) : s_(text), limits_(limits) {}

  Value parse() {
    Value out;
    skip_space();
    if (at_end()) fail("no value");
    value(out, 0);
    skip_space();
    if (!at_end()) fail("text after the value");
    return out;
  }

 private:
  // Where a value sits, for messages: a member name or an index.
  struct Step {
    std::string_view key;
    std::size_t index = 0;
    bool in_array = false;
  };

  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }

  void skip_space() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) {
      ++i_;
    }
  }

  void value(Value& out, std::size_t depth) {
    if (++nodes_ > limits_.max_nodes_per_document) {
      throw ParseError(
          "document has more than " + std::to_string(limits_.max_nodes_per_document) + " nodes", 0,
          0);
    }
    switch (peek()) {
      case '{':
        return object(out, depth + 1);
      case '[':
        return array(out, depth + 1);
      case '"':
        ++i_;
        out.type = Value::Type::kScalar;
        out.quoted = true;
        string(out.text);
        return charge_string(out.text);
      case 't':
        return literal(out, "true");
      case 'f':
        return literal(out, "false");
      case 'n':
        return literal(out, "null");
      default:
        number(out);
        return charge_string(out.text);
    }
  }

  // What the tree allocates is counted as it is allocated, against max_expanded_bytes: a node
  // costs sizeof(Value) (88 bytes) whatever its text, so a dense document ("[0,0,0...]", 2 bytes a
  // node) would otherwise take 44 times its size before any node limit. A full vector doubles
  // here, as the standard library would, and the whole new capacity is counted: the tree never
  // holds more than the limit (the old buffer, half the new, lives only while it is moved).
  template <class T>
  void grow(std::vector<T>& v) {
    if (v.size() < v.capacity()) return;
    const std::size_t more = std::max<std::size_t>(v.capacity(), 1);
    charge(more * sizeof(T));
    v.reserve(v.capacity() + more);
  }
  void charge_string(const std::string& s) {
    if (s.capacity() > kInlineChars) charge(s.capacity() + 1);
  }
  void charge(std::size_t bytes) {
    allocated_ += bytes;
    if (allocated_ > limits_.max_expanded_bytes) {
      throw ParseError(
          "document takes more than " + mebibytes(limits_.max_expanded_bytes) + " parsed", 0, 0);
    }
  }
  static std::string mebibytes(std::size_t bytes) {
    return bytes >= (1u << 20) ? std::to_string(bytes >> 20) + " MiB"
                               : std::to_string(bytes) + " bytes";
  }
  // A std::string holds this many characters without allocating (libstdc++).
  static constexpr std::size_t kInlineChars = 15;

  void check_depth(std::size_t depth) const {
    if (depth > limits_.max_depth) {
      throw ParseError(
          "document nests deeper than " + std::to_string(limits_.max_depth) + " levels", 0, 0);
    }
  }

  void object(Value& out, std::size_t depth) {
    check_depth(depth);
    ++i_;  // {
    out.type = Value::Type::kMapping;
    skip_space();
    if (peek() == '}') {
      ++i_;
      return;
    }
    for (;;) {
      if (peek() != '"') fail("a member name was expected");
      ++i_;
      std::string key;
      string(key);  // a name that fails is named by its parent's path, not as an empty step
      path_.push_back({key});
      skip_space();
      if (peek() != ':') fail("':' was expected after a member name");
      ++i_;
      skip_space();
      Value member;
      value(member, depth);
      path_.pop_back();
      charge_string(key);
      grow(out.members);
      out.members.emplace_back(std::move(key), std::move(member));
      skip_space();
      if (peek() == ',') {
        ++i_;
        skip_space();
        continue;
      }
      if (peek() != '}') fail("',' or '}' was expected");
      ++i_;
      break;
    }
    reject_duplicates(out);
  }

  void array(Value& out, std::size_t depth) {
    check_depth(depth);
    ++i_;  // [
    out.type = Value::Type::kSequence;
    skip_space();
    if (peek() == ']') {
      ++i_;
      return;
    }
    path_.push_back({{}, 0, true});
    for (;;) {
      path_.back().index = out.items.size();
      grow(out.items);
      out.items.emplace_back();
      value(out.items.back(), depth);
      skip_space();
      if (peek() == ',') {
        ++i_;
        skip_space();
        continue;
      }
      if (peek() != ']') fail("',' or ']' was expected");
      ++i_;
      break;
    }
    path_.pop_back();
  }

  // The rest of a string whose opening quote has been read, decoded into `out`.
  void string(std::string& out) {
    for (;;) {
      const std::size_t run = i_;
      while (i_ < s_.size()) {
        const auto c = static_cast<unsigned char>(s_[i_]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++i_;
      }
      out.append(s_.data() + run, i_ - run);
      if (at_end()) fail("a string is not closed");
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return;
      }
      if (c == '\\') {
        escape(out);
      } else if (c < 0x20) {
        fail("a control character in a string");
      } else {
        std::uint32_t cp = 0;
        const std::size_t start = i_;
        if (!next_code_point(s_, i_, cp)) fail_at_path(kNotUtf8);
        out.append(s_.data() + start, i_ - start);
      }
    }
  }

  void escape(std::string& out) {
    ++i_;  // backslash
    if (at_end()) fail("a string is not closed");
    const char c = s_[i_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out += c;
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'u':
        return unicode_escape(out);
      default:
        fail("an unknown escape in a string");
    }
  }

  std::uint32_t hex4() {
    if (s_.size() - i_ < 4) fail("a \\u escape needs four hex digits");
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        fail("a \\u escape needs four hex digits");
      }
    }
    return v;
  }

  void unicode_escape(std::string& out) {
    std::uint32_t cp = hex4();
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail_at_path(kNotUtf8);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (s_.substr(i_, 2) != "\\u") fail_at_path(kNotUtf8);
      i_ += 2;
      const std::uint32_t low = hex4();
      if (low < 0xDC00 || low > 0xDFFF) fail_at_path(kNotUtf8);
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  void literal(Value& out, std::string_view word) {
    if (s_.substr(i_, word.size()) != word) fail("an unknown word");
    i_ += word.size();
    if (word != "null") {
      out.type = Value::Type::kScalar;
      out.text = word;
    }
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, as RFC 8259 and Go have it.
  void number(Value& out) {
    const std::size_t start = i_;
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (peek() >= '1' && peek() <= '9') {
      digits();
    } else {
      fail(start == i_ ? "a value was expected" : "a digit was expected after '-'");
    }
    bool integer = true;
    if (peek() == '.') {
      ++i_;
      integer = false;
      if (!digits()) fail("a digit was expected after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      integer = false;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!digits()) fail("a digit was expected in an exponent");
    }
    out.type = Value::Type::kScalar;
    out.text = number_text(s_.substr(start, i_ - start), integer);
  }

  bool digits() {
    const std::size_t start = i_;
    while (peek() >= '0' && peek() <= '9') ++i_;
    return i_ > start;
  }

  // One text per number, so that what is written reads back the same.
  std::string number_text(std::string_view token, bool integer) {
    const char* end = token.data() + token.size();
    if (integer) {
      std::int64_t n = 0;
      if (auto r = std::from_chars(token.data(), end, n); r.ec == std::errc() && r.ptr == end) {
        return std::to_string(n);  // -0 becomes 0
      }
      std::uint64_t u = 0;
      if (auto r = std::from_chars(token.data(), end, u); r.ec == std::errc() && r.ptr == end) {
        return std::string(token);
      }
    }
    // strtod rather than from_chars: it tells overflow (HUGE_VAL) from underflow (to 0 or a
    // subnormal, which Go takes as well).
    const std::string copy(token);
    const double d = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(d)) fail("a number beyond float64");
    if (d == 0) return "0";
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, ec == std::errc() ? ptr : buf);
  }

  // Refused, as kubectl's strict validation does (see the top of this file).
  void reject_duplicates(const Value& object) {
    const auto& m = object.members;
    const auto duplicate = [&](const std::string& key) {
      path_.push_back({key});
      fail_at_path("duplicate member name");
    };
    if (m.size() <= 16) {  // the usual object: pairs cost less than a hash set
      for (std::size_t a = 1; a < m.size(); ++a) {
        for (std::size_t b = 0; b < a; ++b) {
          if (m[a].first == m[b].first) duplicate(m[a].first);
        }
      }
      return;
    }
    std::unordered_set<std::string_view> seen;
    seen.reserve(m.size());
    for (const auto& member : m) {
      if (!seen.insert(member.first).second) duplicate(member.first);
    }
  }

  std::string path() const {
    std::string p;
    for (const auto& step : path_) {
      if (step.in_array) {
        p += "[" + std::to_string(step.index) + "]";
      } else {
        if (!p.empty()) p += '.';
        p += step.key;
      }
    }
    return p;
  }

  // A value that is well-formed JSON but not one Bulwark reads: named by its path.
  [[noreturn]] void fail_at_path(std::string_view what) const {
    const std::string p = valid_utf8(path()) ? path() : "(a member name)";
    throw ParseError((p.empty() ? "" : p + ": ") + std::string(what), 0, 0);
  }

  // Text that is not JSON: named by line and column.
  [[noreturn]] void fail(std::string_view what) const {
    int line = 1, column = 1;
    for (std::size_t k = 0; k < i_ && k < s_.size(); ++k) {
      if (s_[k] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw ParseError("invalid JSON: " + std::string(what) + " at line " + std::to_string(line) +
                         ", column " + std::to_string(column),
                     line, column);
  }

  std::string_view s_;
  std::size_t i_ = 0;
  const ReadLimits& limits_;
  std::size_t nodes_ = 0;
  std::size_t allocated_ = 0;  // bytes the tree holds, as charge() counts them
  std::vector<Step> path_;
};

class JsonReader : public DocumentReader {
 public:
  JsonReader(std::istream& in, ReadLimits limits) : in_(in), limits_(limits) {}

  bool next(Value& out) override {
    if (done_) return false;
    done_ = true;
    out = parse_json(read_bounded(), limits_);
    return true;
  }

 private:
  // The whole input, read at most one block past the limit: standard input has no size to check
  // up front, and a JSON document is parsed whole.
  std::string read_bounded() {
    std::string text;
    char buf[1 << 16];
    while (in_.read(buf, sizeof buf) || in_.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(in_.gcount()));
      if (text.size() > limits_.max_json_bytes) too_big(limits_);
    }
    return text;
  }

  std::istream& in_;
  ReadLimits limits_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<DocumentReader> make_json_reader(std::istream& in, ReadLimits limits) {
  return std::make_unique<JsonReader>(in, limits);
}

Value parse_json(std::string_view text, const ReadLimits& limits) {
  if (text.size() > limits.max_json_bytes) too_big(limits);
  return JsonParser(text, limits).parse();
}

}  // namespace bulwark::document
