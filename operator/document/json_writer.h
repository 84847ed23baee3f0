#pragma once

#include <string>

#include "document/value.h"

namespace bulwark::document {

// Appends `v` as minified JSON. Quoted scalars become strings; unquoted ones keep their text when
// it is a JSON number, true, false or null, and become strings otherwise (YAML's plain scalars).
void write_json(const Value& v, std::string& out);
std::string to_json(const Value& v);

}  // namespace bulwark::document
