# The chat page (src/http/ui/, docs/ui.md) compiled into the library: a build step turns its
# files into a C++ source (cmake/embed_ui_assets.cmake) whenever one of them changes.
file(GLOB WEFT_UI_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/http/ui/*)
set(WEFT_UI_ASSETS_SOURCE ${CMAKE_CURRENT_BINARY_DIR}/generated/http/ui_assets_data.cpp)
add_custom_command(
  OUTPUT ${WEFT_UI_ASSETS_SOURCE}
  COMMAND ${CMAKE_COMMAND} -DINPUT_DIR=${CMAKE_CURRENT_SOURCE_DIR}/src/http/ui
          -DOUTPUT=${WEFT_UI_ASSETS_SOURCE}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_ui_assets.cmake
  DEPENDS ${WEFT_UI_FILES} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_ui_assets.cmake
  COMMENT "Embedding the chat page (src/http/ui)"
  VERBATIM)
