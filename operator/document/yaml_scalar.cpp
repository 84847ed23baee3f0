// Mirrors go.yaml.in/yaml/v2 v2.4.4 resolve.go (resolve, resolveTable, resolveMap) and the parts
// of Go's strconv it calls. Kept apart from yaml_reader.cpp so it can be tested and fuzzed alone.
#include "operator/document/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace bulwark::document {
namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int digit_value(char c) {
  if (is_digit(c)) return c - '0';
  const char l = lower(c);
  if (l >= 'a' && l <= 'z') return l - 'a' + 10;
  return 99;
}

// strconv.ParseUint(s, base, 64) without underscores; base 0 reads Go's prefixes.
bool parse_uint_base(std::string_view s, int base, unsigned long long& out) {
  if (s.empty()) return false;
  if (base == 0) {
    base = 10;
    if (s[0] == '0') {
      if (s.size() >= 3 && lower(s[1]) == 'b') {
        base = 2, s.remove_prefix(2);
      } else if (s.size() >= 3 && lower(s[1]) == 'o') {
        base = 8, s.remove_prefix(2);
      } else if (s.size() >= 3 && lower(s[1]) == 'x') {
        base = 16, s.remove_prefix(2);
      } else {
        base = 8, s.remove_prefix(1);
      }
    }
  }
  unsigned long long n = 0;
  for (char c : s) {
    const int d = digit_value(c);
    if (d >= base) return false;
    if (n > (~0ull - static_cast<unsigned>(d)) / static_cast<unsigned>(base)) return false;
    n = n * static_cast<unsigned>(base) + static_cast<unsigned>(d);
  }
  out = n;
  return true;
}

bool parse_int_base(std::string_view s, int base, long long& out) {
  if (s.empty()) return false;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  unsigned long long magnitude = 0;
  if (!parse_uint_base(s, base, magnitude)) return false;
  constexpr unsigned long long kCutoff = 1ull << 63;
  if (!negative && magnitude >= kCutoff) return false;
  if (negative && magnitude > kCutoff) return false;
  out = negative ? static_cast<long long>(0ull - magnitude) : static_cast<long long>(magnitude);
  return true;
}

// strconv's underscoreOK for decimal text: each underscore sits between two digits.
bool underscores_ok(std::string_view s) {
  char saw = '^';
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  for (char c : s) {
    if (is_digit(c)) {
      saw = '0';
    } else if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
    } else {
      if (saw == '_') return false;
      saw = '!';
    }
  }
  return saw != '_';
}

std::string without_underscores(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

// The regex yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool yaml_style_float(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

// Decimal float text (already checked) to a double as ParseFloat rounds it: an overflow is an
// error, an underflow is zero.
bool decimal_to_double(std::string_view s, double& out) {
  const char* begin = s.data();
  const char* end = begin + s.size();
  bool negative = false;
  if (begin != end && (*begin == '+' || *begin == '-')) negative = *begin++ == '-';
  auto [ptr, ec] = std::from_chars(begin, end, out);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    // Overflow when the integer digits plus the exponent put it far above 1; underflow otherwise.
    std::size_t int_digits = 0;
    const char* p = begin;
    while (p != end && *p == '0') ++p;
    while (p != end && is_digit(*p)) ++p, ++int_digits;
    long long exponent = 0;
    for (const char* e = begin; e != end; ++e) {
      if (*e == 'e' || *e == 'E') {
        long long x = 0;
        if (!parse_int_base(std::string_view(e + 1, end - e - 1), 10, x))
          x = e[1] == '-' ? -9999 : 9999;
        exponent = x;
      }
    }
    if (static_cast<long long>(int_digits) + exponent > 0) return false;
    out = 0.0;
  } else if (ec != std::errc()) {
    return false;
  }
  if (negative) out = -out;
  return true;
}

std::string float_text(double d) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, ptr) : std::string("0");
}

YamlScalar scalar(YamlScalar::Kind kind, std::string text) { return {kind, std::move(text)}; }

// The map lookups of resolveMap that hint 'M', '.' and 'S' texts reach.
bool resolve_from_map(std::string_view in, YamlScalar& out) {
  static constexpr std::string_view kTrue[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                               "True", "TRUE", "on",  "On",  "ON"};
  static constexpr std::string_view kFalse[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                                "False", "FALSE", "off", "Off", "OFF"};
  static constexpr std::string_view kNull[] = {"", "~", "null", "Null", "NULL"};
  static constexpr std::string_view kNotJson[] = {".nan",  ".NaN",  ".NAN",  ".inf",
                                                  ".Inf",  ".INF",  "+.inf", "+.Inf",
                                                  "+.INF", "-.inf", "-.Inf", "-.INF"};
  for (auto t : kTrue) {
    if (in == t) return out = scalar(YamlScalar::Kind::kBool, "true"), true;
  }
  for (auto f : kFalse) {
    if (in == f) return out = scalar(YamlScalar::Kind::kBool, "false"), true;
  }
  for (auto n : kNull) {
    if (in == n) return out = scalar(YamlScalar::Kind::kNull, ""), true;
  }
  for (auto x : kNotJson) {
    if (in == x) {
      throw std::invalid_argument("\"" + std::string(in) +
                                  "\" is a YAML float that JSON cannot carry (infinity or NaN)");
    }
  }
  return false;
}

