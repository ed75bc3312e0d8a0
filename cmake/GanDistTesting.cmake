# Test registration helpers. Labels: unit (single process, fast), mpi (several ranks),
# e2e (whole training runs), gpu (needs a GPU; skips with a message otherwise).

set(GAN_MPIEXEC_FLAGS --oversubscribe)
# CI and our machines run as root; Open MPI refuses that without these flags.
execute_process(COMMAND id -u OUTPUT_VARIABLE _gan_uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_gan_uid STREQUAL "0")
  list(APPEND GAN_MPIEXEC_FLAGS --allow-run-as-root)
endif()

# gan_add_unit_test(name sources... LIBS libs...)
function(gan_add_test_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
endfunction()

# gan_add_mpi_test(name RANKS 1 2 3 LABELS ... TIMEOUT s): registers name_npN for each N.
# A failed rank can leave its peers waiting, so every registration has a TIMEOUT.
function(gan_add_mpi_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "RANKS;LABELS;ARGS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  foreach(n IN LISTS ARG_RANKS)
    add_test(NAME ${name}_np${n}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${GAN_MPIEXEC_FLAGS}
                     $<TARGET_FILE:${name}> ${ARG_ARGS})
    set_tests_properties(${name}_np${n} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
                         PROCESSORS ${n})
  endforeach()
endfunction()
