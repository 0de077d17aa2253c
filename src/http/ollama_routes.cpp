// Ollama's API: /api/chat, /api/generate, /api/tags, /api/show, /api/ps, /api/version,
// /api/embed, /api/embeddings, and the "Ollama is running" probe at /.
#include <memory>

#include "backend/native_backend.hpp"
#include "gguf/gguf_file.hpp"
#include "http/admission_slot.hpp"
#include "http/ollama_request.hpp"
#include "http/ollama_response.hpp"
#include "http/openai_response.hpp"
#include "http/output_format.hpp"
#include "http/request_fields.hpp"
#include "http/routes.hpp"
#include "weft/error.hpp"
#include "weft/version.hpp"

namespace weft::http {
namespace {

using nlohmann::json;

// Arrays longer than this (the vocabulary, merges) are null unless `verbose`, as Ollama does.
constexpr size_t kShortArray = 64;

// NDJSON lines on a chunked response.
class NdjsonWriter {
 public:
  explicit NdjsonWriter(httplib::DataSink& sink) : sink_(sink) {}
  bool send(const json& line) {
    const std::string text = dump_json(line) + "\n";
    if (ok_) ok_ = sink_.write(text.data(), text.size());
    return ok_;
  }
  bool alive() const { return ok_ && sink_.is_writable(); }

