// The watch decoder on any bytes, cut where the first byte says (the transport cuts anywhere):
// events or ParseErrors, and the same events however the bytes were cut.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "operator/document/json_writer.h"
#include "operator/document/reader.h"
#include "operator/kube/watch_decoder.h"

namespace {

std::vector<std::string> decode(std::string_view bytes, std::size_t cut) {
  bulwark::kube::WatchDecoder decoder;
  std::vector<std::string> events;
  auto drain = [&] {
    for (;;) {
      try {
        auto e = decoder.next();
        if (!e) return;
        events.push_back(std::to_string(static_cast<int>(e->type)) +
                         bulwark::document::to_json(e->object));
      } catch (const bulwark::document::ParseError&) {
        events.push_back("error");
      }
    }
  };
  decoder.feed(bytes.substr(0, cut));
  drain();
  decoder.feed(bytes.substr(cut));
  drain();
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > (1u << 20)) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t cut = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
  if (decode(bytes, cut) != decode(bytes, bytes.size())) std::abort();
  return 0;
}
