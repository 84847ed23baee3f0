#pragma once

// Builds a document's Value from a YAML parser's events, with the reading rules that make it what
// Kubernetes' decoder makes of the text (go-yaml v2 through sigs.k8s.io/yaml): scalars resolved
// (yaml_scalar.h), duplicate keys refused, "<<" merges applied, aliases charged at the size they
// expand to, and the limits of ReadLimits. Included by the parsers' adapters only
// (libyaml_reader.cpp, yaml_reader.cpp).
#include <algorithm>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "operator/document/reader.h"
#include "operator/document/utf8.h"
#include "operator/document/yaml_scalar.h"

namespace bulwark::document::yaml_tree {

// Where an event starts in the parser's text, 0-based.
struct Mark {
  int line = 0;
  int column = 0;
};
using Anchor = std::size_t;

class TreeBuilder {
 public:
  explicit TreeBuilder(ReadLimits limits) : limits_(limits) {}

  // Lines are reported relative to the stream; the parser sees one document's text that starts
  // `offset` lines into it, in which `breaks_added` are the parser's lines that a translated line
  // break began (translate_line_breaks).
  void set_source(int offset, const std::vector<int>* breaks_added) {
    line_offset_ = offset;
    breaks_added_ = breaks_added;
  }
  int line_of(const Mark& mark) const { return stream_line(mark.line); }
  int stream_line(int parser_line) const {
    const auto& added = *breaks_added_;
    const auto before = std::upper_bound(added.begin(), added.end(), parser_line) - added.begin();
    return parser_line - static_cast<int>(before) + 1 + line_offset_;
  }

  void reset() {
    frames_.clear();
    anchors_.clear();
    root_ = Value{};
    cost_ = {};
    alias_bytes_ = 0;
  }
  Value take_root() { return std::move(root_); }

  // The events of one document, as both parsers give them: marks 0-based, anchors numbered from 1
  // in the order they are defined (0: none), tags as yaml-cpp spells them ("?" a plain scalar with
  // no tag, "!" a quoted one or the tag "!"); `bang` says the tag "!" was written.
  void OnNull(const Mark& mark, Anchor anchor) {
    if (in_key_position()) {
      fail("a null mapping key cannot become a JSON member name", mark);
    }
    Value v;
    v.line = line_of(mark);
    complete(std::move(v), anchor, mark);
  }

  void OnAlias(const Mark& mark, Anchor anchor) {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) fail("alias to an unknown anchor", mark);
    // Charged at the size it expands to, before the copy is made.
    alias_bytes_ += it->second.cost.bytes;
    if (alias_bytes_ > limits_.max_alias_bytes) {
      fail("aliases expand to more than " + std::to_string(limits_.max_alias_bytes >> 20) +
               " MiB in this document",
           mark);
    }
    charge(it->second.cost, mark);
    Value copy = it->second.value;
    if (in_key_position()) {
      if (!copy.is_scalar()) fail("a mapping key must be a scalar", mark);
      // The key rules apply to the scalar as written, as for a key written out (a float key is
      // refused, "y" is "true").
      set_key(key_name(it->second.tag, it->second.written, mark), false, mark);
      return;
    }
    attach(std::move(copy), 0, mark);
  }

  void OnScalar(const Mark& mark, const std::string& tag, Anchor anchor, const std::string& text,
                bool bang) {
    charge({1, sizeof(Value) + text.size()}, mark);
    // Found by fuzz_yaml_reader: yaml-cpp decodes the double-quoted escapes \N (U+0085) and \_
    // (U+00A0) to single Latin-1 bytes, not UTF-8. Refused rather than passed on mangled.
    if (!valid_utf8(text)) {
      fail(
          "a double-quoted string whose escapes decode to invalid UTF-8 (\\N or \\_ are not "
          "supported: write the character itself)",
          mark);
    }
    if (in_key_position()) {
      const bool merge = text == "<<" && is_merge_tag(tag, bang);
      set_key(merge ? text : key_name(tag, text, mark), merge, mark);
      if (anchor != 0) {
        remember(anchor, scalar_value(tag, text, mark), {1, sizeof(Value)});
        anchors_[anchor].tag = tag;
        anchors_[anchor].written = text;
      }
      return;
    }
    Value v = scalar_value(tag, text, mark);
    attach(std::move(v), anchor, mark);
    if (anchor != 0) {
      anchors_[anchor].tag = tag;
      anchors_[anchor].written = text;
    }
  }

  void OnSequenceStart(const Mark& mark, Anchor anchor) {
    open(Value::Type::kSequence, anchor, mark);
  }
  void OnSequenceEnd() { close(); }

