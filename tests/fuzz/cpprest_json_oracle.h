#pragma once

#include <string>

#include "operator/document/reader.h"

namespace bulwark::fuzz {

// The JSON reader Bulwark had before its own (operator/document/json_reader.cpp): cpprestsdk's
// web::json parser, then converted to Value refusing what the reader refuses (nesting, node count,
// duplicate members, strings that are not UTF-8). Kept as fuzz_json_reader's oracle: the new
// reader must never accept what this refuses, and must read the same values. This one is looser
// where cpprestsdk is (comments, leading zeros, numbers beyond float64 read as "inf"), which the
// new reader refuses as Go does. Throws document::ParseError.
document::Value cpprest_parse_json(const std::string& text, document::ReadLimits limits);

// `v` with every mapping's members in name order, as cpprestsdk keeps them (the new reader keeps
// the document's order), so that the two compare by content.
document::Value sorted(document::Value v);

}  // namespace bulwark::fuzz
