# medmask_set_warnings(target): the project's warning set, errors when MEDMASK_WERROR is on.
function(medmask_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wold-style-cast)
  # GCC 12 reports false -Wrestrict positives inside libstdc++'s string concatenation at -O3
  # (GCC bug 105329); they are not in our code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(MEDMASK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
