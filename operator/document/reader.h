#pragma once

#include <istream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "operator/document/value.h"

namespace bulwark::document {

// A document the input could not be read as: says where (1-based line and column, 0 if unknown).
// `syntax`: the YAML parser refused the text itself, rather than one of the reader's rules (a
// duplicate key, a limit, a scalar Kubernetes would refuse).
class ParseError : public std::runtime_error {
 public:
  ParseError(const std::string& what, int line, int column, bool syntax = false)
      : std::runtime_error(what), line_(line), column_(column), syntax_(syntax) {}
  int line() const { return line_; }
  int column() const { return column_; }
  bool syntax() const { return syntax_; }

 private:
  int line_;
  int column_;
  bool syntax_;
};

// Limits that keep a hostile or broken input from exhausting memory or the stack.
// Aliases count at the size they expand to, so a "billion laughs" document stops at the bound
// however few bytes it has. Kubernetes itself refuses request bodies over 3 MiB; these leave room
// for `kubectl get -o yaml` dumps of whole clusters.
struct ReadLimits {
  std::size_t max_nodes_per_document = 2'000'000;
  std::size_t max_depth = 256;
  std::size_t max_document_bytes = 32u << 20;  // YAML: one document's text, and one line
  // A document's parsed size: each node at sizeof(Value) plus its text and key (YAML), or what
  // the tree allocates, vectors' spare capacity included (JSON).
  std::size_t max_expanded_bytes = 256u << 20;
  // What aliases may add to that: manifests rarely use them, and go-yaml (kubectl) refuses
  // "excessive aliasing" too. Keeps a 71 KB file of aliases near 16 MiB rather than 256.
  std::size_t max_alias_bytes = 16u << 20;
  std::size_t max_json_bytes = 32u << 20;  // JSON is parsed whole, standard input included
};

// Reads the documents of one stream one at a time, so memory follows the largest document rather
// than the whole stream. Not thread-safe; the stream must outlive the reader.
class DocumentReader {
 public:
  virtual ~DocumentReader() = default;
  // Fills `out` with the next document and returns true; false at the end of the stream.
  // Throws ParseError for a malformed document. A YAML reader then goes on with the next
  // document on the next call; a JSON reader, which holds one document, is done.
  virtual bool next(Value& out) = 0;
};

// Multi-document YAML ("---" separated).
std::unique_ptr<DocumentReader> make_yaml_reader(std::istream& in, ReadLimits limits = {});
// A single JSON value; parsed with the JSON parser, far faster than YAML's for the same bytes.
std::unique_ptr<DocumentReader> make_json_reader(std::istream& in, ReadLimits limits = {});
// One JSON document from text; throws ParseError.
Value parse_json(std::string_view text, const ReadLimits& limits = {});

}  // namespace bulwark::document
