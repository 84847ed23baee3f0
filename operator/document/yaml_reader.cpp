// The one file that includes yaml-cpp for documents. Builds Values from yaml-cpp's event API,
// which is faster than YAML::Node and lets us stream document by document.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "operator/document/reader.h"
#include "operator/document/utf8.h"
#include "operator/document/yaml_chunks.h"
#include "operator/document/yaml_scalar.h"
#include "operator/document/yaml_text.h"

namespace bulwark::document {
namespace {

class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(ReadLimits limits) : limits_(limits) {}

  // Lines are reported relative to the stream; the parser sees one document's text that starts
  // `offset` lines into it, in which `breaks_added` are the parser's lines that a translated line
  // break began (translate_line_breaks). `text` is that text, for what yaml-cpp's events omit.
  void set_source(const std::string* text, int offset, const std::vector<int>* breaks_added) {
    text_ = text;
    line_offset_ = offset;
    breaks_added_ = breaks_added;
  }
  int line_of(const YAML::Mark& mark) const { return stream_line(mark.line); }
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

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (in_key_position()) {
      fail("a null mapping key cannot become a JSON member name", mark);
    }
    Value v;
    v.line = line_of(mark);
    complete(std::move(v), anchor, mark);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
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
      set_key(std::move(copy.text), false, mark);
      return;
    }
    attach(std::move(copy), 0, mark);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override {
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
      const bool merge = text == "<<" && is_merge_tag(tag, mark);
      set_key(merge ? text : key_name(tag, text, mark), merge, mark);
      if (anchor != 0) remember(anchor, scalar_value(tag, text, mark), {1, sizeof(Value)});
      return;
    }
    Value v = scalar_value(tag, text, mark);
    attach(std::move(v), anchor, mark);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Value::Type::kSequence, anchor, mark);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Value::Type::kMapping, anchor, mark);
  }
  void OnMapEnd() override { close(); }

 private:
  // What a subtree costs: its nodes, and the bytes they hold (each node at sizeof(Value) plus
  // its text and key), counted again for every alias that repeats it.
  struct Cost {
    std::size_t nodes = 0;
    std::size_t bytes = 0;
  };
  struct Frame {
    Value node;
    YAML::anchor_t anchor = 0;
    Cost cost_at_open;
    bool has_key = false;  // mappings: a key is waiting for its value
    bool key_is_merge = false;
    std::string key;
    std::vector<bool> merges;  // mappings: per member, whether it is a "<<" merge
  };
  struct Anchored {
    Value value;
    Cost cost;
  };

  [[noreturn]] void fail(const std::string& message, const YAML::Mark& mark) const {
    throw ParseError(message, line_of(mark), mark.column + 1);
  }

  // go-yaml v2's isMerge: "<<" plain, or tagged !!merge, or with the non-specific tag "!" (its
  // parser marks `! <<`, `! "<<"` and `!<!> <<` implicit, as a plain scalar); an untagged quoted
  // "<<" is a literal key. yaml-cpp reports "!" both for a quoted scalar and for the tag "!", so
  // the text at the node's mark (its first property) tells them apart.
  bool is_merge_tag(const std::string& tag, const YAML::Mark& mark) const {
    if (tag == "?" || tag == "tag:yaml.org,2002:merge") return true;
    if (tag != "!" || text_ == nullptr || mark.pos < 0) return false;
    const std::string& t = *text_;
    auto p = static_cast<std::size_t>(mark.pos);
    auto skip_space = [&] {
      while (p < t.size() && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r')) ++p;
    };
    while (p < t.size() && t[p] == '&') {  // an anchor before the tag
      while (p < t.size() && t[p] != ' ' && t[p] != '\t' && t[p] != '\n' && t[p] != '\r') ++p;
      skip_space();
    }
    return p < t.size() && t[p] == '!';
  }

  bool in_key_position() const {
    return !frames_.empty() && frames_.back().node.is_mapping() && !frames_.back().has_key;
  }

  std::string key_name(const std::string& tag, const std::string& text, const YAML::Mark& mark) {
    try {
      return yaml_key_name(tag, text);
    } catch (const std::invalid_argument& e) {
      fail(e.what(), mark);
    }
  }

  Value scalar_value(const std::string& tag, const std::string& text, const YAML::Mark& mark) {
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

  void charge(Cost c, const YAML::Mark& mark) {
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

  void open(Value::Type type, YAML::anchor_t anchor, const YAML::Mark& mark) {
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

  void complete(Value&& v, YAML::anchor_t anchor, const YAML::Mark& mark) {
    charge({1, sizeof(Value)}, mark);
    attach(std::move(v), anchor, mark);
  }

  void remember(YAML::anchor_t anchor, const Value& v, Cost cost) {
    anchors_[anchor] = Anchored{v, cost};
  }

  void set_key(std::string key, bool merge, const YAML::Mark& mark) {
    charge({0, key.size()}, mark);
    Frame& top = frames_.back();
    top.key = std::move(key);
    top.key_is_merge = merge;
    top.has_key = true;
  }

  void attach(Value&& v, YAML::anchor_t anchor, const YAML::Mark&) {
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
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
  Value root_;
  Cost cost_;
  std::size_t alias_bytes_ = 0;
  int line_offset_ = 0;
  const std::string* text_ = nullptr;
  const std::vector<int>* breaks_added_ = nullptr;
};

// kubectl's splitter hands go-yaml each document without its "---" line, and go-yaml drops a
// byte order mark that starts its text; yaml-cpp reads one after "---" as part of the next key
// ("\uFEFFspec"), and where it does drop one (the stream's start) its marks count from after
// it, which is_merge_tag relies on (a BOM once hid `! <<`). So one is dropped here, at the
// chunk's start or right after its "---" line.
void drop_byte_order_mark(std::string& chunk) {
  // A chunk starts with its "---" line, if any (YamlSplitter); npos + 1 is 0.
  const std::size_t at = chunk.compare(0, 3, "---") == 0 ? chunk.find('\n') + 1 : 0;
  if (chunk.compare(at, 3, "\xEF\xBB\xBF") == 0) chunk.erase(at, 3);
}

// yaml-cpp's Scanner keeps an indent marker for every indentation it meets until the whole
// stream is done, so one parser over a long multi-document stream grows without bound. The reader
// therefore cuts the stream at document markers (YamlSplitter) and gives each document a fresh
// parser. Memory then follows the largest document, and a malformed document does not hide the
// ones after it.
class YamlReader : public DocumentReader {
 public:
  YamlReader(std::istream& in, ReadLimits limits) : limits_(limits), splitter_(in, limits) {}

  bool next(Value& out) override {
    for (;;) {
      if (chunk_ != nullptr && chunk_->next(out)) return true;
      chunk_.reset();
      YamlChunk text;
      if (!splitter_.next(text)) return false;
      chunk_ = std::make_unique<YamlChunkReader>(std::move(text), limits_);
    }
  }

 private:
  ReadLimits limits_;
  YamlSplitter splitter_;
  std::unique_ptr<YamlChunkReader> chunk_;
};

}  // namespace

struct YamlChunkReader::State {
  State(YamlChunk&& chunk, const ReadLimits& limits)
      : limits(limits), text(std::move(chunk.text)), first_line(chunk.first_line), builder(limits) {
    builder.set_source(&text, first_line - 1, &breaks_added);
  }

  // What the text needs before yaml-cpp reads it (yaml_text.h); throws ParseError.
  void prepare() {
    drop_byte_order_mark(text);
    check_characters(text, first_line);
    breaks_added = translate_line_breaks(text);
    check_flow_depth(text, first_line, limits.max_depth);
    stream.str(text);
    parser = std::make_unique<YAML::Parser>(stream);
  }

  ReadLimits limits;
  std::string text;
  int first_line;
  std::vector<int> breaks_added;  // see translate_line_breaks
  std::istringstream stream;
  TreeBuilder builder;
  std::unique_ptr<YAML::Parser> parser;
  bool prepared = false;
  bool done = false;
};

YamlChunkReader::YamlChunkReader(YamlChunk chunk, const ReadLimits& limits)
    : state_(std::make_unique<State>(std::move(chunk), limits)) {}
YamlChunkReader::~YamlChunkReader() = default;

bool YamlChunkReader::next(Value& out) {
  auto& s = *state_;
  if (s.done) return false;
  try {
    if (!s.prepared) {
      s.prepared = true;
      s.prepare();
    }
    s.builder.reset();
    if (s.parser->HandleNextDocument(s.builder)) {
      out = s.builder.take_root();
      return true;
    }
  } catch (const YAML::Exception& e) {
    s.done = true;
    throw ParseError(e.msg, s.builder.stream_line(e.mark.line), e.mark.column + 1);
  } catch (...) {
    s.done = true;
    throw;
  }
  s.done = true;
  return false;
}

std::unique_ptr<DocumentReader> make_yaml_reader(std::istream& in, ReadLimits limits) {
  return std::make_unique<YamlReader>(in, limits);
}

}  // namespace bulwark::document
