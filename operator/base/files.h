#pragma once

#include <optional>
#include <string>

namespace bulwark::base {

// The whole of a file, bytes as they are; nullopt when it cannot be opened or read. The one
// place Bulwark reads a file whole (kube::read_config_file is the throwing form for
// configuration).
std::optional<std::string> read_file(const std::string& path);

}  // namespace bulwark::base
