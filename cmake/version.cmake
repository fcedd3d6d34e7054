# Writes version.h (cmake -P, at every build): the project version, the git
# commit the tree was built from (`git describe --always --dirty`, or
# PREWARM_GIT_COMMIT when given, or "unknown" outside a git checkout), the
# build type and the compiler. configure_file leaves an unchanged file alone,
# so nothing rebuilds unless one of them changed.
#   cmake -DSRC=... -DIN=... -DOUT=... -DPROJECT_VERSION=... -DPREWARM_BUILD_TYPE=...
#         -DPREWARM_COMPILER=... [-DPREWARM_GIT_COMMIT=...] -P version.cmake
if(NOT PREWARM_GIT_COMMIT)
  execute_process(COMMAND git -C ${SRC} describe --always --dirty --abbrev=12
                  OUTPUT_VARIABLE PREWARM_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0 OR PREWARM_GIT_COMMIT STREQUAL "")
    set(PREWARM_GIT_COMMIT unknown)
  endif()
endif()
if(NOT PREWARM_BUILD_TYPE)
  set(PREWARM_BUILD_TYPE "default")
endif()
configure_file(${IN} ${OUT} @ONLY)
