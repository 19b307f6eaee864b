# Target-scoped warning and sanitizer flags, shared by every factdedup target.
function(factdedup_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wno-missing-field-initializers)
  if(FACTDEDUP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
    if(FACTDEDUP_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12 reports false positives in libstdc++ code instrumented by ASan (-Wrestrict in
      # std::string, -Wmaybe-uninitialized in std::regex's std::function): warnings only.
      target_compile_options(${target} PRIVATE -Wno-error=restrict
                             -Wno-error=maybe-uninitialized)
    endif()
  endif()
  if(FACTDEDUP_SANITIZE OR FACTDEDUP_FUZZ)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                           -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(FACTDEDUP_FUZZ)
    # Coverage instrumentation for libFuzzer; fuzz targets add -fsanitize=fuzzer (the main).
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# factdedup_library(NAME SOURCES... DEPS ...): one library target per component, aliased as
# factdedup::NAME, with includes written from the repository root ("dedup/minhash.h").
function(factdedup_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(factdedup_${name} STATIC ${ARG_SOURCES})
  add_library(factdedup::${name} ALIAS factdedup_${name})
  target_include_directories(factdedup_${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
  target_link_libraries(factdedup_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  factdedup_target_options(factdedup_${name})
endfunction()

# factdedup_test(NAME SOURCES... DEPS ...): one GoogleTest binary registered with CTest.
function(factdedup_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  factdedup_target_options(${name})
  target_compile_definitions(${name} PRIVATE
    FACTDEDUP_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    FACTDEDUP_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()
