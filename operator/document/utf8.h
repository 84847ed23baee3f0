#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bulwark::document {

// Decodes the code point at text[i] and advances i past it. False, with i unchanged, for bytes
// that are not well-formed UTF-8: truncated or stray continuation bytes, overlong forms,
// surrogates, or beyond U+10FFFF (what Go's unicode/utf8 and go-yaml refuse).
inline bool next_code_point(std::string_view text, std::size_t& i, std::uint32_t& cp) {
  const auto b = static_cast<unsigned char>(text[i]);
  const std::size_t width = b < 0x80             ? 1
                            : (b & 0xE0) == 0xC0 ? 2
                            : (b & 0xF0) == 0xE0 ? 3
                            : (b & 0xF8) == 0xF0 ? 4
                                                 : 0;
  if (width == 0 || i + width > text.size()) return false;
  std::uint32_t c = width == 1 ? b : width == 2 ? b & 0x1F : width == 3 ? b & 0x0F : b & 0x07;
  for (std::size_t k = 1; k < width; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return false;
    c = (c << 6) | (next & 0x3F);
  }
  if ((width == 2 && c < 0x80) || (width == 3 && c < 0x800) || (width == 4 && c < 0x10000) ||
      (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) {
    return false;
  }
  cp = c;
  i += width;
  return true;
}

// Whether all of `text` is well-formed UTF-8.
inline bool valid_utf8(std::string_view text) {
  std::uint32_t cp = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (!next_code_point(text, i, cp)) return false;
  }
  return true;
}

}  // namespace bulwark::document
