// The JSON reader on any bytes: a document or a ParseError, within its limits; what it returns
// is written and read back to the same JSON; and against the reader it replaced
// (cpprest_json_oracle.h): it never accepts what that refuses, and reads the same values (members
// compared in name order, as that one kept them).
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "operator/document/json_writer.h"
#include "tests/fuzz/cpprest_json_oracle.h"
#include "tests/fuzz/fuzz_limits.h"

using bulwark::document::ParseError;
using bulwark::document::Value;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::istringstream in(text);
  Value doc;
  try {
    if (!bulwark::document::make_json_reader(in, bulwark::fuzz::limits())->next(doc)) return 0;
  } catch (const ParseError&) {
    return 0;
  }
  const std::string json = bulwark::document::to_json(doc);
  Value oracle;
  try {
    oracle = bulwark::fuzz::cpprest_parse_json(text, bulwark::fuzz::limits());
  } catch (const ParseError&) {
    std::abort();  // accepted what the old reader refused
  }
  if (bulwark::document::to_json(bulwark::fuzz::sorted(std::move(oracle))) !=
      bulwark::document::to_json(bulwark::fuzz::sorted(doc))) {
    std::abort();  // read another value than the old reader
  }
  std::istringstream back(json);
  Value again;
  bulwark::document::make_json_reader(back)->next(again);
  if (bulwark::document::to_json(again) != json) std::abort();
  return 0;
}
