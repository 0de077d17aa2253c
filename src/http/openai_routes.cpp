// /v1/models, /v1/chat/completions, /v1/completions, /v1/embeddings.
#include <memory>

#include "backend/native_backend.hpp"
#include "http/admission_slot.hpp"
#include "http/forced_tool_call.hpp"
#include "http/openai_request.hpp"
#include "http/openai_response.hpp"
#include "http/output_format.hpp"
#include "http/request_fields.hpp"
#include "http/routes.hpp"
#include "weft/error.hpp"

namespace weft::http {
namespace {

// An event stream ends its connection: the openai npm client v4 (node-fetch 2 with a
// keep-alive agent) reports "Premature close" for a chunked body on a kept-alive socket
// under Node 18, and a stream is one request per connection in practice anyway.
void set_event_stream_headers(httplib::Response& response) {
  response.set_header("Cache-Control", "no-cache");
  response.set_header("Connection", "close");
}

using nlohmann::json;

// Writes SSE events to a chunked response: `data: JSON\n\n`, and `data: [DONE]`.
class SseWriter {
 public:
  explicit SseWriter(httplib::DataSink& sink) : sink_(sink) {}
  bool send(const json& event) { return write("data: " + dump_json(event) + "\n\n"); }
  bool done() { return write("data: [DONE]\n\n"); }
  bool alive() const { return ok_ && sink_.is_writable(); }

