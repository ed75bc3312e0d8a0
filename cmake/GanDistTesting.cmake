# Test registration helpers. Labels: unit (single process, fast), mpi (several ranks),
# e2e (whole training runs), slurm (a local Slurm), gpu (needs a GPU; skips with a message otherwise).
include(GoogleTest)

# More ranks than the machine's cores is normal in tests.
set(GAN_MPIEXEC_FLAGS --oversubscribe)
# Open MPI refuses to run as root (CI and our machines) unless told it is fine. The mpi tests get
# the permission as environment per test, and the e2e helpers decide at run time (geteuid), so
# nothing about the user is baked in at configure time.
set(GAN_MPI_TEST_ENVIRONMENT OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1)
if(GAN_DIST_SANITIZE)
  # Open MPI keeps allocations to the end of the process by design; its "leaks" are not ours.
  list(APPEND GAN_MPI_TEST_ENVIRONMENT ASAN_OPTIONS=detect_leaks=0)
endif()

# gan_add_test_executable(name SOURCES sources... LIBS libs...)
function(gan_add_test_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} gan_test_support GTest::gtest)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
endfunction()

# gan_discover_tests(target PREFIX p LABELS ... TIMEOUT s [PROCESSORS n] [ENVIRONMENT VAR=value]
#                    [TEST_FILTER gtest_filter] [PROPERTIES name value ...]):
# one CTest entry per GoogleTest case, so a failure names its test and a long binary shows progress.
# TEST_FILTER registers only the cases it matches: a target whose cases need different properties
# (the cores they use, a fixture) is registered once per group, the groups' filters disjoint.
function(gan_discover_tests target)
  cmake_parse_arguments(ARG "" "PREFIX;TIMEOUT;PROCESSORS;TEST_FILTER" "LABELS;ENVIRONMENT;PROPERTIES" ${ARGN})
  if(NOT ARG_PROCESSORS)
    set(ARG_PROCESSORS 1)
  endif()
  set(environment)
  if(ARG_ENVIRONMENT)
    # gtest_discover_tests writes a list value as several arguments: the second variable would be
    # taken for a property's name.
    list(LENGTH ARG_ENVIRONMENT variables)
    if(variables GREATER 1)
      message(FATAL_ERROR "gan_discover_tests(${target}): one ENVIRONMENT variable at most")
    endif()
    set(environment ENVIRONMENT "${ARG_ENVIRONMENT}")
  endif()
  set(filter)
  if(ARG_TEST_FILTER)
    set(filter TEST_FILTER "${ARG_TEST_FILTER}")
  endif()
  # NO_PRETTY_VALUES: value-parameterized tests are named by their name generator alone.
  gtest_discover_tests(${target} TEST_PREFIX "${ARG_PREFIX}." DISCOVERY_TIMEOUT 60 NO_PRETTY_VALUES ${filter}
                       PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} PROCESSORS ${ARG_PROCESSORS}
                                  ${environment} ${ARG_PROPERTIES})
endfunction()

# gan_add_as_avx2_test(name LABELS ... TIMEOUT s [PROCESSORS n] COMMAND ...): the command again as an
# AVX2-only CPU sees it (tests/support/as_avx2_cpu.sh), named name.as_avx2; it skips on a CPU
# without AVX-512, where the plain entries already ran that way.
function(gan_add_as_avx2_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;PROCESSORS" "LABELS;COMMAND" ${ARGN})
  if(NOT ARG_PROCESSORS)
    set(ARG_PROCESSORS 1)
  endif()
  add_test(NAME ${name}.as_avx2 COMMAND bash ${PROJECT_SOURCE_DIR}/tests/support/as_avx2_cpu.sh ${ARG_COMMAND})
  set_tests_properties(${name}.as_avx2 PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} SKIP_RETURN_CODE 77
                       PROCESSORS ${ARG_PROCESSORS} ENVIRONMENT "${GAN_MPI_TEST_ENVIRONMENT}")
endfunction()

# gan_add_mpi_test(name RANKS 1 2 3 LABELS ... TIMEOUT s [VARIANT v ENVIRONMENT VAR=value ...]):
# registers name_npN (name_v_npN with a VARIANT, run with the extra environment) for each N.
# A failed rank can leave its peers waiting, so every registration has a TIMEOUT.
function(gan_add_mpi_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;VARIANT" "RANKS;LABELS;ARGS;ENVIRONMENT" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set(prefix ${name})
  if(ARG_VARIANT)
    set(prefix ${name}_${ARG_VARIANT})
  endif()
  foreach(n IN LISTS ARG_RANKS)
    add_test(NAME ${prefix}_np${n}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${GAN_MPIEXEC_FLAGS}
                     $<TARGET_FILE:${name}> ${ARG_ARGS})
    set_tests_properties(${prefix}_np${n} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
                         PROCESSORS ${n} ENVIRONMENT "${GAN_MPI_TEST_ENVIRONMENT};${ARG_ENVIRONMENT}")
  endforeach()
endfunction()
