// `weft template render (MODEL.gguf | --template FILE) < REQUEST.json`: shows the exact
// prompt a chat request becomes, for checking a template against a model's expectations.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/chat_template.hpp"
#include "chat/model_chat_format.hpp"
#include "cli/commands.hpp"
#include "gguf/gguf_file.hpp"
#include "store/model_resolver.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct TemplateRenderOptions {
  std::string model;
  std::string template_file;
};

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read template file '" + path + "'");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::ordered_json read_request() {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  try {
    auto request = nlohmann::ordered_json::parse(text);
    if (!request.is_object()) throw Error("the request on stdin must be a JSON object");
    return request;
  } catch (const nlohmann::json::exception& error) {
    throw Error(std::string("the request on stdin is not valid JSON: ") + error.what());
  }
}

std::string string_field(const nlohmann::ordered_json& request, const char* key,
                         std::string fallback) {
  if (!request.contains(key)) return fallback;
  if (!request[key].is_string())
    throw Error(std::string("request field \"") + key + "\" must be a string");
  return request[key].get<std::string>();
}

int render_template(const TemplateRenderOptions& options) {
  if (options.model.empty() == options.template_file.empty()) {
    throw Error("give either a MODEL.gguf or --template FILE (exactly one)");
  }
  chat::ModelChatFormat format;
  if (!options.model.empty()) {
    format = chat::chat_format_from_gguf(
        *gguf::GgufFile::open(store::resolve_model_path(options.model)));
    if (format.is_fallback)
      std::fprintf(stderr, "weft: %s has no chat template; using ChatML\n", options.model.c_str());
  } else {
    format.template_source = read_text_file(options.template_file);
  }
  auto request = read_request();

  chat::ChatRenderInput input;
  input.messages =
      request.contains("messages") ? request["messages"] : nlohmann::ordered_json::array();
  if (request.contains("tools") && !request["tools"].is_null()) input.tools = request["tools"];
  if (request.contains("add_generation_prompt")) {
    if (!request["add_generation_prompt"].is_boolean())
      throw Error("\"add_generation_prompt\" must be true or false");
    input.add_generation_prompt = request["add_generation_prompt"].get<bool>();
  }
  input.bos_token = string_field(request, "bos_token", format.bos_token);
  input.eos_token = string_field(request, "eos_token", format.eos_token);
  // Any other field is a template variable (enable_thinking, date_string, documents…).
  input.extra_context = nlohmann::ordered_json::object();
  for (const auto& [key, value] : request.items()) {
    if (key != "messages" && key != "tools" && key != "add_generation_prompt" &&
        key != "bos_token" && key != "eos_token") {
      input.extra_context[key] = value;
    }
  }

  chat::ChatTemplate chat_template(format.template_source);
  std::string prompt = chat_template.render(input);
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace

Command add_template_command(CLI::App& app) {
  auto options = std::make_shared<TemplateRenderOptions>();
  auto* sub = app.add_subcommand("template", "Work with chat templates");
  sub->require_subcommand(1);
  auto* render = sub->add_subcommand(
      "render",
      "Print the prompt that the chat request on stdin ({\"messages\": [...], \"tools\": [...], "
      "\"add_generation_prompt\": true, \"bos_token\": \"...\", \"eos_token\": \"...\"}) becomes");
  render->add_option("model", options->model,
                     "GGUF file or store name whose template (and BOS/EOS) to use");
  render
      ->add_option("--template", options->template_file,
                   "Jinja template file to use instead of a model's")
      ->check(CLI::ExistingFile);
  return {sub, [options] { return render_template(*options); }};
}

}  // namespace weft::cli
