# Installs the build into a scratch prefix, then builds and runs a consumer twice: with
# find_package(weft), and with the flags of `pkg-config --cflags --libs weft`.
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
  RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "install failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer
  -B ${WORK_DIR}/consumer -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the consumer with find_package(weft) failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the consumer failed")
endif()
file(GLOB_RECURSE installed_model ${WORK_DIR}/prefix/*/stories260K-f32.gguf)
file(GLOB_RECURSE installed_runner ${WORK_DIR}/prefix/*/weft/sdk/js/runner.mjs)
file(GLOB_RECURSE installed_engine ${WORK_DIR}/prefix/*/weft-engine)
# scripts/setup.sh puts `weft` on PATH this way: it must be in the prefix's bin/ and run.
execute_process(COMMAND ${WORK_DIR}/prefix/bin/weft --version OUTPUT_VARIABLE weft_version
  RESULT_VARIABLE rc)
if(rc OR NOT weft_version MATCHES "^weft ")
  message(FATAL_ERROR "the installed bin/weft does not run: ${weft_version}")
endif()
if(NOT installed_model OR NOT installed_runner OR NOT installed_engine)
  message(FATAL_ERROR "the install lacks the bundled model, the inferlet SDK's runner or weft-engine")
endif()
# weft-engine beside weft answers the engine protocol (docs/engine-protocol.md).
execute_process(COMMAND ${installed_engine} --version OUTPUT_VARIABLE engine_version RESULT_VARIABLE rc)
if(rc OR NOT engine_version MATCHES "^weft-engine ")
  message(FATAL_ERROR "the installed weft-engine does not run: ${engine_version}")
endif()
execute_process(COMMAND ${WORK_DIR}/consumer/weft_consumer ${installed_model}
  OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(rc OR NOT out MATCHES "stub.*masked-argmax=2 generated=8")
  message(FATAL_ERROR "the consumer did not run: ${out}")
endif()

# pkg-config: the consumer compiled, linked and run with nothing but its flags, from the
# .pc file of this prefix (which must name this prefix, not the configured one).
file(GLOB_RECURSE pc_files ${WORK_DIR}/prefix/*/weft.pc)
list(LENGTH pc_files pc_count)
if(NOT pc_count EQUAL 1)
  message(FATAL_ERROR "expected one installed weft.pc, found: ${pc_files}")
endif()
get_filename_component(pc_dir ${pc_files} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
foreach(query cflags libs variable=libdir)
  string(REPLACE "=" "_" name ${query})
  execute_process(COMMAND pkg-config --${query} weft RESULT_VARIABLE rc
    OUTPUT_VARIABLE pc_${name} OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rc)
    message(FATAL_ERROR "pkg-config --${query} weft failed")
  endif()
endforeach()
file(REAL_PATH ${pc_variable_libdir} pc_libdir)
file(REAL_PATH ${WORK_DIR}/prefix prefix_real)
string(FIND "${pc_libdir}" "${prefix_real}/" at)
if(NOT at EQUAL 0)
  message(FATAL_ERROR "weft.pc points outside the install prefix: libdir ${pc_libdir}")
endif()
find_program(cxx NAMES c++ g++ REQUIRED)
separate_arguments(cflags UNIX_COMMAND "${pc_cflags}")
separate_arguments(libs UNIX_COMMAND "${pc_libs}")
execute_process(COMMAND ${cxx} -std=c++20 ${cflags} ${SOURCE_DIR}/tests/install/consumer/main.cpp
  -o ${WORK_DIR}/pkg_config_consumer ${libs} RESULT_VARIABLE rc ERROR_VARIABLE compile_err)
if(rc)
  message(FATAL_ERROR "compiling the consumer with `pkg-config --cflags --libs weft` "
    "(${pc_cflags} ${pc_libs}) failed: ${compile_err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${pc_libdir}
  ${WORK_DIR}/pkg_config_consumer OUTPUT_VARIABLE pc_out RESULT_VARIABLE rc)
if(rc OR NOT pc_out MATCHES "stub.*masked-argmax=2")
  message(FATAL_ERROR "the consumer built with pkg-config did not run: ${pc_out}")
endif()
message(STATUS "find_package(weft) and pkg-config work: ${out}")
