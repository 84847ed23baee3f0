// libyaml's events into the TreeBuilder: the one file that includes libyaml. libyaml is the C
// parser that go-yaml v2 (kubectl's decoder) was ported from, and reads the project's manifests
// about eight times faster than yaml-cpp (docs/benchmarks.md, Scan).
#include <yaml.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

#include "operator/document/yaml_tree.h"

namespace bulwark::document::yaml_tree {
namespace {

// One libyaml event, freed when it goes.
struct Event {
  yaml_event_t e{};
  ~Event() { yaml_event_delete(&e); }
};

// yaml-cpp's IsNullString, which made the reader's nulls before libyaml did: an untagged plain
// scalar that is empty, "~" or "null" in one of three cases.
bool null_text(const char* text, std::size_t size) {
  const std::string_view t(text, size);
  return t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL";
}

// The escapes \N and \_ in a double-quoted scalar's source: the reader refused them before
// libyaml (yaml-cpp decoded them to single Latin-1 bytes) and still does, so that it reads no
// document it did not read then.
// Found by review too: libyaml 0.2.5 reads YAML 1.2's "\/" as "/", which go-yaml v2 refuses.
// Returns the first of the three escapes in a double-quoted scalar's source, or 0.
char refused_escape(std::string_view source) {
  for (std::size_t i = 0; i + 1 < source.size(); ++i) {
    if (source[i] != '\\') continue;
    const char c = source[i + 1];
    if (c == 'N' || c == '_' || c == '/') return c;
    ++i;  // the escaped character, a backslash included
  }
  return 0;
}

bool anchor_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

// Whether a tag among the node properties at `at` ("&a !t x", "!t &a x") is written against a
// ",": libyaml 0.2.5 ends a tag shorthand there (and in a flow collection reads an empty node
// after it), where go-yaml v2, from the libyaml before, reads the "," and what follows into the
// tag. "{a: !t,' b, c: d'}" is then a key to one and three fields to the other.
bool tag_against_comma(std::string_view t, std::size_t at) {
  static constexpr std::string_view kShorthand = ";/?:@&=+$.%!~*'()";
  for (int property = 0; property < 2 && at < t.size(); ++property) {
    while (at < t.size() && (t[at] == ' ' || t[at] == '\t' || t[at] == '\n' || t[at] == '\r')) {
      ++at;
    }
    if (at >= t.size()) return false;
    if (t[at] == '&') {
      for (++at; at < t.size() && anchor_char(t[at]);) ++at;
    } else if (t[at] == '!' && at + 1 < t.size() && t[at + 1] == '<') {
      at = t.find('>', at);  // verbatim: "," is part of it in both
      if (at == t.npos) return false;
      ++at;
    } else if (t[at] == '!') {
      for (++at; at < t.size() && (anchor_char(t[at]) || kShorthand.find(t[at]) != t.npos);) {
        ++at;
      }
      if (at < t.size() && t[at] == ',') return true;
    } else {
      return false;
    }
  }
  return false;
}

class LibyamlParser : public ChunkParser {
 public:
  explicit LibyamlParser(const std::string& text) : text_(text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    yaml_parser_set_encoding(&parser_, YAML_UTF8_ENCODING);
  }
  ~LibyamlParser() override { yaml_parser_delete(&parser_); }
  LibyamlParser(const LibyamlParser&) = delete;
  LibyamlParser& operator=(const LibyamlParser&) = delete;

  bool next_document(TreeBuilder& b) override {
    for (;;) {
      Event ev;
      take_event(ev, b);
      if (ev.e.type == YAML_STREAM_END_EVENT) return false;
      if (ev.e.type == YAML_DOCUMENT_START_EVENT) break;
    }
    anchors_.clear();
    flow_depth_ = 0;
    for (;;) {
      Event ev;
      take_event(ev, b);
      if (ev.e.type == YAML_DOCUMENT_END_EVENT) break;
      feed(ev.e, b);
    }
    // A document that ends where its text does not ("a: 1" then "- x" at its indentation) is
    // refused with what follows it: go-yaml would drop the rest unread, the reader before
    // libyaml refused the document, and a scan must not pass text it did not read.
    next_event(ahead_.e, b);
    has_ahead_ = true;
    return true;
  }

 private:
  // The event read ahead, if any, else the next.
  void take_event(Event& ev, TreeBuilder& b) {
    if (!has_ahead_) return next_event(ev.e, b);
    ev.e = ahead_.e;
    ahead_.e = yaml_event_t{};  // now ev's to free
    has_ahead_ = false;
  }

  void next_event(yaml_event_t& e, TreeBuilder& b) {
    if (yaml_parser_parse(&parser_, &e)) return;
    std::string what = parser_.problem != nullptr ? parser_.problem : "cannot be read as YAML";
    if (parser_.context != nullptr) what = std::string(parser_.context) + ": " + what;
    int line = static_cast<int>(parser_.problem_mark.line);
    int column = static_cast<int>(parser_.problem_mark.column) + 1;
    if (parser_.error == YAML_READER_ERROR) {  // a character: libyaml gives its offset only
      const auto end =
          text_.begin() + static_cast<long>(std::min(parser_.problem_offset, text_.size()));
      line = static_cast<int>(std::count(text_.begin(), end, '\n'));
      column = 0;
    }
    throw ParseError(what, b.stream_line(line), column, true);
  }

