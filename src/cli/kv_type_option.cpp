#include "cli/kv_type_option.hpp"

namespace weft::cli {

CLI::Option* add_kv_type_option(CLI::App& app, std::string& name) {
  return app
      .add_option("--kv-type", name,
                  "KV cache element type: f16 (default), f32, or q8_0 (8-bit blocks of 32 with "
                  "one f16 scale: about half the memory of f16; needs a head size that is a "
                  "multiple of 32)")
      ->check(CLI::IsMember({"f16", "f32", "q8_0"}));
}

}  // namespace weft::cli
