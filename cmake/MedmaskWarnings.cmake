# medmask_set_warnings(target): the project's warning set, errors when MEDMASK_WERROR is on.
function(medmask_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow -Wold-style-cast)
  if(MEDMASK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
