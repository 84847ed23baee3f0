#include "operator/base/files.h"

#include <fstream>

namespace bulwark::base {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  char chunk[1 << 16];
  // A read error (a folder given as a file, an I/O error part way) sets badbit; the end of the
  // file only eofbit and failbit.
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return std::nullopt;
  return text;
}

}  // namespace bulwark::base
