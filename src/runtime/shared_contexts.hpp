// Contexts on a backend's scheduler instead of an engine of their own: one model, one KV
// pool, one prefix cache and one stream of model calls for generations and contexts alike
// (runtime/context_pass.hpp says how the pool is shared).
#pragma once

#include <memory>
#include <string>

#include "runtime/scheduler.hpp"
#include "weft/context.hpp"

namespace weft::runtime {

// A ContextRuntime whose contexts run on `scheduler` (kept alive by them). The chat template
// file, when not empty, replaces the model's for append_turn, as ContextRuntimeOptions says.
std::shared_ptr<ContextRuntime> context_runtime_on(std::shared_ptr<Scheduler> scheduler,
                                                   const std::string& chat_template_path = "");

}  // namespace weft::runtime