  void OnMapStart(const Mark& mark, Anchor anchor) { open(Value::Type::kMapping, anchor, mark); }
  void OnMapEnd() { close(); }

 private:
  // What a subtree costs: its nodes, and the bytes they hold (each node at sizeof(Value) plus
  // its text and key), counted again for every alias that repeats it.
  struct Cost {
    std::size_t nodes = 0;
    std::size_t bytes = 0;
  };
  struct Frame {
    Value node;
    Anchor anchor = 0;
    Cost cost_at_open;
    bool has_key = false;  // mappings: a key is waiting for its value
    bool key_is_merge = false;
    std::string key;
    std::vector<bool> merges;  // mappings: per member, whether it is a "<<" merge
  };
  struct Anchored {
    Value value;
    Cost cost;
    std::string tag;      // a scalar's, as the parser gave it
    std::string written;  // a scalar's text as written, for the key rules when an alias is a key
  };

  [[noreturn]] void fail(const std::string& message, const Mark& mark) const {
    throw ParseError(message, line_of(mark), mark.column + 1);
  }

  // go-yaml v2's isMerge: "<<" plain, or tagged !!merge, or with the non-specific tag "!" (its
  // parser marks `! <<`, `! "<<"` and `!<!> <<` implicit, as a plain scalar); an untagged quoted
  // "<<" is a literal key.
  static bool is_merge_tag(const std::string& tag, bool bang) {
    return tag == "?" || tag == "tag:yaml.org,2002:merge" || (tag == "!" && bang);
  }

  bool in_key_position() const {
    return !frames_.empty() && frames_.back().node.is_mapping() && !frames_.back().has_key;
  }

  std::string key_name(const std::string& tag, const std::string& text, const Mark& mark) {
    try {
      return yaml_key_name(tag, text);
    } catch (const std::invalid_argument& e) {
      fail(e.what(), mark);
    }
  }

  Value scalar_value(const std::string& tag, const std::string& text, const Mark& mark) {
    YamlScalar resolved;
    try {
      resolved = resolve_yaml_scalar(tag, text);
    } catch (const std::invalid_argument& e) {
      fail(at_path(e.what()), mark);
    }
    Value v;
    v.line = line_of(mark);
    if (resolved.kind == YamlScalar::Kind::kNull) return v;
    v.type = Value::Type::kScalar;
    v.quoted = resolved.kind == YamlScalar::Kind::kString;
    v.text = std::move(resolved.text);
    return v;
  }

  void charge(Cost c, const Mark& mark) {
    cost_.nodes += c.nodes;
    cost_.bytes += c.bytes;
    if (cost_.nodes > limits_.max_nodes_per_document) {
      fail("document has more than " + std::to_string(limits_.max_nodes_per_document) +
               " nodes (aliases counted at the size they expand to)",
           mark);
    }
    if (cost_.bytes > limits_.max_expanded_bytes) {
      fail("document takes more than " + std::to_string(limits_.max_expanded_bytes >> 20) +
               " MiB once aliases are expanded",
           mark);
    }
  }

  void open(Value::Type type, Anchor anchor, const Mark& mark) {
    if (frames_.size() >= limits_.max_depth) {
      fail("document nests deeper than " + std::to_string(limits_.max_depth) + " levels", mark);
    }
    if (in_key_position()) fail("a mapping key must be a scalar", mark);
    charge({1, sizeof(Value)}, mark);
    Frame f;
    f.node.type = type;
    f.node.line = line_of(mark);
    f.anchor = anchor;
    f.cost_at_open = cost_;
    f.cost_at_open.nodes -= 1;
    f.cost_at_open.bytes -= sizeof(Value);
    frames_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    if (f.node.is_mapping()) finish_mapping(f.node, f.merges);
    const Cost cost{cost_.nodes - f.cost_at_open.nodes, cost_.bytes - f.cost_at_open.bytes};
    if (f.anchor != 0) remember(f.anchor, f.node, cost);
    attach(std::move(f.node), 0, {});
  }

  void complete(Value&& v, Anchor anchor, const Mark& mark) {
    charge({1, sizeof(Value)}, mark);
    attach(std::move(v), anchor, mark);
  }

  void remember(Anchor anchor, const Value& v, Cost cost) {
    anchors_[anchor] = Anchored{v, cost, {}, {}};
  }

  void set_key(std::string key, bool merge, const Mark& mark) {
    charge({0, key.size()}, mark);
    Frame& top = frames_.back();
    top.key = std::move(key);
    top.key_is_merge = merge;
    top.has_key = true;
  }

