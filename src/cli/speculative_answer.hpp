// `weft run --draft MODEL` and `weft run --lookup`: the answer generated with speculative
// decoding (weft/draft_speculator.hpp, weft/speculator.hpp) by weft::Generator on the native
// backend's contexts, which share its scheduler, model and KV pool. The tokens are those of
// plain `weft run` with the same sampling options and seed; only the number of model passes
// changes. Stop strings, grammars, logit bias and log-probabilities are not available on this
// path (weft::Generator has none of them) and are refused before anything runs.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "backend/native_backend.hpp"
#include "weft/events.hpp"
#include "weft/generator.hpp"
#include "weft/types.hpp"

namespace weft::cli {

struct SpeculationFlags {
  std::string draft_model;               // --draft: a GGUF file or store name ("" = none)
  uint32_t lookup = 0;                   // --lookup[=N]: prompt lookup with N-grams (0 = off)
  std::optional<uint32_t> draft_tokens;  // --draft-tokens
  float draft_min_probability = 0.0f;    // --draft-p-min

  bool wanted() const { return !draft_model.empty() || lookup != 0; }
};

void add_speculation_options(CLI::App& app, SpeculationFlags& flags);

struct SpeculativeAnswer {
  DoneEvent done;
  SpeculationStats speculation;
  uint32_t streamed_tokens = 0;
};

// Generates the answer to `request` on `native` (loaded), giving `emit` each piece of text as
// it becomes complete. `threads` is for the draft model (0: as ContextRuntime's default).
// Throws weft::Error for options this path cannot honour, a draft model that does not load
// or whose vocabulary differs from the target's, and as generation fails.
SpeculativeAnswer answer_speculatively(backend::NativeBackend& native,
                                       const GenerationRequest& request,
                                       const SpeculationFlags& flags, uint32_t threads,
                                       const std::function<void(std::string_view)>& emit);

// "speculation: 120 drafted, 96 accepted (80.0%), 40 passes for 140 tokens (3.50 per pass)".
std::string speculation_line(const SpeculativeAnswer& answer);
// The --stats line's "speculation" object: drafted, accepted, acceptance, passes.
nlohmann::json speculation_json(const SpeculativeAnswer& answer);

}  // namespace weft::cli
