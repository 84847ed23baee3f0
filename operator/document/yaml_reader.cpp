// The one file that includes yaml-cpp for documents. Builds Values from yaml-cpp's event API,
// which is faster than YAML::Node and lets us stream document by document.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <sstream>
#include <unordered_map>

#include "document/reader.h"

namespace bulwark::document {
namespace {

class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(ReadLimits limits) : limits_(limits) {}

  // Lines are reported relative to the stream; the parser sees one document's text that starts
  // `offset` lines into it.
  void set_line_offset(int offset) { line_offset_ = offset; }
  int line_of(const YAML::Mark& mark) const { return mark.line + 1 + line_offset_; }

  void reset() {
    frames_.clear();
    anchors_.clear();
    root_ = Value{};
    nodes_ = 0;
  }
  Value take_root() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Value v;
    v.line = line_of(mark);
    complete(std::move(v), anchor, mark);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw ParseError("alias to an unknown anchor", line_of(mark), 0);
    count(count_nodes(it->second), mark);
    Value copy = it->second;
    complete(std::move(copy), 0, mark);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Value v;
    v.type = Value::Type::kScalar;
    // yaml-cpp tags plain scalars "?" and quoted ones "!"; an explicit tag also means "not plain".
    v.quoted = tag != "?";
    v.line = line_of(mark);
    v.text = value;
    complete(std::move(v), anchor, mark);
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
  struct Frame {
    Value node;
    YAML::anchor_t anchor = 0;
    bool has_key = false;  // mappings: a key is waiting for its value
    std::string key;
    YAML::Mark key_mark;
  };

  static std::size_t count_nodes(const Value& v) {
    std::size_t n = 1;
    for (const auto& item : v.items) n += count_nodes(item);
    for (const auto& [k, m] : v.members) n += count_nodes(m);
    return n;
  }

  void count(std::size_t n, const YAML::Mark& mark) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes_per_document) {
      throw ParseError("document has more than " + std::to_string(limits_.max_nodes_per_document) +
                           " nodes (aliases included)",
                       line_of(mark), mark.column + 1);
    }
  }

  void open(Value::Type type, YAML::anchor_t anchor, const YAML::Mark& mark) {
    if (frames_.size() >= limits_.max_depth) {
      throw ParseError(
          "document nests deeper than " + std::to_string(limits_.max_depth) + " levels",
          line_of(mark), mark.column + 1);
    }
    count(1, mark);
    Frame f;
    f.node.type = type;
    f.node.line = line_of(mark);
    f.anchor = anchor;
    frames_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    if (f.node.is_mapping()) finish_mapping(f.node);
    YAML::Mark mark;
    mark.line = f.node.line - 1 - line_offset_;
    attach(std::move(f.node), f.anchor, mark);
  }

  void complete(Value&& v, YAML::anchor_t anchor, const YAML::Mark& mark) {
    if (v.type != Value::Type::kSequence && v.type != Value::Type::kMapping) count(1, mark);
    attach(std::move(v), anchor, mark);
  }

  void attach(Value&& v, YAML::anchor_t anchor, const YAML::Mark& mark) {
    if (anchor != 0) anchors_[anchor] = v;
    if (frames_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& top = frames_.back();
    if (top.node.is_sequence()) {
      top.node.items.push_back(std::move(v));
    } else if (!top.has_key) {
      if (!v.is_scalar() && !v.is_null()) {
        throw ParseError("a mapping key must be a scalar", line_of(mark), mark.column + 1);
      }
      top.key = std::move(v.text);
      top.key_mark = mark;
      top.has_key = true;
    } else {
      top.node.members.emplace_back(std::move(top.key), std::move(v));
      top.has_key = false;
    }
  }

  // Rejects duplicate keys as Kubernetes' YAML decoder does (a second "privileged: true" must not
  // hide behind a first "privileged: false"), and resolves "<<" merge keys.
  static void finish_mapping(Value& map) {
    auto& m = map.members;
    bool has_merge = false;
    if (m.size() <= 16) {
      for (std::size_t i = 0; i < m.size(); ++i) {
        has_merge = has_merge || m[i].first == "<<";
        for (std::size_t j = i + 1; j < m.size(); ++j) {
          if (m[i].first == m[j].first) duplicate(m[j]);
        }
      }
    } else {
      std::vector<const Value::Member*> sorted;
      sorted.reserve(m.size());
      for (const auto& member : m) sorted.push_back(&member);
      std::sort(sorted.begin(), sorted.end(),
                [](const auto* a, const auto* b) { return a->first < b->first; });
      for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
        if (sorted[i]->first == sorted[i + 1]->first) duplicate(*sorted[i + 1]);
        has_merge = has_merge || sorted[i]->first == "<<";
      }
      has_merge = has_merge || (!sorted.empty() && sorted.back()->first == "<<");
    }
    if (has_merge) resolve_merge(map);
  }

  [[noreturn]] static void duplicate(const Value::Member& member) {
    throw ParseError("mapping key \"" + member.first + "\" already set", member.second.line, 0);
  }

  static void resolve_merge(Value& map) {
    std::vector<Value::Member> own;
    std::vector<Value> sources;
    for (auto& member : map.members) {
      if (member.first != "<<") {
        own.push_back(std::move(member));
      } else if (member.second.is_sequence()) {
        for (auto& s : member.second.items) sources.push_back(std::move(s));
      } else {
        sources.push_back(std::move(member.second));
      }
    }
    for (auto& source : sources) {
      if (!source.is_mapping())
        throw ParseError("merge key \"<<\" needs a mapping", source.line, 0);
      for (auto& member : source.members) {
        bool present = std::any_of(own.begin(), own.end(),
                                   [&](const auto& o) { return o.first == member.first; });
        if (!present) own.push_back(std::move(member));
      }
    }
    map.members = std::move(own);
  }

  ReadLimits limits_;
  std::vector<Frame> frames_;
  std::unordered_map<YAML::anchor_t, Value> anchors_;
  Value root_;
  std::size_t nodes_ = 0;
  int line_offset_ = 0;
};

