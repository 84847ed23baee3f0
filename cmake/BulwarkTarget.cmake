# bulwark_target(TARGET): the project's own compile settings. Warnings are errors on our code only;
# third-party headers come in as SYSTEM through their imported targets.
function(bulwark_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  # cpprestsdk's U(x) macro breaks fmt's templates (and so spdlog's); see ARCHITECTURE.md.
  target_compile_definitions(${target} PRIVATE _TURN_OFF_PLATFORM_STRING
                                               BULWARK_VERSION="${PROJECT_VERSION}")
  if(BULWARK_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(BULWARK_FUZZ)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                                             -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
