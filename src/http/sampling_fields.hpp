// The sampling and stopping fields OpenAI's and Ollama's requests share (and llama.cpp's
// extensions top_k, min_p, repeat_penalty), read into GenerationOptions.
#pragma once

#include "http/request_fields.hpp"
#include "weft/types.hpp"

namespace weft::http {

// Largest max_tokens / num_predict accepted; the backend caps it at the context anyway.
inline constexpr int64_t kMostTokens = 1 << 24;

// temperature, top_p, top_k, min_p, seed, stop, presence/frequency_penalty, repeat_penalty.
// Names are the OpenAI ones; Ollama's options use the same names.
void read_sampling_fields(const RequestFields& fields, GenerationOptions& options);

// OpenAI `logit_bias`: {"token id": bias from -100 to 100}.
std::vector<std::pair<int32_t, float>> read_logit_bias(const RequestFields& fields);

}  // namespace weft::http
