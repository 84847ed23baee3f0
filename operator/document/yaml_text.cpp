// The lexical passes of yaml_text.h.
#include "operator/document/yaml_text.h"

#include <cstdint>

#include "operator/document/reader.h"
#include "operator/document/utf8.h"

namespace bulwark::document {

// The characters go-yaml v2 (and so kubectl) accepts: well-formed UTF-8 of printable characters
// (yaml_parser_update_buffer in readerc.go). yaml-cpp takes any byte; kubectl refuses such a
// document, so the reader does too rather than judge something the cluster never sees.
void check_characters(const std::string& text, int first_line) {
  int line = first_line;
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (!next_code_point(text, i, cp)) throw ParseError("invalid UTF-8", line, 0);
    const bool printable = cp == 0x09 || cp == 0x0A || cp == 0x0D || (cp >= 0x20 && cp <= 0x7E) ||
                           cp == 0x85 || (cp >= 0xA0 && cp <= 0xD7FF) ||
                           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!printable) throw ParseError("control characters are not allowed", line, 0);
    if (cp == '\n') ++line;
  }
}

namespace {

// Calls f(at, width) for every line break go-yaml v2 knows beyond LF and CR LF: a lone CR,
// U+0085, U+2028 and U+2029 (is_break in yamlprivateh.go).
template <class F>
void for_each_other_break(const std::string& text, F f) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t width = 0;
    if (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
      width = 1;
    } else if (c == 0xC2 && i + 1 < text.size() && text[i + 1] == '\x85') {
      width = 2;
    } else if (c == 0xE2 && i + 2 < text.size() && text[i + 1] == '\x80' &&
               (text[i + 2] == '\xA8' || text[i + 2] == '\xA9')) {
      width = 3;
    }
    if (width == 0) continue;
    f(i, width);
    i += width - 1;
  }
}

// The parser's lines (0-based) that one of those breaks began, counting every break as a line.
std::vector<int> lines_begun(const std::string& text) {
  std::vector<int> begun;
  int line = 0;
  std::size_t counted = 0;  // LFs before this are counted in `line`
  for_each_other_break(text, [&](std::size_t at, std::size_t) {
    for (; counted < at; ++counted) line += text[counted] == '\n' ? 1 : 0;
    begun.push_back(++line);
  });
  return begun;
}

}  // namespace

// go-yaml v2 (kubectl's decoder) ends a line at CR, U+0085, U+2028 and U+2029 as well as at LF;
// yaml-cpp ends one only at LF and CR LF. A comment holding one of the others would hide the key
// after it from Bulwark and not from the cluster, so for yaml-cpp each is written as LF. go-yaml
// reads CR and U+0085 as LF everywhere, so for them this is exact; within a scalar that goes on
// past U+2028 or U+2029 kubectl keeps the character where yaml-cpp then reads a line break.
// libyaml knows all four as go-yaml does and reads the text as it is (other_line_breaks).
std::vector<int> translate_line_breaks(std::string& text) {
  std::vector<int> added = lines_begun(text);
  if (added.empty()) return added;
  std::string out;
  std::size_t copied = 0;  // text before this is in out
  for_each_other_break(text, [&](std::size_t at, std::size_t width) {
    out.append(text, copied, at - copied);
    out += '\n';
    copied = at + width;
  });
  out.append(text, copied, std::string::npos);
  text = std::move(out);
  return added;
}

std::vector<int> other_line_breaks(const std::string& text) { return lines_begun(text); }

// yaml-cpp's scanner holds every token of an unclosed flow collection in memory before its parser
// sees one event (3 MB of "[" took 710 MB), so the depth guard in TreeBuilder comes too late for
// flow style. This lexical pass measures flow nesting first: a "[" or "{" that can open a
// collection (at a token's start) counts, quoted scalars and comments are skipped, and a closer
// gives one level back. It can only over-count, and only text deeper than the limit is refused.
void check_flow_depth(const std::string& text, int first_line, std::size_t max_depth) {
  std::size_t depth = 0;
  int line = first_line;
  auto starts_token = [&](std::size_t i) {
    if (i == 0) return true;
    const char p = text[i - 1];
    return p == ' ' || p == '\t' || p == '\n' || p == '[' || p == '{' || p == ',' || p == ':';
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
    } else if ((c == '"' || c == '\'') && starts_token(i)) {
      for (++i; i < text.size(); ++i) {
        if (text[i] == '\n') ++line;
        if (c == '"' && text[i] == '\\') {
          ++i;
        } else if (text[i] == c && !(c == '\'' && i + 1 < text.size() && text[i + 1] == '\'')) {
          break;
        } else if (c == '\'' && text[i] == '\'') {
          ++i;  // '' inside a single-quoted scalar
        }
      }
    } else if (c == '#' && starts_token(i)) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if ((c == '[' || c == '{') && starts_token(i)) {
      if (++depth > max_depth) {
        throw ParseError("document nests deeper than " + std::to_string(max_depth) + " levels",
                         line, 0);
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

}  // namespace bulwark::document
