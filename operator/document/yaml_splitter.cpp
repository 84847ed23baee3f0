// The YAML reader's first half (yaml_chunks.h): cuts a stream into one text per document.
#include "operator/document/yaml_chunks.h"

namespace bulwark::document {
namespace {

bool starts_marker(const std::string& line, const char* marker) {
  return line.compare(0, 3, marker) == 0 &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

// kubectl's document splitter (apimachinery's YAMLReader) also splits at "---" followed by a
// comment with no space ("---#x"), which is no marker to YAML: such a line becomes "---" here,
// so that the document after it is read as kubectl reads it.
bool opens_document(std::string& line) {
  if (starts_marker(line, "---")) return true;
  if (line.compare(0, 4, "---#") != 0) return false;
  line = "---";
  return true;
}

bool is_content(const std::string& line) {
  for (char ch : line) {
    if (ch == ' ' || ch == '\t' || ch == '\r') continue;
    return ch != '#' && ch != '%';
  }
  return false;
}

}  // namespace

struct YamlSplitter::State {
  State(std::istream& in, ReadLimits limits) : in(in), limits(limits) {}

  // Reads the next document's text into `chunk`: up to, not including, the next "---" line, or
  // through a "..." line.
  bool read_chunk(YamlChunk& chunk) {
    chunk.text.clear();
    bool content = false;  // the chunk holds a document, if only an empty one after "---"
    bool any = false;
    if (has_pending) {
      chunk.first_line = pending_line;
      chunk.text = std::move(pending);
      chunk.text += '\n';
      content = any = true;
      has_pending = false;
    } else {
      chunk.first_line = next_line;
    }
    std::string line;
    while (read_line(line)) {
      const int number = next_line++;
      const bool opens = opens_document(line);
      if (opens && content) {
        pending = std::move(line);
        pending_line = number;
        has_pending = true;
        return true;
      }
      any = true;
      chunk.text += line;
      chunk.text += '\n';
      if (chunk.text.size() > limits.max_document_bytes || line_too_long) {
        chunk.text.clear();
        chunk.text.shrink_to_fit();
        skip_to_next_marker();
        throw ParseError(
            "document is larger than " + std::to_string(limits.max_document_bytes >> 20) + " MiB",
            chunk.first_line, 0);
      }
      if (starts_marker(line, "...")) return true;
      content = content || opens || is_content(line);
    }
    return any;
  }

  // std::getline with a bound: a line is kept up to max_document_bytes and the rest of it
  // dropped (line_too_long says so), so a 200 MiB single line is never held whole.
  bool read_line(std::string& line) {
    line.clear();
    line_too_long = false;
    bool any = false;
    char block[1 << 14];
    for (;;) {
      // istream::get stops before the newline or when the block is full, and sets failbit when
      // it extracts nothing (an empty line).
      in.get(block, sizeof block, '\n');
      const auto got = static_cast<std::size_t>(in.gcount());
      any = any || got > 0;
      if (line.size() + got <= limits.max_document_bytes) {
        line.append(block, got);
      } else {
        line_too_long = true;
      }
      if (in.eof()) return any;
      if (got == 0) in.clear(in.rdstate() & ~std::ios::failbit);
      const int after = in.peek();
      if (after == '\n') {
        in.ignore();
        return true;
      }
      if (after == std::char_traits<char>::eof()) return any;
    }
  }

  // Drops the rest of an oversized document, so the next call starts at the following one.
  void skip_to_next_marker() {
    std::string line;
    while (read_line(line)) {
      const int number = next_line++;
      if (opens_document(line)) {
        pending = std::move(line);
        pending_line = number;
        has_pending = true;
        return;
      }
    }
  }

  std::istream& in;
  ReadLimits limits;
  int next_line = 1;    // stream line of the next line to read
  std::string pending;  // a "---" line read ahead, which opens the next chunk
  int pending_line = 0;
  bool has_pending = false;
  bool line_too_long = false;  // the last line read was cut at max_document_bytes
};

YamlSplitter::YamlSplitter(std::istream& in, ReadLimits limits)
    : state_(std::make_unique<State>(in, limits)) {}
YamlSplitter::~YamlSplitter() = default;

bool YamlSplitter::next(YamlChunk& out) { return state_->read_chunk(out); }

}  // namespace bulwark::document
