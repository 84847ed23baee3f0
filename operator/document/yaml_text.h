#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace bulwark::document {

// Lexical passes over one YAML document's text before yaml-cpp reads it, each for a way yaml-cpp
// differs from go-yaml v2 (kubectl's decoder) or from what memory allows. Errors are ParseErrors
// with stream lines (`first_line` is the text's first line).

// Refuses what go-yaml v2 refuses: text that is not well-formed UTF-8 of printable characters.
void check_characters(const std::string& text, int first_line);

// Writes as LF every line break go-yaml v2 knows and yaml-cpp does not; returns the text's lines
// (0-based) that a translated break began.
std::vector<int> translate_line_breaks(std::string& text);

// The same lines, for a parser that knows those breaks (libyaml) and reads the text unchanged:
// each counts as a line to it and not to an editor's count of LFs.
std::vector<int> other_line_breaks(const std::string& text);

// Refuses flow collections nested deeper than max_depth before yaml-cpp buffers them.
void check_flow_depth(const std::string& text, int first_line, std::size_t max_depth);

}  // namespace bulwark::document
