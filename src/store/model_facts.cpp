#include "store/model_facts.hpp"

#include <cstdio>

#include "backend/native_backend.hpp"
#include "gguf/gguf_file.hpp"

namespace weft::store {

ModelFacts model_facts(const gguf::GgufFile& file) {
  ModelFacts facts;
  facts.name = file.get_string("general.name").value_or("");
  facts.architecture = file.get_string("general.architecture").value_or("");
  for (const auto& tensor : file.tensors()) facts.parameters += tensor.element_count();
  if (!facts.architecture.empty()) {
    facts.context_length = file.get_uint(facts.architecture + ".context_length").value_or(0);
  }
  facts.quantization = backend::quantization_of(file);
  const auto chat_template = file.get_string("tokenizer.chat_template");
  facts.has_chat_template = chat_template.has_value();
  if (chat_template) {
    facts.chat_template_first_line = chat_template->substr(0, chat_template->find('\n'));
  }
  facts.license = file.get_string("general.license").value_or("");
  return facts;
}

std::string parameter_text(uint64_t parameters) {
  char text[32];
  if (parameters >= 1'000'000'000) {
    std::snprintf(text, sizeof text, "%.1fB", static_cast<double>(parameters) / 1e9);
  } else if (parameters >= 1'000'000) {
    std::snprintf(text, sizeof text, "%.0fM", static_cast<double>(parameters) / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.0fK", static_cast<double>(parameters) / 1e3);
  }
  return text;
}

}  // namespace weft::store
