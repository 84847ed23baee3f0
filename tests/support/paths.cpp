// The only test source compiled with the checkout's paths (tests/CMakeLists.txt defines them for
// this file alone): every other test file then compiles to the same object in every checkout,
// which a compiler cache can serve to a fresh clone at another path (scripts/build.sh).
#include "tests/support/paths.h"

namespace bulwark::test {

const char* source_dir() { return BULWARK_SOURCE_DIR; }
const char* bulwark_binary() { return BULWARK_BINARY; }

}  // namespace bulwark::test
