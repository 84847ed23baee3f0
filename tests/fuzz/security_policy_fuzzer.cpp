// The SecurityPolicy parser on any YAML: a policy or field errors, never a crash.
#include <cstdint>
#include <sstream>

#include "operator/policy/security_policy.h"
#include "tests/fuzz/fuzz_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  bulwark::document::Value doc;
  try {
    if (!bulwark::document::make_yaml_reader(in, bulwark::fuzz::limits())->next(doc)) return 0;
  } catch (const bulwark::document::ParseError&) {
    return 0;
  }
  auto parsed = bulwark::crds::parse_security_policy(doc);
  (void)parsed.ok();
  return 0;
}
