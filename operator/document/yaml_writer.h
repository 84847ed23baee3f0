#pragma once

#include <string>

#include "operator/document/value.h"

namespace bulwark::document {

// A Value as a block-style YAML document (no leading "---"), through yaml-cpp's emitter. A string
// whose plain form Kubernetes would read as something else ("true", "1.0", "null", "") is
// double-quoted, so the YAML reads back as the same JSON.
std::string to_yaml(const Value& v);

}  // namespace bulwark::document