 private:
  httplib::DataSink& sink_;
  bool ok_ = true;
};

bool guarded_stream(NdjsonWriter& out, const std::function<bool()>& body) {
  try {
    return body();
  } catch (const ApiException& error) {
    out.send(ollama_error_body(error.error()));
  } catch (const std::exception& error) {
    out.send({{"error", error.what()}});
  }
  return false;
}

backend::NativeBackend* native_of(const std::shared_ptr<Backend>& loaded) {
  return dynamic_cast<backend::NativeBackend*>(loaded.get());
}

// What one generation's lines are made of: /api/chat puts text in message, /api/generate in
// response (and thinking beside it).
struct LineShape {
  bool chat = true;
};

json output_line(const std::string& model, const chat::DecodedOutput& output, LineShape shape) {
  json line = {{"model", model}, {"created_at", rfc3339_nano_now()}};
  if (shape.chat) {
    line["message"] = ollama_message(output);
  } else {
    line["response"] = output.text;
    if (!output.reasoning.empty()) line["thinking"] = output.reasoning;
  }
  line["done"] = false;
  return line;
}

bool has_content(const chat::DecodedOutput& output) {
  return !output.text.empty() || !output.reasoning.empty() || !output.tool_calls.empty();
}

struct OllamaRun {
  GenerationRequest request;
  std::string model;
  chat::DecoderConfig decoder;
  bool show_thinking = true;
  LineShape shape;
  std::vector<int32_t> context_prefix;  // /api/generate: ids echoed back in `context`
};

// Runs the generation; `emit` gets each line (false: stop). Returns the final line.
json run_ollama(HttpService& service, Exchange& exchange, const OllamaRun& run,
                const std::function<bool(const json&)>& emit, const std::function<bool()>& alive,
                bool streaming) {
  OllamaOutput output(run.decoder, run.show_thinking);
  std::optional<DoneEvent> done;
  std::optional<ApiError> failure;
  std::vector<int32_t> generated;
  service.generate(
      run.request, exchange,
      [&](const Event& event) {
        if (auto* token = std::get_if<TokenEvent>(&event)) {
          if (token->token_id) generated.push_back(*token->token_id);
          auto piece = output.feed(token->text);
          return !streaming || !has_content(piece) ||
                 emit(output_line(run.model, piece, run.shape));
        }
        if (auto* finished = std::get_if<DoneEvent>(&event)) {
          done = *finished;
          return true;
        }
        const auto& error = std::get<ErrorEvent>(event);
        failure = error_from_code(error.code, error.message);
        return false;
      },
      alive);
  if (failure) throw ApiException(*failure);
  auto rest = output.finish();
  if (streaming && has_content(rest)) emit(output_line(run.model, rest, run.shape));
  json last = output_line(run.model, streaming ? chat::DecodedOutput{} : output.all(), run.shape);
  add_ollama_done_fields(last, done.value_or(DoneEvent{}),
                         ollama_done_reason(done ? done->reason : StopReason::cancelled));
  if (!run.shape.chat && native_of(service.context().backend())) {
    std::vector<int32_t> context = run.context_prefix;
    context.insert(context.end(), generated.begin(), generated.end());
    last["context"] = context;
  }
  return last;
}

// Answers a run: one NDJSON line per piece, or one object when not streaming.
void respond(HttpService& service, httplib::Response& response,
             const std::shared_ptr<Exchange>& exchange, OllamaRun run, bool stream) {
  auto slot = service.take_slot();
  if (!stream) {
    slot->wait([] { return true; });
    set_json(response, run_ollama(
                           service, *exchange, run, [](const json&) { return true; },
                           [] { return true; }, false));
    return;
  }
  response.set_chunked_content_provider(
      "application/x-ndjson", [&service, exchange, run, slot](size_t, httplib::DataSink& sink) {
        NdjsonWriter out(sink);
        if (!slot->wait([&] { return out.alive(); })) return false;
        return guarded_stream(out, [&] {
          json last = run_ollama(
              service, *exchange, run, [&](const json& line) { return out.send(line); },
              [&] { return out.alive(); }, true);
          if (!out.alive()) return false;
          out.send(last);
          sink.done();
          return true;
        });
      });
}

// A request with nothing to generate loads the model (here: checks it is the loaded one).
json load_answer(const std::string& model, bool chat) {
  json answer = {{"model", model}, {"created_at", rfc3339_nano_now()}};
  if (chat) {
    answer["message"] = {{"role", "assistant"}, {"content", ""}};
  } else {
    answer["response"] = "";
  }
  answer["done"] = true;
  answer["done_reason"] = "load";
  return answer;
}

void chat(HttpService& service, const httplib::Request& http_request, httplib::Response& response,
          const std::shared_ptr<Exchange>& exchange) {
  auto request = parse_ollama_chat_request(parse_json_body(http_request.body));
  read_schema_in_order(request.format, http_request.body, "/format");
  apply_output_format(request.format, "format", request.generation.options);
  service.require_ready();
  OllamaRun run;
  run.model = service.resolve_model(request.model);
  if (request.generation.messages.empty()) {
    set_json(response, load_answer(run.model, true));
    return;
  }
  run.request = std::move(request.generation);
  run.request.id = random_id("chat-");
  run.decoder = service.decoder_config(request.has_tools);
  run.show_thinking = request.think.value_or(true);
  respond(service, response, exchange, std::move(run), request.stream);
}

void generate(HttpService& service, const httplib::Request& http_request,
              httplib::Response& response, const std::shared_ptr<Exchange>& exchange) {
  auto request = parse_ollama_generate_request(parse_json_body(http_request.body));
  read_schema_in_order(request.format, http_request.body, "/format");
  apply_output_format(request.format, "format", request.generation.options);
  service.require_ready();
  OllamaRun run;
  run.model = service.resolve_model(request.model);
  if (request.prompt.empty() && request.context.empty()) {
    set_json(response, load_answer(run.model, false));
    return;
  }
  std::string prompt = request.prompt;
  if (!request.context.empty()) {
    auto* native = native_of(service.backend());
    if (!native || !native->tokenizer()) {
      throw field_error("context", "needs the native backend (token ids)");
    }
    for (int32_t id : request.context) {
      if (id >= native->tokenizer()->vocab_size()) {
        throw field_error("context",
                          "token id " + std::to_string(id) + " is not in the vocabulary");
      }
    }
    // The earlier exchange continues as plain text: prompt and answer, then the new prompt.
    prompt = native->tokenizer()->decode(
                 std::vector<tokenizer::TokenId>(request.context.begin(), request.context.end()),
                 false) +
             prompt;
    request.generation.raw_prompt = true;
    request.generation.messages.clear();
  }
  if (auto* native = native_of(service.context().backend()); native && native->tokenizer()) {
    auto ids = native->tokenizer()->encode(prompt, {});
    run.context_prefix.assign(ids.begin(), ids.end());
  }
  request.generation.messages.push_back({Role::user, prompt});
  run.request = std::move(request.generation);
  run.request.id = random_id("gen-");
  run.decoder = service.decoder_config(false);
  run.show_thinking = request.think.value_or(true);
  run.shape.chat = false;
  respond(service, response, exchange, std::move(run), request.stream);
}

json gguf_value_json(const gguf::Value& value, bool verbose) {
  return std::visit(
      [&](const auto& data) -> json {
        using T = std::decay_t<decltype(data)>;
        if constexpr (std::is_same_v<T, gguf::ArrayValue>) {
          if (!verbose && data.elements.size() > kShortArray) return nullptr;
          json array = json::array();
          for (const auto& element : data.elements)
            array.push_back(gguf_value_json(element, verbose));
          return array;
        } else {
          return data;
        }
      },
      value.data);
}

json model_entry(HttpService& service, const CatalogModel& model) {
  ModelInfo info;
  auto loaded = service.context().backend();
  if (loaded && model.name == service.served_name()) {
    info = loaded->model_info();
  } else if (!model.path.empty()) {
    try {
      auto file = gguf::GgufFile::open(model.path);
      info.architecture = file->get_string("general.architecture").value_or("");
      for (const auto& tensor : file->tensors()) info.parameter_count += tensor.element_count();
    } catch (const std::exception&) {
      // Listed anyway: a file that does not parse is refused only when asked for.
    }
  }
  // Ollama clients expect a tag; store names such as "hf.co/org/repo:Q4_K_M" have one.
  const auto last_part =
      model.name.substr(model.name.rfind('/') == std::string::npos ? 0 : model.name.rfind('/'));
  const std::string name = model.name + (last_part.find(':') == std::string::npos ? ":latest" : "");
  const std::string digest = std::to_string(std::hash<std::string>{}(
      model.path + ":" + std::to_string(model.size) + ":" + model.modified_at));
  return {{"name", name},       {"model", name},    {"modified_at", model.modified_at},
          {"size", model.size}, {"digest", digest}, {"details", ollama_details(info)}};
}

void tags(HttpService& service, httplib::Response& response) {
  auto loaded = service.context().backend();
  json models = json::array();
  for (const auto& model : service.catalog().list(loaded ? loaded->model_info().name : "")) {
    models.push_back(model_entry(service, model));
  }
  set_json(response, {{"models", std::move(models)}});
}

void show(HttpService& service, const httplib::Request& http_request, httplib::Response& response) {
  auto body = parse_json_body(http_request.body);
  const bool verbose = RequestFields(body).boolean("verbose").value_or(false);
  auto loaded = service.backend();
  const std::string requested = ollama_model_field(body);
  auto listed = service.catalog().find(requested, loaded->model_info().name);
  if (!listed) throw model_not_found(requested);
  const bool served = listed->name == service.served_name();
  ModelInfo info = served ? loaded->model_info() : ModelInfo{};
  json model_info = json::object();
  std::string template_source;
  if (!listed->path.empty()) {
    auto file = gguf::GgufFile::open(listed->path);
    for (const auto& entry : file->metadata()) {
      model_info[entry.key] = gguf_value_json(entry.value, verbose);
    }
    if (!served) {
      info.architecture = file->get_string("general.architecture").value_or("");
      for (const auto& tensor : file->tensors()) info.parameter_count += tensor.element_count();
      template_source = file->get_string("tokenizer.chat_template").value_or("");
    }
  } else {
    model_info["general.architecture"] = info.architecture;
  }
  if (auto* native = native_of(loaded); native && served) {
    template_source = native->chat_template_source();
  }
  json capabilities = json::array({"completion"});
  if (!template_source.empty()) {
    auto decoder = chat::decoder_config_for_template(template_source);
    if (decoder.tool_calls != chat::ToolCallFormat::none) capabilities.push_back("tools");
    if (template_source.find("<think>") != std::string::npos) capabilities.push_back("thinking");
  }
  set_json(response,
           {{"modelfile", "# weft serves " + listed->name + "\nFROM " +
                              (listed->path.empty() ? listed->name : listed->path) + "\n"},
            {"parameters", ""},
            {"template", template_source},
            {"details", ollama_details(info)},
            {"model_info", std::move(model_info)},
            {"capabilities", std::move(capabilities)},
            {"modified_at", listed->modified_at}});
}

void ps(HttpService& service, httplib::Response& response) {
  json models = json::array();
  if (auto loaded = service.context().backend()) {
    auto entry = service.catalog().find("", loaded->model_info().name);
    json model = model_entry(service, *entry);
    model.erase("modified_at");
    model["expires_at"] = "9999-12-31T23:59:59Z";  // resident until the daemon stops
    model["size_vram"] = 0;
    models.push_back(std::move(model));
  }
  set_json(response, {{"models", std::move(models)}});
}

void embed(HttpService& service, const httplib::Request& http_request, httplib::Response& response,
           bool legacy) {
  auto request = parse_ollama_embed_request(parse_json_body(http_request.body), legacy);
  service.require_ready();
  const auto model = service.resolve_model(request.model);
  auto slot = service.take_slot();
  slot->wait([] { return true; });
  const auto start = std::chrono::steady_clock::now();
  EmbeddingRequest embedding;
  embedding.inputs = request.inputs;
  auto result = service.backend()->embed(embedding);
  if (legacy) {
    set_json(response, {{"embedding",
                         result.vectors.empty() ? json::array() : json(result.vectors.front())}});
    return;
  }
  set_json(response, {{"model", model},
                      {"embeddings", result.vectors},
                      {"total_duration", std::chrono::duration_cast<std::chrono::nanoseconds>(
                                             std::chrono::steady_clock::now() - start)
                                             .count()},
                      {"load_duration", 0},
                      {"prompt_eval_count", result.prompt_tokens}});
}

}  // namespace

void add_ollama_routes(httplib::Server& server, HttpService& service) {
  auto get = [&](const std::string& path, std::function<void(httplib::Response&)> handler) {
    server.Get(path,
               wrap_route(service, path, ApiShape::ollama,
                          [handler](const httplib::Request&, httplib::Response& response,
                                    const std::shared_ptr<Exchange>&) { handler(response); }));
  };
  auto post = [&](const std::string& path, auto handler) {
    server.Post(path, wrap_route(service, path, ApiShape::ollama,
                                 [&service, handler](const httplib::Request& request,
                                                     httplib::Response& response,
                                                     const std::shared_ptr<Exchange>& exchange) {
                                   handler(service, request, response, exchange);
                                 }));
  };
  auto running = [](httplib::Response& response) {
    response.set_content("Ollama is running", "text/plain; charset=utf-8");
  };
  get("/", running);
  server.Get("/api/version", wrap_route(service, "/api/version", ApiShape::ollama,
                                        [](const httplib::Request&, httplib::Response& response,
                                           const std::shared_ptr<Exchange>&) {
                                          set_json(response, {{"version", kVersion}});
                                        }));
  get("/api/tags", [&service](httplib::Response& response) { tags(service, response); });
  get("/api/ps", [&service](httplib::Response& response) { ps(service, response); });
  post("/api/chat", chat);
  post("/api/generate", generate);
  post("/api/show",
       [](HttpService& service, const httplib::Request& request, httplib::Response& response,
          const std::shared_ptr<Exchange>&) { show(service, request, response); });
  post("/api/embed",
       [](HttpService& service, const httplib::Request& request, httplib::Response& response,
          const std::shared_ptr<Exchange>&) { embed(service, request, response, false); });
  post("/api/embeddings",
       [](HttpService& service, const httplib::Request& request, httplib::Response& response,
          const std::shared_ptr<Exchange>&) { embed(service, request, response, true); });
}

}  // namespace weft::http
