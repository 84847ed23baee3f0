#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "operator/document/value.h"

namespace bulwark::kube {

// One event of a watch stream.
struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type;
  document::Value object;  // for kError, a metav1.Status
};

// Turns the bytes of a watch response into events. The server sends one JSON object per line,
// but the transport may cut the bytes anywhere: a line can arrive in pieces, or several at once.
// Not thread-safe.
class WatchDecoder {
 public:
  void feed(std::string_view bytes) { buffer_.append(bytes); }
  // The next complete event, or nullopt until more bytes arrive. Throws document::ParseError
  // for a line that is not a watch event; the bad line is dropped.
  std::optional<WatchEvent> next();
  // Bytes held that do not yet make a whole line (a stream that ends here ended early).
  std::size_t pending() const { return buffer_.size() - offset_; }

 private:
  std::string buffer_;
  std::size_t offset_ = 0;
};

}  // namespace bulwark::kube
