# What users install: `cmake --install` of this build (files, pkg-config,
# systemd unit, the installed daemon serving a claim) and the container
# image built with buildah from the Containerfile's runtime stage.
find_program(BASH_EXECUTABLE bash REQUIRED)
add_test(NAME deploy.install COMMAND ${BASH_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/install.sh ${CMAKE_BINARY_DIR})
add_test(NAME deploy.image
         COMMAND ${BASH_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/image.sh ${CMAKE_BINARY_DIR} $<TARGET_FILE:prewarmd>)
set_tests_properties(deploy.install deploy.image PROPERTIES TIMEOUT 300 LABELS "deploy;packaging")
