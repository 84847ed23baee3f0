// The canary's wire format on any bytes: never crashes, and whatever parses prints back to a line
// that parses to the same message (so nothing loose is accepted and then sent on).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "operator/canary/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark::canary;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto message = parse_message(input);
  if (!message) return 0;
  const std::string line = to_line(*message);
  const auto again = parse_message(line);
  if (line.empty() || line.size() > kMaxLine || !again || to_line(*again) != line) std::abort();
  return 0;
}
