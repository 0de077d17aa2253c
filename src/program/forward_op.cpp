// `forward`: one pass with samplers, probes, a logit mask and constraints at chosen rows.
#include "program/program_ops.hpp"

#include <algorithm>
#include <optional>

#include "program/brle.hpp"
#include "program/row_ops.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"

namespace weft::program {
namespace {

using nlohmann::json;

struct SamplerAt {
  std::vector<int64_t> rows;
  SamplerSpec spec;
};

struct ProbeAt {
  int64_t row = 0;
  ProbeSpec spec;
};

int64_t row_index(const json& value, int64_t rows, const char* what) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() >= rows) {
    throw Error(std::string(what) + ": row " + value.dump() + " is not an input row (0.." +
                std::to_string(rows - 1) + ")");
  }
  return value.get<int64_t>();
}

std::vector<SamplerAt> samplers_of(const json& request, int64_t rows) {
  std::vector<SamplerAt> samplers;
  const auto found = request.find("samplers");
  if (found == request.end() || found->is_null()) return samplers;
  if (!found->is_array()) throw Error("'samplers' must be an array");
  for (const auto& item : *found) {
    if (!item.is_object() || !item.contains("rows") || !item["rows"].is_array()) {
      throw Error("a sampler entry is {rows: [..], sampler: {..}}");
    }
    SamplerAt at;
    for (const auto& row : item["rows"]) at.rows.push_back(row_index(row, rows, "sampler"));
    at.spec = parse_sampler(required(item, "sampler"));
    samplers.push_back(std::move(at));
  }
  return samplers;
}

std::vector<ProbeAt> probes_of(const json& request, int64_t rows) {
  std::vector<ProbeAt> probes;
  const auto found = request.find("probes");
  if (found == request.end() || found->is_null()) return probes;
  if (!found->is_array()) throw Error("'probes' must be an array");
  for (const auto& item : *found) {
    if (!item.is_object()) throw Error("a probe entry is {row, probe: {..}}");
    probes.push_back(
        {row_index(required(item, "row"), rows, "probe"), parse_probe(required(item, "probe"))});
  }
  return probes;
}

// `attention_masks`: one BRLE (or null: causal) per input token, over the context's positions.
std::vector<std::vector<bool>> attention_masks_of(const json& request, int64_t length,
                                                  int64_t count) {
  std::vector<std::vector<bool>> masks;
  const auto found = request.find("attention_masks");
  if (found == request.end() || found->is_null()) return masks;
  if (!found->is_array() || static_cast<int64_t>(found->size()) != count) {
    throw Error(
        "'attention_masks' must be an array with one mask (a BRLE, or null) per input "
        "token, " +
        std::to_string(count) + " here");
  }
  for (int64_t i = 0; i < count; ++i) {
    const auto& item = (*found)[static_cast<size_t>(i)];
    const std::string field = "attention_masks[" + std::to_string(i) + "]";
    if (item.is_null()) {
      masks.emplace_back();
      continue;
    }
    if (!item.is_array()) throw Error(field + " must be a BRLE: an array of run lengths");
    std::vector<int64_t> runs;
    for (const auto& run : item) {
      if (!run.is_number_integer())
        throw Error(field + " must be a BRLE: run " + run.dump() + " is not an integer");
      runs.push_back(run.get<int64_t>());
    }
    masks.push_back(attention_from_brle(runs, length + i, length + count, field));
  }
  return masks;
}

// Whether a pass may wait: for its locks and for a model call (on a worker), or not at all
// (on the async channel's reader, which answers such a pass without waking a worker).
enum class Waiting { allowed, refused };

// Locks `mutex`; false when waiting is refused and another pass holds it.
bool lock(std::unique_lock<sync::Mutex>& held, Waiting waiting) {
  if (waiting == Waiting::refused) return held.try_lock();
  held.lock();
  return true;
}

// The constraints' matchers, locked (ascending handles, so two passes never wait on each
// other in a cycle).
struct LockedMatchers {
  std::vector<std::shared_ptr<Guarded<Constraint>>> held;
  std::vector<std::unique_lock<sync::Mutex>> locks;
};

// nullopt when waiting is refused and a matcher is in use.
std::optional<LockedMatchers> lock_matchers(State& state, const json& request, Waiting waiting) {
  LockedMatchers matchers;
  const auto found = request.find("constraints");
  if (found == request.end() || found->is_null()) return matchers;
  if (!found->is_array()) throw Error("'constraints' must be an array of matcher handles");
  std::vector<int64_t> handles;
  for (const auto& handle : *found) {
    if (!handle.is_number_integer()) throw Error("'constraints' must hold matcher handles");
    handles.push_back(handle.get<int64_t>());
  }
  std::ranges::sort(handles);
  handles.erase(std::unique(handles.begin(), handles.end()), handles.end());
  for (int64_t handle : handles) matchers.held.push_back(matcher_slot(state, handle));
  for (auto& matcher : matchers.held) {
    matchers.locks.emplace_back(matcher->mutex, std::defer_lock);
    if (!lock(matchers.locks.back(), waiting)) return std::nullopt;
  }
  return matchers;
}

