include(CMakePackageConfigHelpers)

install(TARGETS weft_static weft_shared EXPORT weftTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The interface targets carry only usage requirements; they are exported so that the
# installed library targets resolve, and the package config finds the same packages.
install(TARGETS weft_deps_public weft_deps_private weft_warnings EXPORT weftTargets)
install(TARGETS weft weft-engine RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/weft DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The inferlet SDK that `weft program run` starts Node on (WEFT_INSTALLED_SDK).
install(DIRECTORY sdk/js/ DESTINATION ${CMAKE_INSTALL_DATADIR}/weft/sdk/js
  PATTERN node_modules EXCLUDE PATTERN test EXCLUDE PATTERN package-lock.json EXCLUDE)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/generated/weft/version.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/weft)
install(FILES ${WEFT_DEFAULT_MODEL} assets/LICENSE.stories260K
  DESTINATION ${CMAKE_INSTALL_DATADIR}/weft OPTIONAL)

install(EXPORT weftTargets NAMESPACE weft:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/weft)
configure_package_config_file(cmake/weftConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/weftConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/weft)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/weftConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/weftConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/weftConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/weft)

# weft.pc names the prefix relative to its own directory (${pcfiledir}), because the prefix
# is often only chosen at install time (`cmake --install build --prefix P`). With an absolute
# CMAKE_INSTALL_LIBDIR the file's place says nothing about the prefix: it is written out.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(WEFT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH WEFT_PC_UP /weft-prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /weft-prefix)
  string(REGEX REPLACE "/$" "" WEFT_PC_UP "${WEFT_PC_UP}")
  set(WEFT_PC_PREFIX "\${pcfiledir}/${WEFT_PC_UP}")
endif()
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(WEFT_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(WEFT_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
configure_file(cmake/weft.pc.in ${CMAKE_CURRENT_BINARY_DIR}/weft.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/weft.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