 private:
  bool write(const std::string& text) {
    if (ok_) ok_ = sink_.write(text.data(), text.size());
    return ok_;
  }
  httplib::DataSink& sink_;
  bool ok_ = true;
};

// Runs a stream's body; an error ends the stream with an error event in OpenAI's shape
// (the status line, 200, has gone out already).
bool guarded_stream(SseWriter& sse, const std::function<bool()>& body) {
  try {
    return body();
  } catch (const ApiException& error) {
    sse.send(openai_error_body(error.error()));
  } catch (const Error& error) {
    sse.send(openai_error_body(error_from_code(error.code(), error.what())));
  } catch (const std::exception& error) {
    sse.send(openai_error_body(error_from_code(ErrorCode::internal, error.what())));
  }
  return false;
}

void add_usage(Usage& total, const Usage& more) {
  // The choices of one request share its prompt: it counts once.
  total.prompt_tokens = more.prompt_tokens;
  total.cached_prompt_tokens = more.cached_prompt_tokens;
  total.completion_tokens += more.completion_tokens;
}

// Choice `index` of n: each gets its own seed, so that n > 1 with a seed still varies.
GenerationRequest choice_request(const GenerationRequest& base, uint32_t index) {
  GenerationRequest request = base;
  if (request.options.seed && index > 0) *request.options.seed += index;
  return request;
}

void wait_for_slot(AdmissionSlot& slot) {
  slot.wait([] { return true; });
}

// One chat choice run to its end through `encoder`; `emit` gets each chunk choice (return
// false to stop). Returns the error the backend reported, if any.
std::optional<ApiError> run_chat_choice(HttpService& service, Exchange& exchange,
                                        const GenerationRequest& request,
                                        ChatChoiceEncoder& encoder, Usage& usage,
                                        const std::function<bool(const json&)>& emit,
                                        const std::function<bool()>& alive) {
  std::optional<ApiError> failure;
  service.generate(
      request, exchange,
      [&](const Event& event) {
        if (auto* token = std::get_if<TokenEvent>(&event)) {
          json choice = encoder.on_token(*token);
          return choice.is_null() || emit(choice);
        }
        if (auto* done = std::get_if<DoneEvent>(&event)) {
          add_usage(usage, done->usage);
          return emit(encoder.on_done(*done));
        }
        const auto& error = std::get<ErrorEvent>(event);
        failure = error_from_code(error.code, error.message);
        return false;
      },
      alive);
  return failure;
}

// tool_choice "auto" with strict tools: a call the model opens must be valid.
void enforce_strict_tools(ChatCompletionRequest& request, const std::string& body,
                          chat::ToolCallFormat format) {
  auto tools = nlohmann::ordered_json::parse(body).at("tools");
  auto strict = strict_tool_call_grammar(tools, format);
  if (!strict) return;
  if (request.format.kind != OutputFormat::Kind::text) {
    throw field_error("tools", "strict tools cannot be enforced together with response_format");
  }
  request.generation.options.grammar = std::move(strict->gbnf);
  request.generation.options.grammar_trigger = std::move(strict->trigger);
}

// tool_choice required or named: the output is constrained to a call (forced_tool_call.hpp);
// auto with strict tools: a call, once opened, is.
void enforce_tool_calls(ChatCompletionRequest& request, const std::string& body,
                        chat::ToolCallFormat format) {
  const auto kind = request.tool_choice.kind;
  if (kind == ToolChoice::Kind::automatic && request.has_tools) {
    enforce_strict_tools(request, body, format);
    return;
  }
  if (kind != ToolChoice::Kind::required && kind != ToolChoice::Kind::named) return;
  if (!request.has_tools)
    throw field_error("tool_choice", "asks for a tool call but no tools are given");
  if (request.format.kind != OutputFormat::Kind::text) {
    throw field_error("tool_choice", "cannot force a tool call together with response_format");
  }
  auto tools = nlohmann::ordered_json::parse(body).at("tools");
  request.generation.options.grammar = forced_tool_call_grammar(tools, request.tool_choice, format);
}

void chat_completions(HttpService& service, const httplib::Request& http_request,
                      httplib::Response& response, const std::shared_ptr<Exchange>& exchange) {
  auto request = parse_chat_completion_request(parse_json_body(http_request.body));
  read_schema_in_order(request.format, http_request.body, "/response_format/json_schema/schema");
  apply_output_format(request.format, "response_format", request.generation.options);
  service.require_ready();
  ResponseIdentity identity{random_id("chatcmpl-"), unix_seconds_now(),
                            service.resolve_model(request.model)};
  request.generation.id = identity.id;
  const auto decoder = service.decoder_config(request.has_tools);
  enforce_tool_calls(request, http_request.body, decoder.tool_calls);
  auto slot = service.take_slot();
  if (!request.stream) {
    wait_for_slot(*slot);
    json choices = json::array();
    Usage usage;
    for (uint32_t i = 0; i < request.n; ++i) {
      ChatChoiceEncoder encoder(i, decoder, request.generation.options.logprobs);
      auto failure = run_chat_choice(
          service, *exchange, choice_request(request.generation, i), encoder, usage,
          [](const json&) { return true; }, [] { return true; });
      if (failure) throw ApiException(*failure);
      choices.push_back(encoder.collected());
    }
    set_json(response, chat_completion(identity, std::move(choices), usage));
    return;
  }
  set_event_stream_headers(response);
  response.set_chunked_content_provider("text/event-stream", [&service, request, identity, decoder,
                                                              slot, exchange](
                                                                 size_t, httplib::DataSink& sink) {
    SseWriter sse(sink);
    if (!slot->wait([&] { return sse.alive(); })) return false;
    return guarded_stream(sse, [&] {
      Usage usage;
      for (uint32_t i = 0; i < request.n && sse.alive(); ++i) {
        ChatChoiceEncoder encoder(i, decoder, request.generation.options.logprobs);
        if (!sse.send(
                chat_chunk(identity, json::array({encoder.opening()}), request.include_usage))) {
          break;
        }
        auto failure = run_chat_choice(
            service, *exchange, choice_request(request.generation, i), encoder, usage,
            [&](const json& choice) {
              return sse.send(chat_chunk(identity, json::array({choice}), request.include_usage));
            },
            [&] { return sse.alive(); });
        if (failure) {
          sse.send(openai_error_body(*failure));
          return false;
        }
      }
      if (!sse.alive()) return false;
      if (request.include_usage) sse.send(chat_usage_chunk(identity, usage));
      sse.done();
      sink.done();
      return true;
    });
  });
}

// Token-id prompts are turned back into text with the native backend's tokenizer.
std::string prompt_text(HttpService& service, const CompletionPrompt& prompt) {
  if (auto* text = std::get_if<std::string>(&prompt)) return *text;
  auto loaded = service.backend();
  auto* native = dynamic_cast<backend::NativeBackend*>(loaded.get());
  if (!native || !native->tokenizer()) {
    throw field_error("prompt", "token ids need the native backend (this one takes text)");
  }
  const auto& ids = std::get<std::vector<int32_t>>(prompt);
  for (int32_t id : ids) {
    if (id >= native->tokenizer()->vocab_size()) {
      throw field_error("prompt", "token id " + std::to_string(id) + " is not in the vocabulary");
    }
  }
  return native->tokenizer()->decode(std::vector<tokenizer::TokenId>(ids.begin(), ids.end()), true);
}

struct CompletionChoiceRun {
  std::string text;
  std::vector<TokenEvent> tokens;  // with logprobs
  std::string finish_reason;
};

void completions(HttpService& service, const httplib::Request& http_request,
                 httplib::Response& response, const std::shared_ptr<Exchange>& exchange) {
  auto request = parse_completion_request(parse_json_body(http_request.body));
  service.require_ready();
  ResponseIdentity identity{random_id("cmpl-"), unix_seconds_now(),
                            service.resolve_model(request.model)};
  std::vector<GenerationRequest> runs;
  std::vector<std::string> prompts;
  for (const auto& prompt : request.prompts) {
    GenerationRequest generation;
    generation.id = identity.id;
    generation.raw_prompt = true;
    generation.messages.push_back({Role::user, prompt_text(service, prompt)});
    generation.options = request.options;
    for (uint32_t i = 0; i < request.n; ++i) {
      runs.push_back(choice_request(generation, i));
      prompts.push_back(generation.messages.front().content);
    }
  }
  auto slot = service.take_slot();
  // Runs choice `index`; `emit` gets each piece of text (false: stop).
  auto run_choice = [&service, exchange, runs, echo = request.echo, prompts](
                        size_t index, Usage& usage,
                        const std::function<bool(const std::string&, const TokenEvent*)>& emit,
                        const std::function<bool()>& alive) {
    CompletionChoiceRun run;
    if (echo) {
      run.text = prompts[index];
      if (!emit(run.text, nullptr)) return run;
    }
    std::optional<ApiError> failure;
    service.generate(
        runs[index], *exchange,
        [&](const Event& event) {
          if (auto* token = std::get_if<TokenEvent>(&event)) {
            run.text += token->text;
            if (runs[index].options.logprobs) run.tokens.push_back(*token);
            return token->text.empty() && !token->logprob ? true : emit(token->text, token);
          }
          if (auto* done = std::get_if<DoneEvent>(&event)) {
            add_usage(usage, done->usage);
            run.finish_reason = finish_reason_of(done->reason, false);
            return true;
          }
          const auto& error = std::get<ErrorEvent>(event);
          failure = error_from_code(error.code, error.message);
          return false;
        },
        alive);
    if (failure) throw ApiException(*failure);
    return run;
  };
  if (!request.stream) {
    wait_for_slot(*slot);
    json choices = json::array();
    Usage usage;
    for (size_t i = 0; i < runs.size(); ++i) {
      auto run = run_choice(
          i, usage, [](const std::string&, const TokenEvent*) { return true; },
          [] { return true; });
      choices.push_back(
          {{"text", run.text},
           {"index", i},
           {"logprobs",
            runs[i].options.logprobs ? completion_logprobs_json(run.tokens, 0) : json(nullptr)},
           {"finish_reason", run.finish_reason}});
    }
    set_json(response, completion_object(identity, std::move(choices), &usage));
    return;
  }
  set_event_stream_headers(response);
  response.set_chunked_content_provider("text/event-stream", [identity, runs, run_choice, slot,
                                                              include_usage =
                                                                  request.include_usage](
                                                                 size_t, httplib::DataSink& sink) {
    SseWriter sse(sink);
    if (!slot->wait([&] { return sse.alive(); })) return false;
    return guarded_stream(sse, [&] {
      Usage usage;
      auto chunk = [&](size_t index, const std::string& text, json logprobs, json finish_reason) {
        json choices = json::array({{{"text", text},
                                     {"index", index},
                                     {"logprobs", std::move(logprobs)},
                                     {"finish_reason", std::move(finish_reason)}}});
        json object = completion_object(identity, std::move(choices), nullptr);
        if (include_usage) object["usage"] = nullptr;
        return sse.send(object);
      };
      for (size_t i = 0; i < runs.size() && sse.alive(); ++i) {
        size_t offset = 0;
        {
          auto run = run_choice(
              i, usage,
              [&](const std::string& text, const TokenEvent* token) {
                json logprobs = nullptr;
                if (token && runs[i].options.logprobs) {
                  logprobs = completion_logprobs_json({*token}, offset);
                }
                offset += text.size();
                return chunk(i, text, std::move(logprobs), nullptr);
              },
              [&] { return sse.alive(); });
          if (!run.finish_reason.empty()) chunk(i, "", nullptr, run.finish_reason);
        }
      }
      if (!sse.alive()) return false;
      if (include_usage) {
        json object = completion_object(identity, json::array(), &usage);
        sse.send(object);
      }
      sse.done();
      sink.done();
      return true;
    });
  });
}

void embeddings(HttpService& service, const httplib::Request& http_request,
                httplib::Response& response, const std::shared_ptr<Exchange>&) {
  auto request = parse_embeddings_request(parse_json_body(http_request.body));
  service.require_ready();
  const auto model = service.resolve_model(request.model);
  auto slot = service.take_slot();
  wait_for_slot(*slot);
  EmbeddingRequest embedding;
  embedding.inputs = request.inputs;
  auto result = service.backend()->embed(embedding);
  json data = json::array();
  for (size_t i = 0; i < result.vectors.size(); ++i) {
    json vector;
    if (request.base64) {
      vector = base64_floats(result.vectors[i]);
    } else {
      vector = result.vectors[i];
    }
    data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(vector)}});
  }
  set_json(response,
           {{"object", "list"},
            {"data", std::move(data)},
            {"model", model},
            {"usage",
             {{"prompt_tokens", result.prompt_tokens}, {"total_tokens", result.prompt_tokens}}}});
}