uint64_t next_seed(State& state) {
  const sync::MutexLock lock(state.mutex);
  return state.seeds();
}

// The pass's result; nullopt when waiting is refused and the pass would wait (for a model
// call, or for a context or matcher that another pass holds). Its locks may be refused and
// the matchers' are a set chosen at run time (std::unique_lock): the analysis cannot follow.
std::optional<json> forward_pass(State& state, const json& request,
                                 Waiting waiting) WEFT_NO_THREAD_SAFETY_ANALYSIS {
  auto slot = context_slot(state, request);
  const auto tokens = token_field(state, request, "tokens");
  const auto count = static_cast<int64_t>(tokens.size());
  if (count > 0 && waiting == Waiting::refused) return std::nullopt;
  const int64_t rows = std::max<int64_t>(count, 1);
  auto samplers = samplers_of(request, rows);
  const auto probes = probes_of(request, rows);
  std::optional<TokenMask> static_mask;
  const int64_t vocabulary = state.runtime->vocabulary_size();
  if (request.contains("mask") && !request["mask"].is_null()) {
    if (!request["mask"].is_array()) throw Error("'mask' must be a BRLE array of run lengths");
    static_mask = mask_from_brle(request["mask"].get<std::vector<int64_t>>(), vocabulary);
  }
  auto matchers = lock_matchers(state, request, waiting);
  if (!matchers) return std::nullopt;
  std::unique_lock<sync::Mutex> slot_lock(slot->mutex, std::defer_lock);
  if (!lock(slot_lock, waiting)) return std::nullopt;
  auto& context = slot->context;
  if (request.contains("positions") && !request["positions"].is_null()) {
    const auto& positions = request["positions"];
    if (!positions.is_array() || static_cast<int64_t>(positions.size()) != count) {
      throw Error("'positions' must be an array with one position per token");
    }
    for (int64_t i = 0; i < count; ++i) {
      if (positions[static_cast<size_t>(i)] != context.length() + i) {
        throw Error("positions[" + std::to_string(i) + "] is " +
                    positions[static_cast<size_t>(i)].dump() + " but the context continues at " +
                    std::to_string(context.length() + i) +
                    " (weft computes a context's tokens in order, without gaps)");
      }
    }
  }
  const auto attention_masks = attention_masks_of(request, context.length(), count);
  // The rows whose logits are needed, and where each one's logits are.
  std::vector<int64_t> wanted;
  for (const auto& sampler : samplers)
    wanted.insert(wanted.end(), sampler.rows.begin(), sampler.rows.end());
  for (const auto& probe : probes) wanted.push_back(probe.row);
  std::ranges::sort(wanted);
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  // A pass without input reads the context's own logits in place (the slot stays locked).
  std::vector<float> computed_logits;
  std::span<const float> row_logits;
  if (count > 0) {
    check_page_limit(state, *slot, count);
    computed_logits = context.append_with_logits(tokens, wanted, attention_masks);
    row_logits = computed_logits;
    slot->length = context.length();
  } else if (!wanted.empty()) {
    if (context.logits().empty()) {
      throw Error(
          "the context is empty: a pass without input tokens samples after the last "
          "token, and there is none");
    }
    row_logits = context.logits();
  }
  const auto logits_of = [&](int64_t row) {
    const auto at = static_cast<size_t>(std::ranges::lower_bound(wanted, row) - wanted.begin());
    return row_logits.subspan(at * static_cast<size_t>(vocabulary),
                              static_cast<size_t>(vocabulary));
  };
  json samples = json::array();
  for (const auto& sampler : samplers) {
    json tokens_out = json::array();
    for (int64_t row : sampler.rows) {
      std::optional<TokenMask> mask = static_mask;
      for (auto& matcher : matchers->held) {
        auto allowed = matcher->value.mask();
        if (mask) {
          *mask &= allowed;
        } else {
          mask = std::move(allowed);
        }
      }
      const uint64_t seed = sampler.spec.seed ? *sampler.spec.seed : next_seed(state);
      const auto drawn = sample_row(logits_of(row), sampler.spec, mask ? &*mask : nullptr, seed);
      for (auto& matcher : matchers->held) matcher->value.accept(drawn.front());
      for (int32_t token : drawn) tokens_out.push_back(token);
    }
    samples.push_back(std::move(tokens_out));
  }
  json probe_results = json::array();
  for (const auto& probe : probes)
    probe_results.push_back(probe_row(logits_of(probe.row), probe.spec));
  return json{{"length", context.length()},
              {"samples", std::move(samples)},
              {"probes", std::move(probe_results)}};
}

json op_forward(State& state, const json& request) {
  return *forward_pass(state, request, Waiting::allowed);
}

}  // namespace

void add_forward_operation(OperationTable& table) {
  table["forward"] = op_forward;
}

std::optional<json> forward_without_waiting(State& state, const json& request) {
  return forward_pass(state, request, Waiting::refused);
}

}  // namespace weft::program
