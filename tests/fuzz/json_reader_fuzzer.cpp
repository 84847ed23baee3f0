// The JSON reader on any bytes: a document or a ParseError, within its limits; what it returns
// is written and read back to the same JSON.
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "operator/document/json_writer.h"
#include "tests/fuzz/fuzz_limits.h"

using bulwark::document::ParseError;
using bulwark::document::Value;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  Value doc;
  try {
    if (!bulwark::document::make_json_reader(in, bulwark::fuzz::limits())->next(doc)) return 0;
  } catch (const ParseError&) {
    return 0;
  }
  const std::string json = bulwark::document::to_json(doc);
  std::istringstream back(json);
  Value again;
  bulwark::document::make_json_reader(back)->next(again);
  if (bulwark::document::to_json(again) != json) std::abort();
  return 0;
}