// yaml-cpp's Scanner keeps an indent marker for every indentation it meets until the whole
// stream is done, so one parser over a long multi-document stream grows without bound. The reader
// therefore cuts the stream at document markers ("---" and "..." at the start of a line, which
// YAML forbids inside content) and gives each document a fresh parser. Memory then follows the
// largest document, and a malformed document does not hide the ones after it.
class YamlReader : public DocumentReader {
 public:
  YamlReader(std::istream& in, ReadLimits limits) : in_(in), limits_(limits), builder_(limits) {}

  bool next(Value& out) override {
    for (;;) {
      if (parser_ != nullptr) {
        builder_.reset();
        builder_.set_line_offset(chunk_first_line_ - 1);
        bool got = false;
        try {
          got = parser_->HandleNextDocument(builder_);
        } catch (const YAML::Exception& e) {
          parser_.reset();
          throw ParseError(e.msg, chunk_first_line_ + e.mark.line, e.mark.column + 1);
        } catch (const ParseError&) {
          parser_.reset();
          throw;
        }
        if (got) {
          out = builder_.take_root();
          return true;
        }
        parser_.reset();
      }
      if (!read_chunk()) return false;
      chunk_stream_.clear();
      chunk_stream_.str(chunk_);
      parser_ = std::make_unique<YAML::Parser>(chunk_stream_);
    }
  }

 private:
  static bool starts_marker(const std::string& line, const char* marker) {
    return line.compare(0, 3, marker) == 0 &&
           (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
  }
  static bool is_content(const std::string& line) {
    for (char ch : line) {
      if (ch == ' ' || ch == '\t' || ch == '\r') continue;
      return ch != '#' && ch != '%';
    }
    return false;
  }

  // Reads the next document's text into chunk_: up to, not including, the next "---" line, or
  // through a "..." line. Lines that hold no content (comments, directives) go with the
  // document that follows them.
  bool read_chunk() {
    chunk_.clear();
    bool content = false;  // the chunk holds a document, if only an empty one after "---"
    bool any = false;
    if (has_pending_) {
      chunk_first_line_ = pending_line_;
      chunk_ = std::move(pending_);
      chunk_ += '\n';
      content = any = true;
      has_pending_ = false;
    } else {
      chunk_first_line_ = next_line_;
    }
    std::string line;
    while (std::getline(in_, line)) {
      const int number = next_line_++;
      const bool opens = starts_marker(line, "---");
      if (opens && content) {
        pending_ = std::move(line);
        pending_line_ = number;
        has_pending_ = true;
        return true;
      }
      any = true;
      chunk_ += line;
      chunk_ += '\n';
      if (chunk_.size() > limits_.max_document_bytes) {
        skip_to_next_marker();
        throw ParseError(
            "document is larger than " + std::to_string(limits_.max_document_bytes >> 20) + " MiB",
            chunk_first_line_, 0);
      }
      if (starts_marker(line, "...")) return true;
      content = content || opens || is_content(line);
    }
    return any;
  }

  // Drops the rest of an oversized document, so the next call starts at the following one.
  void skip_to_next_marker() {
    chunk_.clear();
    std::string line;
    while (std::getline(in_, line)) {
      const int number = next_line_++;
      if (starts_marker(line, "---")) {
        pending_ = std::move(line);
        pending_line_ = number;
        has_pending_ = true;
        return;
      }
    }
  }

  std::istream& in_;
  ReadLimits limits_;
  TreeBuilder builder_;
  std::unique_ptr<YAML::Parser> parser_;
  std::istringstream chunk_stream_;
  std::string chunk_;
  int chunk_first_line_ = 1;  // stream line of the chunk's first line
  int next_line_ = 1;         // stream line of the next line to read
  std::string pending_;       // a "---" line read ahead, which opens the next chunk
  int pending_line_ = 0;
  bool has_pending_ = false;
};

}  // namespace

std::unique_ptr<DocumentReader> make_yaml_reader(std::istream& in, ReadLimits limits) {
  return std::make_unique<YamlReader>(in, limits);
}

}  // namespace bulwark::document