  static bool has_tag(const yaml_event_t& e) {
    switch (e.type) {
      case YAML_SCALAR_EVENT:
        return e.data.scalar.tag != nullptr;
      case YAML_SEQUENCE_START_EVENT:
        return e.data.sequence_start.tag != nullptr;
      case YAML_MAPPING_START_EVENT:
        return e.data.mapping_start.tag != nullptr;
      default:
        return false;
    }
  }

  static Mark mark(const yaml_mark_t& m) {
    return Mark{static_cast<int>(m.line), static_cast<int>(m.column)};
  }

  // A node's anchor as a number, a new one for every definition (a later one of the same name
  // hides the earlier, as in yaml-cpp and go-yaml).
  Anchor define(const yaml_char_t* name) {
    if (name == nullptr) return 0;
    const Anchor id = ++defined_;
    anchors_[reinterpret_cast<const char*>(name)] = id;
    return id;
  }

  void feed(const yaml_event_t& e, TreeBuilder& b) {
    if (has_tag(e) && tag_against_comma(text_, e.start_mark.index)) {
      throw ParseError(
          "a tag written against a \",\" (kubectl reads the comma into the tag): "
          "put a space after the tag",
          b.stream_line(static_cast<int>(e.start_mark.line)),
          static_cast<int>(e.start_mark.column) + 1);
    }
    switch (e.type) {
      case YAML_SCALAR_EVENT:
        scalar(e, b);
        return;
      case YAML_ALIAS_EVENT: {
        const auto it = anchors_.find(reinterpret_cast<const char*>(e.data.alias.anchor));
        b.OnAlias(mark(e.start_mark), it == anchors_.end() ? 0 : it->second);
        return;
      }
      case YAML_SEQUENCE_START_EVENT:
        if (flow_depth_ > 0 || e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE) {
          ++flow_depth_;
        }
        b.OnSequenceStart(mark(e.start_mark), define(e.data.sequence_start.anchor));
        return;
      case YAML_MAPPING_START_EVENT:
        if (flow_depth_ > 0 || e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE) {
          ++flow_depth_;
        }
        b.OnMapStart(mark(e.start_mark), define(e.data.mapping_start.anchor));
        return;
      case YAML_SEQUENCE_END_EVENT:
        if (flow_depth_ > 0) --flow_depth_;  // a flow collection holds only flow collections
        b.OnSequenceEnd();
        return;
      case YAML_MAPPING_END_EVENT:
        if (flow_depth_ > 0) --flow_depth_;
        b.OnMapEnd();
        return;
      default:
        return;
    }
  }

  void scalar(const yaml_event_t& e, TreeBuilder& b) {
    const auto& s = e.data.scalar;
    const char* value = reinterpret_cast<const char*>(s.value);
    const Mark at = mark(e.start_mark);
    const char escape = s.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE
                            ? 0
                            : refused_escape(std::string_view(text_).substr(
                                  e.start_mark.index, e.end_mark.index - e.start_mark.index));
    if (escape == '/') {
      throw ParseError("\"\\/\" is no escape to kubectl's decoder: write \"/\"",
                       b.stream_line(at.line), at.column + 1);
    }
    if (escape != 0) {
      throw ParseError(
          "a double-quoted string whose escapes decode to invalid UTF-8 (\\N or \\_ are not "
          "supported: write the character itself)",
          b.stream_line(at.line), at.column + 1);
    }
    const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    // libyaml 0.2.5 lets "?" into a plain scalar in a flow collection ({a: b?c}); go-yaml v2,
    // from the libyaml before that, ends the scalar there and refuses the text, and so did the
    // reader before libyaml.
    if (plain && flow_depth_ > 0 && std::memchr(value, '?', s.length) != nullptr) {
      throw ParseError("a plain scalar in a flow collection cannot hold \"?\" (quote it)",
                       b.stream_line(at.line), at.column + 1);
    }
    const Anchor anchor = define(s.anchor);
    if (s.tag == nullptr && plain && null_text(value, s.length)) {
      b.OnNull(at, anchor);
      return;
    }
    std::string tag;
    if (s.tag != nullptr) {
      tag = reinterpret_cast<const char*>(s.tag);
    } else {
      tag = plain ? "?" : "!";
    }
    const bool bang =
        s.tag != nullptr && std::strcmp(reinterpret_cast<const char*>(s.tag), "!") == 0;
    b.OnScalar(at, tag, anchor, std::string(value, s.length), bang);
  }

  const std::string& text_;
  yaml_parser_t parser_{};
  Event ahead_;  // read past a document's end
  bool has_ahead_ = false;
  std::unordered_map<std::string, Anchor> anchors_;
  Anchor defined_ = 0;
  int flow_depth_ = 0;  // flow collections open around the current event
};

}  // namespace

std::unique_ptr<ChunkParser> make_libyaml_parser(const std::string& text) {
  return std::make_unique<LibyamlParser>(text);
}

}  // namespace bulwark::document::yaml_tree
