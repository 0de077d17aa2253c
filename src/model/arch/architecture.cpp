#include "model/arch/architecture.hpp"

#include <array>

namespace weft::model {
namespace {

#define WEFT_ARCHITECTURE_TABLE_ENTRY(identifier) &arch::identifier,
constexpr std::array kArchitectures = {WEFT_MODEL_ARCHITECTURES(WEFT_ARCHITECTURE_TABLE_ENTRY)};
#undef WEFT_ARCHITECTURE_TABLE_ENTRY

}  // namespace

std::span<const ArchitectureSpec* const> all_architectures() {
  return kArchitectures;
}

const ArchitectureSpec& spec_of(Architecture architecture) {
  // The table is in the enum's order: both come from WEFT_MODEL_ARCHITECTURES.
  return *kArchitectures.at(static_cast<size_t>(architecture));
}

const ArchitectureSpec* find_architecture(std::string_view gguf_name) {
  for (const ArchitectureSpec* spec : kArchitectures) {
    if (spec->gguf_name == gguf_name) return spec;
  }
  return nullptr;
}

std::string_view to_string(Architecture architecture) {
  return spec_of(architecture).gguf_name;
}

std::optional<Architecture> parse_architecture(std::string_view gguf_name) {
  const ArchitectureSpec* spec = find_architecture(gguf_name);
  if (spec == nullptr) return std::nullopt;
  return spec->architecture;
}

std::string supported_architectures() {
  std::string names;
  for (const ArchitectureSpec* spec : kArchitectures) {
    if (!names.empty()) names += ", ";
    names += spec->gguf_name;
  }
  return names;
}

std::string architecture_summary(std::string_view gguf_name) {
  const ArchitectureSpec* spec = find_architecture(gguf_name);
  if (spec == nullptr) {
    return std::string(gguf_name) + ": not supported (supported: " + supported_architectures() +
           ")";
  }
  // bert's positions are a table of its own (position_embd, which its layout always has).
  const char* positions = spec->synthetic.position_embeddings                 ? "absolute positions"
                          : spec->hooks.rope_mode == tensor::RopeMode::normal ? "rope normal"
                                                                              : "rope neox";
  const char* kind = spec->hooks.encoder ? "embeddings only, " : "";
  return std::string(gguf_name) + ": runs natively (" + kind + positions + "); " +
         std::string(spec->differences);
}

}  // namespace weft::model
