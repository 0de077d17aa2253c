// Running a fixture model (../shared/fixtures) on its reference prompt, and naming the
// parameterised tests that go over every fixture.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "runtime/engine.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "support/reference_logits.hpp"

namespace weft::test {

// Loads `fixture`, evaluates its reference prompt ("tokens.txt") on two threads with
// `kernels` and a `kv_type` cache, then continues greedily for `greedy_tokens` tokens.
runtime::PromptEvaluation evaluate_fixture_prompt(const FixtureModel& fixture,
                                                  tensor::KernelChoice kernels,
                                                  tensor::ElementType kv_type,
                                                  int64_t greedy_tokens);

// Two threads, `kernels`, and an F32 KV cache (llama.cpp's references were made with one).
runtime::EngineOptions reference_comparison_options(tensor::KernelChoice kernels);

// A gtest parameter name: the fixture's name with '_' for every character gtest refuses.
std::string fixture_test_name(const ::testing::TestParamInfo<FixtureModel>& info);

}  // namespace weft::test
