// Where the unit tests find the checkout's files and the bulwark binary they were built with.
#pragma once

namespace bulwark::test {

// The checkout's root, as CMake saw it.
const char* source_dir();
// The bulwark binary of the same build.
const char* bulwark_binary();

}  // namespace bulwark::test
