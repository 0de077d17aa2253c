# Every dependency comes from Debian's packages; README.md says why each one is here.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(spdlog REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
# The checksum of the packed-weight cache files (model/packed_weight_cache.cpp).
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
# The line editor of `weft chat` (only the weft executable links it).
pkg_check_modules(LIBEDIT REQUIRED IMPORTED_TARGET libedit)
find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
find_path(HTTPLIB_INCLUDE_DIR httplib.h REQUIRED)
# Debian builds cpp-httplib as a shared library; its pkg-config file also carries the feature
# macros the header must be compiled with. Only the HTTP server's sources include it, so only
# they get those macros (CMakeLists.txt); the library links it.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

add_library(weft_deps_public INTERFACE)
target_link_libraries(weft_deps_public INTERFACE Threads::Threads)

add_library(weft_deps_private INTERFACE)
target_link_libraries(weft_deps_private INTERFACE
  nlohmann_json::nlohmann_json CLI11::CLI11 CURL::libcurl OpenSSL::Crypto PkgConfig::PCRE2 PkgConfig::UTF8PROC
  PkgConfig::XXHASH
  ${HTTPLIB_LINK_LIBRARIES} Threads::Threads)
target_include_directories(weft_deps_private INTERFACE ${ASIO_INCLUDE_DIR} ${HTTPLIB_INCLUDE_DIR})
target_compile_definitions(weft_deps_private INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