// The 'D' and 'S' branch of resolve(): integers, then floats, then 0b binary.
bool resolve_number(std::string_view in, YamlScalar& out) {
  const std::string plain =
      in.find('_') == std::string_view::npos ? std::string(in) : without_underscores(in);
  long long i = 0;
  unsigned long long u = 0;
  double d = 0;
  if (go_parse_int(plain, i)) return out = scalar(YamlScalar::Kind::kInt, std::to_string(i)), true;
  if (go_parse_uint(plain, u)) return out = scalar(YamlScalar::Kind::kInt, std::to_string(u)), true;
  if (yaml_style_float(plain) && decimal_to_double(plain, d)) {
    return out = scalar(YamlScalar::Kind::kFloat, float_text(d)), true;
  }
  const std::string_view p = plain;
  if (p.substr(0, 2) == "0b") {
    if (parse_int_base(p.substr(2), 2, i)) {
      return out = scalar(YamlScalar::Kind::kInt, std::to_string(i)), true;
    }
    if (parse_uint_base(p.substr(2), 2, u)) {
      return out = scalar(YamlScalar::Kind::kInt, std::to_string(u)), true;
    }
  } else if (p.substr(0, 3) == "-0b") {
    if (parse_int_base("-" + std::string(p.substr(3)), 2, i)) {
      return out = scalar(YamlScalar::Kind::kInt, std::to_string(i)), true;
    }
  }
  return false;
}

// resolve(tag, in) for the tags it resolves ("" for plain): what the text is, before the tag's
// check.
YamlScalar resolve_plain(std::string_view in, bool as_string) {
  YamlScalar out;
  const char hint = in.empty() ? 'N' : in[0];
  if (!as_string) {
    // Only texts that start like a resolveMap entry are looked up (most scalars are names).
    constexpr std::string_view kMapHints = "yYnNtTfFoO~.+-";
    if ((in.empty() || kMapHints.find(hint) != std::string_view::npos) &&
        resolve_from_map(in, out)) {
      return out;
    }
    if (hint == '.') {
      double d = 0;
      if (go_parse_float(in, d)) return scalar(YamlScalar::Kind::kFloat, float_text(d));
    } else if (hint == '+' || hint == '-' || is_digit(hint)) {
      if (resolve_number(in, out)) return out;
    }
  }
  return scalar(YamlScalar::Kind::kString, std::string(in));
}

const char* kind_name(YamlScalar::Kind kind) {
  switch (kind) {
    case YamlScalar::Kind::kNull:
      return "!!null";
    case YamlScalar::Kind::kBool:
      return "!!bool";
    case YamlScalar::Kind::kInt:
      return "!!int";
    case YamlScalar::Kind::kFloat:
      return "!!float";
    case YamlScalar::Kind::kString:
      break;
  }
  return "!!str";
}

}  // namespace

bool go_parse_int(std::string_view s, long long& out) { return parse_int_base(s, 0, out); }
bool go_parse_uint(std::string_view s, unsigned long long& out) {
  return parse_uint_base(s, 0, out);
}

bool go_parse_float(std::string_view s, double& out) {
  if (s.find('_') != std::string_view::npos && !underscores_ok(s)) return false;
  const std::string plain = without_underscores(s);
  return yaml_style_float(plain) && decimal_to_double(plain, out);
}

YamlScalar resolve_yaml_scalar(std::string_view tag, std::string_view text) {
  if (tag == "?") return resolve_plain(text, false);
  if (tag.substr(0, kTagPrefix.size()) != kTagPrefix) {
    return scalar(YamlScalar::Kind::kString, std::string(text));  // quoted, "!" or a local tag
  }
  const std::string_view name = tag.substr(kTagPrefix.size());
  if (name == "binary") {
    throw std::invalid_argument("the !!binary tag is not supported; write the text itself");
  }
  if (name != "bool" && name != "int" && name != "float" && name != "null" && name != "str") {
    return scalar(YamlScalar::Kind::kString, std::string(text));  // timestamps and unresolved
  }
  if (name == "str") return scalar(YamlScalar::Kind::kString, std::string(text));
  YamlScalar out = resolve_plain(text, false);
  const char* wanted = name == "bool"    ? "!!bool"
                       : name == "int"   ? "!!int"
                       : name == "float" ? "!!float"
                                         : "!!null";
  if (std::string_view(kind_name(out.kind)) == wanted) return out;
  if (name == "float" && out.kind == YamlScalar::Kind::kInt) {
    long long i = 0;
    if (go_parse_int(out.text, i)) {
      return scalar(YamlScalar::Kind::kFloat, float_text(static_cast<double>(i)));
    }
  }
  throw std::invalid_argument("cannot decode " + std::string(kind_name(out.kind)) + " `" +
                              std::string(text) + "` as a " + wanted);
}

std::string yaml_key_name(std::string_view tag, std::string_view text) {
  const YamlScalar key = resolve_yaml_scalar(tag, text);
  switch (key.kind) {
    case YamlScalar::Kind::kNull:
      throw std::invalid_argument("a null mapping key cannot become a JSON member name");
    case YamlScalar::Kind::kFloat:
      throw std::invalid_argument("the mapping key " + std::string(text) +
                                  " reads as a float; quote it");
    case YamlScalar::Kind::kInt: {
      long long i = 0;
      if (!go_parse_int(key.text, i)) {
        throw std::invalid_argument("the mapping key " + std::string(text) +
                                    " is an integer beyond int64, which JSON keys refuse");
      }
      return key.text;
    }
    case YamlScalar::Kind::kBool:
    case YamlScalar::Kind::kString:
      break;
  }
  return key.text;
}

}  // namespace bulwark::document
