#pragma once

#include <string>

#include "operator/document/value.h"

namespace bulwark::document {

// Appends `v` as minified JSON. Quoted scalars become strings; unquoted ones keep their text when
// it is a JSON number, true, false or null, and become strings otherwise (YAML's plain scalars).
void write_json(const Value& v, std::string& out);
std::string to_json(const Value& v);

// Appends `s` escaped for the inside of a JSON string (no quotes added).
void append_json_escaped(std::string_view s, std::string& out);
// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

}  // namespace bulwark::document