  void attach(Value&& v, Anchor anchor, const Mark&) {
    if (anchor != 0) remember(anchor, v, {1, sizeof(Value) + v.text.size()});
    if (frames_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& top = frames_.back();
    if (top.node.is_sequence()) {
      top.node.items.push_back(std::move(v));
      return;
    }
    top.merges.push_back(top.key_is_merge);
    top.node.members.emplace_back(std::move(top.key), std::move(v));
    top.has_key = false;
    top.key_is_merge = false;
  }

  // The path of the node being built, "spec.containers[0]", for messages.
  std::string path() const {
    std::string out;
    for (const auto& f : frames_) {
      if (f.node.is_sequence()) {
        out += '[';
        out += std::to_string(f.node.items.size());
        out += ']';
      } else if (f.has_key) {
        if (!out.empty()) out += '.';
        out += f.key;
      }
    }
    return out;
  }
  std::string at_path(const std::string& message) const {
    const std::string p = path();
    return p.empty() ? message : p + ": " + message;
  }

  // Refuses duplicate keys, as kubectl's strict field validation does, so that a second
  // "privileged: true" cannot hide behind a first "privileged: false"; then applies "<<" merges
  // the way go-yaml v2 does: in document order, each merge and each later key overwriting what
  // came before, and within one merge list the earlier mapping winning.
  // A flag a member, not a list of merge positions searched for each member: 200,000 "<<" keys in
  // one mapping took 20 s that way.
  void finish_mapping(Value& map, const std::vector<bool>& merges) const {
    const auto& m = map.members;
    auto is_merge = [&](std::size_t i) { return merges[i]; };
    auto duplicate = [&](std::size_t i) {
      const std::string p = path();
      throw ParseError((p.empty() ? "" : p + ".") + m[i].first + ": duplicate mapping key",
                       m[i].second.line, 0);
    };
    if (m.size() <= 16) {  // Kubernetes objects: a few keys a level, where a scan beats hashing
      for (std::size_t i = 1; i < m.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (m[i].first == m[j].first && !is_merge(i) && !is_merge(j)) duplicate(i);
        }
      }
    } else {
      std::unordered_set<std::string_view> seen;
      seen.reserve(m.size());
      for (std::size_t i = 0; i < m.size(); ++i) {
        if (!is_merge(i) && !seen.insert(m[i].first).second) duplicate(i);
      }
    }
    if (std::find(merges.begin(), merges.end(), true) != merges.end()) resolve_merges(map, merges);
  }

  static void merge_from(Value& source, std::vector<Value::Member>& out,
                         std::unordered_map<std::string, std::size_t>& index) {
    if (!source.is_mapping()) throw ParseError("merge key \"<<\" needs a mapping", source.line, 0);
    for (auto& member : source.members) merge_from_one(std::move(member), out, index);
  }

  static void resolve_merges(Value& map, const std::vector<bool>& merges) {
    std::vector<Value::Member> out;
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < map.members.size(); ++i) {
      Value& value = map.members[i].second;
      if (!merges[i]) {
        merge_from_one(std::move(map.members[i]), out, index);
      } else if (value.is_sequence()) {
        for (auto it = value.items.rbegin(); it != value.items.rend(); ++it) {
          merge_from(*it, out, index);
        }
      } else {
        merge_from(value, out, index);
      }
    }
    map.members = std::move(out);
  }

  static void merge_from_one(Value::Member&& member, std::vector<Value::Member>& out,
                             std::unordered_map<std::string, std::size_t>& index) {
    auto [it, inserted] = index.emplace(member.first, out.size());
    if (inserted) {
      out.push_back(std::move(member));
    } else {
      out[it->second].second = std::move(member.second);
    }
  }

  ReadLimits limits_;
  std::vector<Frame> frames_;
  std::unordered_map<Anchor, Anchored> anchors_;
  Value root_;
  Cost cost_;
  std::size_t alias_bytes_ = 0;
  int line_offset_ = 0;
  const std::vector<int>* breaks_added_ = nullptr;
};

}  // namespace bulwark::document::yaml_tree

namespace bulwark::document::yaml_tree {

// One parser over one document's text (a YamlChunk's, prepared), feeding a TreeBuilder.
class ChunkParser {
 public:
  virtual ~ChunkParser() = default;
  // Feeds `builder` the next document's events and returns true; false at the end of the text.
  // Throws ParseError (lines through the builder) for text the parser refuses.
  virtual bool next_document(TreeBuilder& builder) = 0;
};

// `text` must outlive the parser.
std::unique_ptr<ChunkParser> make_libyaml_parser(const std::string& text);
std::unique_ptr<ChunkParser> make_yaml_cpp_parser(const std::string& text);

}  // namespace bulwark::document::yaml_tree
