# bulwark_target(TARGET): the project's own compile settings. Third-party headers come in as SYSTEM
# through their imported targets, so warnings are about our code only.
#
# One include root: every project include is a path from the repository root
# ("operator/kube/client.h", "reconcilers/policy_set.h", "tests/base/fake_clock.h").
#
# Warnings are errors only when BULWARK_WERROR is on (scripts/build.sh, scripts/fuzz.sh and so CI
# turn it on): a packager's or user's build with another compiler or optimisation level must not
# fail on a compiler's false positive.
function(bulwark_target target)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(BULWARK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
    # GCC 12 at -O3 raises two warnings inside libstdc++ itself once its code is inlined into
    # ours: -Wrestrict in std::string's operator+ and assign (GCC bug 105329, fixed in GCC 13;
    # 14 places in this tree, none a real overlap) and -Wmaybe-uninitialized in std::map's move
    # constructor. They stay printed warnings there rather than stopping the Release build.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE -Wno-error=restrict -Wno-error=maybe-uninitialized)
    endif()
  endif()
  # cpprestsdk's U(x) macro breaks fmt's templates (and so spdlog's); see docs/architecture.md.
  target_compile_definitions(${target} PRIVATE _TURN_OFF_PLATFORM_STRING
                                               BULWARK_VERSION="${PROJECT_VERSION}")
  if(BULWARK_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    # Linked position-dependent: as a PIE, the unit tests' binary carried 89 MB of dynamic
    # relocations (the sanitizers' metadata for every global and check site), which each of the
    # ~700 test processes applied at start: 0.18 s a process against 0.10 s without (the ASan
    # unit stage is one process a test).
    target_link_options(${target} PRIVATE -fsanitize=address,undefined -no-pie)
  endif()
  if(BULWARK_FUZZ)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                                             -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
