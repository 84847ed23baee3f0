// The YAML reader on any bytes: it returns documents or throws ParseError, within its limits,
// and every document it returns becomes JSON that the JSON reader reads back.
#include <cstdint>
#include <sstream>

#include "operator/document/json_writer.h"
#include "tests/fuzz/fuzz_limits.h"

using bulwark::document::ParseError;
using bulwark::document::Value;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  auto reader = bulwark::document::make_yaml_reader(in, bulwark::fuzz::limits());
  Value doc;
  for (int i = 0; i < 256; ++i) {
    try {
      if (!reader->next(doc)) break;
    } catch (const ParseError&) {
      continue;
    }
    const std::string json = bulwark::document::to_json(doc);
    std::istringstream back(json);
    Value again;
    bulwark::document::make_json_reader(back)->next(again);  // throws, and so crashes, if not JSON
  }
  return 0;
}