void list_models(HttpService& service, httplib::Response& response) {
  auto loaded = service.context().backend();
  const std::string backend_name = loaded ? loaded->model_info().name : "";
  json data = json::array();
  for (const auto& model : service.catalog().list(backend_name)) {
    data.push_back({{"id", model.name}, {"object", "model"}, {"created", 0}, {"owned_by", "weft"}});
  }
  set_json(response, {{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace

void add_openai_routes(httplib::Server& server, HttpService& service) {
  server.Get(
      "/v1/models",
      wrap_route(service, "/v1/models", ApiShape::openai,
                 [&service](const httplib::Request&, httplib::Response& response,
                            const std::shared_ptr<Exchange>&) { list_models(service, response); }));
  server.Get(
      R"(/v1/models/(.+))",
      wrap_route(service, "/v1/models/{id}", ApiShape::openai,
                 [&service](const httplib::Request& request, httplib::Response& response,
                            const std::shared_ptr<Exchange>&) {
                   auto loaded = service.context().backend();
                   auto found = service.catalog().find(request.matches[1].str(),
                                                       loaded ? loaded->model_info().name : "");
                   if (!found) throw model_not_found(request.matches[1].str());
                   const std::string id = found->name;
                   set_json(
                       response,
                       {{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "weft"}});
                 }));
  auto post = [&](const std::string& path, auto handler) {
    server.Post(path, wrap_route(service, path, ApiShape::openai,
                                 [&service, handler](const httplib::Request& request,
                                                     httplib::Response& response,
                                                     const std::shared_ptr<Exchange>& exchange) {
                                   handler(service, request, response, exchange);
                                 }));
  };
  post("/v1/chat/completions", chat_completions);
  post("/v1/completions", completions);
  post("/v1/embeddings", embeddings);
}

}  // namespace weft::http
