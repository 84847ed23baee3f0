// The YAML reader: YamlSplitter's texts, prepared (yaml_text.h), parsed by libyaml into a
// TreeBuilder (yaml_tree.h). Also the one file that includes yaml-cpp's parser: the reader it
// replaced, kept as fuzz_yaml_differential's oracle (make_yaml_cpp_reader).
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <sstream>

#include "operator/document/reader.h"
#include "operator/document/yaml_chunks.h"
#include "operator/document/yaml_text.h"
#include "operator/document/yaml_tree.h"

namespace bulwark::document {
namespace {

using yaml_tree::Anchor;
using yaml_tree::Mark;
using yaml_tree::TreeBuilder;

// yaml-cpp's events into the builder. yaml-cpp reports "!" both for a quoted scalar and for the
// tag "!", so the text at the node's mark (its first property) tells them apart.
class YamlCppEvents : public YAML::EventHandler {
 public:
  YamlCppEvents(TreeBuilder& builder, const std::string& text) : b_(builder), text_(text) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t a) override { b_.OnNull(mark(m), a); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t a) override { b_.OnAlias(mark(m), a); }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t a,
                const std::string& value) override {
    b_.OnScalar(mark(m), tag, a, value, tag == "!" && bang_at(m));
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                       YAML::EmitterStyle::value) override {
    b_.OnSequenceStart(mark(m), a);
  }
  void OnSequenceEnd() override { b_.OnSequenceEnd(); }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t a,
                  YAML::EmitterStyle::value) override {
    b_.OnMapStart(mark(m), a);
  }
  void OnMapEnd() override { b_.OnMapEnd(); }

 private:
  static Mark mark(const YAML::Mark& m) { return Mark{m.line, m.column}; }
  bool bang_at(const YAML::Mark& m) const {
    if (m.pos < 0) return false;
    const std::string& t = text_;
    auto p = static_cast<std::size_t>(m.pos);
    auto skip_space = [&] {
      while (p < t.size() && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r')) ++p;
    };
    while (p < t.size() && t[p] == '&') {  // an anchor before the tag
      while (p < t.size() && t[p] != ' ' && t[p] != '\t' && t[p] != '\n' && t[p] != '\r') ++p;
      skip_space();
    }
    return p < t.size() && t[p] == '!';
  }

  TreeBuilder& b_;
  const std::string& text_;
};

class YamlCppParser : public yaml_tree::ChunkParser {
 public:
  explicit YamlCppParser(const std::string& text) : text_(text), stream_(text), parser_(stream_) {}

  bool next_document(TreeBuilder& builder) override {
    YamlCppEvents events(builder, text_);
    try {
      return parser_.HandleNextDocument(events);
    } catch (const YAML::Exception& e) {
      throw ParseError(e.msg, builder.stream_line(e.mark.line), e.mark.column + 1, true);
    }
  }

 private:
  const std::string& text_;
  std::istringstream stream_;
  YAML::Parser parser_;
};

// kubectl's splitter hands go-yaml each document without its "---" line, and go-yaml drops a
// byte order mark that starts its text; yaml-cpp reads one after "---" as part of the next key
// ("\uFEFFspec"), and where it does drop one (the stream's start) its marks count from after
// it. So one is dropped here, at the chunk's start or right after its "---" line.
void drop_byte_order_mark(std::string& chunk) {
  // A chunk starts with its "---" line, if any (YamlSplitter); npos + 1 is 0.
  const std::size_t at = chunk.compare(0, 3, "---") == 0 ? chunk.find('\n') + 1 : 0;
  if (chunk.compare(at, 3, "\xEF\xBB\xBF") == 0) chunk.erase(at, 3);
}

// Parsers keep state for the whole text they read (yaml-cpp's Scanner an indent marker for every
// indentation), so one parser over a long multi-document stream would grow without bound. The
// reader therefore cuts the stream at document markers (YamlSplitter) and gives each document a
// fresh parser. Memory then follows the largest document, and a malformed document does not hide
// the ones after it.
class YamlReader : public DocumentReader {
 public:
  YamlReader(std::istream& in, ReadLimits limits, YamlParser parser)
      : limits_(limits), parser_(parser), splitter_(in, limits) {}

  bool next(Value& out) override {
    for (;;) {
      if (chunk_ != nullptr && chunk_->next(out)) return true;
      chunk_.reset();
      YamlChunk text;
      if (!splitter_.next(text)) return false;
      chunk_ = std::make_unique<YamlChunkReader>(std::move(text), limits_, parser_);
    }
  }

 private:
  ReadLimits limits_;
  YamlParser parser_;
  YamlSplitter splitter_;
  std::unique_ptr<YamlChunkReader> chunk_;
};

}  // namespace

namespace yaml_tree {
std::unique_ptr<ChunkParser> make_yaml_cpp_parser(const std::string& text) {
  return std::make_unique<YamlCppParser>(text);
}
}  // namespace yaml_tree

struct YamlChunkReader::State {
  State(YamlChunk&& chunk, const ReadLimits& limits, YamlParser which)
      : limits(limits),
        which(which),
        text(std::move(chunk.text)),
        first_line(chunk.first_line),
        builder(limits) {
    builder.set_source(first_line - 1, &breaks_added);
  }

  // What the text needs before a parser reads it (yaml_text.h); throws ParseError.
  void prepare() {
    drop_byte_order_mark(text);
    check_characters(text, first_line);
    breaks_added =
        which == YamlParser::kLibyaml ? other_line_breaks(text) : translate_line_breaks(text);
    check_flow_depth(text, first_line, limits.max_depth);
    parser = which == YamlParser::kLibyaml ? yaml_tree::make_libyaml_parser(text)
                                           : yaml_tree::make_yaml_cpp_parser(text);
  }

  ReadLimits limits;
  YamlParser which;
  std::string text;
  int first_line;
  std::vector<int> breaks_added;  // see translate_line_breaks
  TreeBuilder builder;
  std::unique_ptr<yaml_tree::ChunkParser> parser;
  bool prepared = false;
  bool done = false;
};

YamlChunkReader::YamlChunkReader(YamlChunk chunk, const ReadLimits& limits, YamlParser parser)
    : state_(std::make_unique<State>(std::move(chunk), limits, parser)) {}
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
    if (s.parser->next_document(s.builder)) {
      out = s.builder.take_root();
      return true;
    }
  } catch (...) {
    s.done = true;
    throw;
  }
  s.done = true;
  return false;
}

std::unique_ptr<DocumentReader> make_yaml_reader(std::istream& in, ReadLimits limits) {
  return std::make_unique<YamlReader>(in, limits, YamlParser::kLibyaml);
}

std::unique_ptr<DocumentReader> make_yaml_cpp_reader(std::istream& in, ReadLimits limits) {
  return std::make_unique<YamlReader>(in, limits, YamlParser::kYamlCpp);
}

}  // namespace bulwark::document
