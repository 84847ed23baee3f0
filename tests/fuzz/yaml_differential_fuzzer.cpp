// The YAML reader (libyaml) against the reader it replaced (yaml-cpp), on the same bytes (one
// splitter cuts both the same chunks): the same values, and never looser. A document the new
// reader returns, the old one returned at the same place, equal in every node (type, text,
// quoting) and in the lines findings cite (but an empty node's: libyaml cites its own line,
// yaml-cpp the next token's); where the old reader's rules refused a document, so does the new
// (below). The new reader may refuse what the old one read: it is then stricter.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "operator/document/yaml_chunks.h"
#include "tests/fuzz/fuzz_limits.h"

namespace {

using bulwark::document::ParseError;
using bulwark::document::Value;

// An empty node ("metadata:" with nothing after it) is the one place the two differ in lines:
// libyaml cites the line it is on, yaml-cpp the line of the next token, which may be several
// lines and comments below.
bool same(const Value& a, const Value& b) {
  // An empty node tagged "!" ("a: !"): yaml-cpp read null, go-yaml and libyaml the empty string
  // (found by this fuzzer; reader_test KubectlReadsWhatYamlCppRefused).
  if (a.is_scalar() && a.quoted && a.text.empty() && b.is_null()) return true;
  if (a.type != b.type || a.text != b.text || a.quoted != b.quoted ||
      (a.line != b.line && !a.is_null()) || a.members.size() != b.members.size() ||
      a.items.size() != b.items.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.members.size(); ++i) {
    if (a.members[i].first != b.members[i].first ||
        !same(a.members[i].second, b.members[i].second)) {
      return false;
    }
  }
  for (std::size_t i = 0; i < a.items.size(); ++i) {
    if (!same(a.items[i], b.items[i])) return false;
  }
  return true;
}

// Where the old reader refused a document and the new one reads it: allowed where yaml-cpp's own
// syntax refused it, since the new syntax is libyaml's, the parser go-yaml v2 (kubectl's decoder)
// was ported from (the fuzzer found yaml-cpp refusing "&a:b", "{?a: b}", "!a:!b c" and keys with
// no value in flow mappings, each of which kubectl's decoder reads as libyaml does:
// tests/document/reader_test.cpp, KubectlReadsWhatYamlCppRefused; e2e.scan_vs_psa holds the
// syntax to kubectl's). Never where the reader's own rules refused it (duplicate keys, limits,
// scalars, characters), but for (B).
// (B) yaml-cpp read a key with no value in a flow mapping ("{a: b, c, d: e}", or "{k\n, l}") as
// a null key, which the old reader refused ("a null mapping key ..."); a null key the new reader
// sees it refuses the same way, so a document it read had none.
constexpr std::string_view kNullKey = "a null mapping key cannot become a JSON member name";

// One document as a parser reads it, or its error.
struct Outcome {
  std::optional<Value> doc;
  std::string error;
  bool syntax = false;  // the parser's own refusal
};

// U+2028 and U+2029 inside a scalar: the old reader wrote them as LF for yaml-cpp and so folded
// them to a space or a line feed, where go-yaml and libyaml keep the character (found by review;
// reader_test EveryLineBreakKubectlKnowsEndsAComment). Values may differ there, the new one
// kubectl's.
bool folds_ls_or_ps(std::string_view t) {
  return t.find("\xE2\x80\xA8") != t.npos || t.find("\xE2\x80\xA9") != t.npos;
}

// An anchor or alias name ended by a character other than a blank ("&a:b x"): go-yaml and
// libyaml end the name at the first character that is not a letter, digit, "_" or "-" (the
// anchor "a" on the scalar ":b x"), yaml-cpp ran it on to the next blank (the anchor "a:b" on
// "x"). Values may differ there, the new one kubectl's (found by this fuzzer; reader_test
// KubectlReadsWhatYamlCppRefused).
bool anchor_name_ended_by_text(std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '&' && t[i] != '*') continue;
    std::size_t j = i + 1;
    while (j < t.size() &&
           (std::isalnum(static_cast<unsigned char>(t[j])) != 0 || t[j] == '_' || t[j] == '-')) {
      ++j;
    }
    if (j > i + 1 && j < t.size() && std::string_view(" \t\r\n,]}").find(t[j]) == t.npos) {
      return true;
    }
  }
  return false;
}

// A chunk's documents as one parser reads them.
std::vector<Outcome> read_chunk(const bulwark::document::YamlChunk& chunk,
                                bulwark::document::YamlParser parser) {
  std::vector<Outcome> out;
  bulwark::document::YamlChunkReader reader(chunk, bulwark::fuzz::limits(), parser);
  for (int i = 0; i < 64; ++i) {
    Value v;
    try {
      if (!reader.next(v)) break;
      out.push_back({std::move(v), {}});
    } catch (const ParseError& e) {
      out.push_back({std::nullopt, e.what(), e.syntax()});
    }
  }
  return out;
}

}  // namespace

// Both parsers read the same chunks (one splitter cuts them): each document the new one returns
// is the old one's at the same place in the chunk.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using bulwark::document::YamlParser;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  bulwark::document::YamlSplitter splitter(in, bulwark::fuzz::limits());
  for (int i = 0; i < 64; ++i) {
    bulwark::document::YamlChunk chunk;
    try {
      if (!splitter.next(chunk)) break;
    } catch (const ParseError&) {
      continue;
    }
    const auto fresh = read_chunk(chunk, YamlParser::kLibyaml);
    const auto old = read_chunk(chunk, YamlParser::kYamlCpp);
    for (std::size_t d = 0; d < fresh.size(); ++d) {
      if (!fresh[d].doc) continue;
      if (d < old.size() && old[d].doc) {
        if (!same(*fresh[d].doc, *old[d].doc) && !folds_ls_or_ps(chunk.text) &&
            !anchor_name_ended_by_text(chunk.text)) {
          std::abort();
        }
      } else if (d < old.size() && !old[d].syntax && old[d].error != kNullKey &&
                 !anchor_name_ended_by_text(chunk.text)) {
        std::abort();  // looser than the old reader
      }
    }
  }
  return 0;
}
