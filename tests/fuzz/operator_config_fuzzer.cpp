// The operator's config file parser on any bytes: settings or errors naming the key.
#include <cstdint>
#include <sstream>

#include "config/operator_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  auto load = bulwark::config::parse_operator_config(in, "fuzz.yaml");
  if (load.ok()) (void)bulwark::config::validate(load.config);
  return 0;
}
