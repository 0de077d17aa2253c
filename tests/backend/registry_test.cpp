#include "weft/registry.hpp"

#include <gtest/gtest.h>

#include "weft/error.hpp"

namespace weft {
namespace {

class FakeBackend : public Backend {
 public:
  FakeBackend(std::string name, bool available) : name_(std::move(name)), available_(available) {}
  std::string name() const override { return name_; }
  Availability available() const override { return {available_, available_ ? "" : "fake reason"}; }
  void load(const LoadOptions&) override {}
  ModelInfo model_info() const override { return {}; }
  GenerationStream generate(const GenerationRequest&) override {
    GenerationChannel channel(name_);
    channel.done({});
    return GenerationStream(channel.state());
  }

 private:
  std::string name_;
  bool available_;
};

BackendRegistry registry_of(std::vector<std::pair<std::string, bool>> backends) {
  BackendRegistry registry;
  for (const auto& backend : backends) {
    std::string name = backend.first;
    bool available = backend.second;
    registry.add(name,
                 [name, available] { return std::make_unique<FakeBackend>(name, available); });
  }
  return registry;
}

SelectionInputs no_inputs(bool ollama_up = false) {
  SelectionInputs inputs;
  inputs.ollama_reachable = [ollama_up] { return ollama_up; };
  return inputs;
}

const auto kAll = std::vector<std::pair<std::string, bool>>{
    {"stub", true}, {"native", true}, {"process", true}, {"ollama", true}, {"openai", true}};

TEST(BackendSelection, ExplicitChoiceWinsOverEverything) {
  auto inputs = no_inputs(true);
  inputs.explicit_choice = "openai";
  inputs.env_backend = "stub";
  inputs.env_engine_bin = "/bin/engine";
  inputs.model_path = "m.gguf";
  EXPECT_EQ(select_backend(registry_of(kAll), inputs).backend, "openai");
}

TEST(BackendSelection, FollowsTheDocumentedOrder) {
  auto registry = registry_of(kAll);
  auto inputs = no_inputs(true);
  inputs.env_backend = "stub";
  inputs.env_engine_bin = "/bin/engine";
  inputs.model_path = "m.gguf";
  EXPECT_EQ(select_backend(registry, inputs).backend, "stub");
  inputs.env_backend.clear();
  EXPECT_EQ(select_backend(registry, inputs).backend, "process");
  inputs.env_engine_bin.clear();
  EXPECT_EQ(select_backend(registry, inputs).backend, "native");
  inputs.model_path.clear();
  EXPECT_EQ(select_backend(registry, inputs).backend, "ollama");
  inputs.ollama_reachable = [] { return false; };
  EXPECT_EQ(select_backend(registry, inputs).backend, "stub");
}

TEST(BackendSelection, UnknownExplicitChoiceIsAnErrorListingAvailableBackends) {
  auto registry = registry_of({{"stub", true}, {"ollama", false}});
  auto inputs = no_inputs();
  inputs.explicit_choice = "nope";
  try {
    select_backend(registry, inputs);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("nope"), std::string::npos);
    EXPECT_NE(message.find("available backends: stub"), std::string::npos) << message;
  }
}

TEST(BackendSelection, UnavailableExplicitChoiceNeverFallsBack) {
  auto registry = registry_of({{"stub", true}, {"ollama", false}});
  auto inputs = no_inputs();
  inputs.explicit_choice = "ollama";
  EXPECT_THROW(select_backend(registry, inputs), Error);
  inputs.explicit_choice.clear();
  inputs.env_backend = "ollama";
  EXPECT_THROW(select_backend(registry, inputs), Error);
}

TEST(BackendSelection, UnavailableExplicitChoiceErrorSaysWhyAndListsTheAvailableBackends) {
  auto registry = registry_of({{"stub", true}, {"ollama", false}, {"openai", true}});
  auto inputs = no_inputs();
  inputs.explicit_choice = "ollama";
  try {
    select_backend(registry, inputs);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_EQ(error.code(), ErrorCode::backend_unavailable);
    EXPECT_NE(message.find("backend 'ollama'"), std::string::npos) << message;
    EXPECT_NE(message.find("fake reason"), std::string::npos) << message;
    // The registry lists names in order; the unavailable one is left out.
    EXPECT_NE(message.find("available backends: openai, stub"), std::string::npos) << message;
  }
}

TEST(BackendRegistry, ListsAndCreatesByName) {
  auto registry = BackendRegistry::with_builtin_backends();
  EXPECT_TRUE(registry.contains("stub"));
  EXPECT_EQ(registry.create("stub")->name(), "stub");
  EXPECT_THROW(registry.create("missing"), Error);
}

}  // namespace
}  // namespace weft
