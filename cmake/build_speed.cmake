# Build time: precompiled headers and unity batches.
#
# Most of a clean build went into parsing the same third-party headers (nlohmann/json, fmt,
# CLI11, GoogleTest) in every translation unit and compiling the same inline functions of
# them again in each. A precompiled header per target parses them once, and every target is
# compiled in unity batches (AHA_UNITY_BATCH_SIZE sources per object), so the inline code the
# sources of a batch share is generated once. The flags stay as they are (-O3, -march=x86-64-v3,
# -ffp-contract=off, no fast-math): inlining across the sources of a batch cannot change a
# floating-point result, and scripts/compare-inference checks that outputs are byte-identical.
# The kernels and forward passes are left out of the batches (CMakeLists.txt: AHA_HOT_SOURCES).
#
# In a batch, file-local names of different sources meet: two sources may not define the same
# name in their anonymous namespaces (name it after its file: `GrpoKey`, `SequenceDecoder`),
# and a class a source's own class holds as a member may not live in its anonymous namespace.
# AHA_UNITY=OFF compiles one object per source (faster when editing one file of a batch).

option(AHA_PCH "Precompile the third-party headers of each target" ON)
option(AHA_UNITY "Compile in unity batches" ON)
set(AHA_UNITY_BATCH_SIZE 8 CACHE STRING "Sources per unity batch")

# Standard headers that most sources of every target include.
set(AHA_PCH_STD
  <algorithm> <array> <cmath> <cstddef> <cstdint> <cstdlib> <cstring> <filesystem> <fstream>
  <functional> <map> <memory> <optional> <span> <sstream> <string> <string_view>
  <unordered_map> <utility> <vector>)

# aha_precompile(target header...): `target` precompiles the standard set plus `header...`.
function(aha_precompile target)
  if(AHA_PCH)
    target_precompile_headers(${target} PRIVATE ${AHA_PCH_STD} ${ARGN})
  endif()
endfunction()

# aha_unity(target): compiles `target` in unity batches.
function(aha_unity target)
  if(AHA_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${AHA_UNITY_BATCH_SIZE})
  endif()
endfunction()

# aha_unity_commands(target): unity batches for the command files. Every command file registers
# itself through a file-local `const bool registered`; in a batch each file's `registered` is
# renamed after the file's unique id, so the files stay as they are and new ones need nothing.
function(aha_unity_commands target)
  if(AHA_UNITY)
    aha_unity(${target})
    set_target_properties(${target} PROPERTIES
      UNITY_BUILD_UNIQUE_ID AHA_UNITY_ID
      UNITY_BUILD_CODE_BEFORE_INCLUDE "#define AHA_UNITY_CAT2(a, b) a##b\n#define AHA_UNITY_CAT(a, b) AHA_UNITY_CAT2(a, b)\n#define registered AHA_UNITY_CAT(registered_, AHA_UNITY_ID)"
      UNITY_BUILD_CODE_AFTER_INCLUDE "#undef registered\n#undef AHA_UNITY_CAT\n#undef AHA_UNITY_CAT2")
  endif()
endfunction()
