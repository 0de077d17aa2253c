#include "cli/generation_options.hpp"

#include "cli/number_checks.hpp"

namespace weft::cli {

void add_generation_options(CLI::App& app, GenerationOptions& options, SeedShortFlag seed_flag) {
  app.add_option("-n,--max-tokens", options.max_tokens, "Most tokens to generate")
      ->capture_default_str()
      ->check(whole_number_at_least(0));
  app.add_option("--temperature,--temp", options.temperature, "Sampling temperature (0 = greedy)")
      ->check(number_at_least(0));
  app.add_option("--top-k", options.top_k, "Keep the k most likely tokens (0 = all)")
      ->check(whole_number_at_least(0));
  app.add_option("--top-p", options.top_p, "Nucleus sampling mass")->check(number_between(0, 1));
  app.add_option("--min-p", options.min_p, "Drop tokens below min-p times the best")
      ->check(number_between(0, 1));
  app.add_option(seed_flag == SeedShortFlag::yes ? "-s,--seed" : "--seed", options.seed,
                 "Random seed: the same seed reproduces a run");
  app.add_option("--stop", options.stop, "Stop string (repeatable); it is not printed");
  app.add_option("--repeat-penalty", options.repeat_penalty, "Repetition penalty (1 = off)");
  app.add_option("--frequency-penalty", options.frequency_penalty, "Frequency penalty");
  app.add_option("--presence-penalty", options.presence_penalty, "Presence penalty");
}

}  // namespace weft::cli
