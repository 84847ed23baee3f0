#include "operator/document/json_writer.h"

#include <cstdio>

namespace bulwark::document {

void append_json_escaped(std::string_view s, std::string& out) {
  for (unsigned char ch : s) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (ch < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
}

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  append_json_escaped(s, out);
  out += '"';
  return out;
}

namespace {

void write_string(std::string_view s, std::string& out) {
  out += '"';
  append_json_escaped(s, out);
  out += '"';
}

bool is_json_literal(std::string_view t) {
  if (t == "true" || t == "false" || t == "null") return true;
  // A JSON number: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

}  // namespace

void write_json(const Value& v, std::string& out) {
  switch (v.type) {
    case Value::Type::kNull:
      out += "null";
      return;
    case Value::Type::kScalar:
      if (!v.quoted && is_json_literal(v.text)) {
        out += v.text;
      } else {
        write_string(v.text, out);
      }
      return;
    case Value::Type::kSequence:
      out += '[';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i > 0) out += ',';
        write_json(v.items[i], out);
      }
      out += ']';
      return;
    case Value::Type::kMapping:
      out += '{';
      for (std::size_t i = 0; i < v.members.size(); ++i) {
        if (i > 0) out += ',';
        write_string(v.members[i].first, out);
        out += ':';
        write_json(v.members[i].second, out);
      }
      out += '}';
      return;
  }
}

std::string to_json(const Value& v) {
  std::string out;
  write_json(v, out);
  return out;
}

}  // namespace bulwark::document
