// `--kv-type f16|f32|q8_0`: the KV cache's element type, one spelling for every command
// that loads a model for generation (run, chat, bench, perplexity, eval; serve has its own
// with a config key and WEFT_KV_TYPE). q8_0 is llama.cpp's `-ctk q8_0 -ctv q8_0`.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace weft::cli {

// Adds the option, checked against the known names, to `app`; `name` keeps its default
// ("f16") unless given. kv::kv_type_from_name() turns it into the element type.
// backend/native_settings.hpp gives it to the native backend of `run` and `chat`.
CLI::Option* add_kv_type_option(CLI::App& app, std::string& name);

}  // namespace weft::cli
