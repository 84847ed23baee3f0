#pragma once

#include <istream>
#include <memory>
#include <string>

#include "operator/document/reader.h"

namespace bulwark::document {

// The YAML reader in its two halves, for readers that parse documents on several threads
// (bulwark scan -j): a splitter that cuts the stream into one text per document, which is cheap
// and must run in stream order, and a chunk reader that parses one such text, which is the cost
// and may run anywhere. make_yaml_reader is the two in sequence, so both ways read every stream
// alike: the same documents, values, lines and errors, in the same order.

// One document's text as cut from its stream, and where it starts.
struct YamlChunk {
  std::string text;
  int first_line = 1;  // the stream line of its first line
};

// Cuts a stream at document markers: "---" (and kubectl's "---#...") at the start of a line opens
// a document, a "..." line closes one; lines with no content (comments, directives) go with the
// document that follows them. YAML forbids both markers inside content, so no document is cut
// through. Not thread-safe; the stream must outlive the splitter.
class YamlSplitter {
 public:
  YamlSplitter(std::istream& in, ReadLimits limits);
  ~YamlSplitter();
  // Fills `out` with the next document's text; false at the end of the stream. Throws ParseError
  // for a document over max_document_bytes, which it skips: the next call goes on after it.
  bool next(YamlChunk& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Which parser reads a chunk: libyaml (the reader's), or yaml-cpp (the reader it replaced, kept as
// fuzz_yaml_differential's oracle).
enum class YamlParser { kLibyaml, kYamlCpp };

// The reader of make_yaml_reader with yaml-cpp's parser: the oracle only.
std::unique_ptr<DocumentReader> make_yaml_cpp_reader(std::istream& in, ReadLimits limits = {});

// Reads the documents of one chunk, one at a time (a chunk holds one, or none when it is only
// comments; yaml-cpp decides). Thread-compatible: one reader a thread.
class YamlChunkReader {
 public:
  YamlChunkReader(YamlChunk chunk, const ReadLimits& limits,
                  YamlParser parser = YamlParser::kLibyaml);
  ~YamlChunkReader();
  // Fills `out` with the chunk's next document and returns true; false when it has no more.
  // Throws ParseError for a malformed document; the rest of the chunk is then not read (the next
  // call returns false).
  bool next(Value& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace bulwark::document
