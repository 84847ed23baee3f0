#include "operator/kube/watch_decoder.h"

#include "operator/document/reader.h"

namespace bulwark::kube {

std::optional<WatchEvent> WatchDecoder::next() {
  for (;;) {
    const auto newline = buffer_.find('\n', offset_);
    if (newline == std::string::npos) {
      // Keep only the unfinished line, so the buffer never grows past one event.
      buffer_.erase(0, offset_);
      offset_ = 0;
      return std::nullopt;
    }
    std::string_view line(buffer_.data() + offset_, newline - offset_);
    offset_ = newline + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;

    document::Value v = document::parse_json(line);
    const document::Value* type = v.find("type");
    document::Value* object = const_cast<document::Value*>(v.find("object"));
    if (type == nullptr || object == nullptr) {
      throw document::ParseError("watch event without type or object", 0, 0);
    }
    WatchEvent event;
    const auto t = type->str();
    if (t == "ADDED") {
      event.type = WatchEvent::Type::kAdded;
    } else if (t == "MODIFIED") {
      event.type = WatchEvent::Type::kModified;
    } else if (t == "DELETED") {
      event.type = WatchEvent::Type::kDeleted;
    } else if (t == "BOOKMARK") {
      event.type = WatchEvent::Type::kBookmark;
    } else if (t == "ERROR") {
      event.type = WatchEvent::Type::kError;
    } else {
      throw document::ParseError("unknown watch event type \"" + std::string(t) + "\"", 0, 0);
    }
    event.object = std::move(*object);
    return event;
  }
}

}  // namespace bulwark::kube
