#include "server/v2_generation.hpp"

#include "backend/native_backend.hpp"
#include "protocol/wire_v2_messages.hpp"
#include "server/request_log.hpp"

namespace weft::server {
namespace {

using Clock = std::chrono::steady_clock;
namespace v2 = protocol::v2;

class BlockWriter {
 public:
  explicit BlockWriter(const V2GenerationJob& job) : job_(job) {}

  // False once the connection is gone: the caller cancels the generation.
  bool send(const chat::DecodedOutput& output) {
    if (job_.stream && job_.thinking && !output.reasoning.empty()) {
      deliver(v2::encode_thinking_delta(job_.request.id, output.reasoning));
    }
    if (job_.stream && !output.text.empty()) {
      deliver(v2::encode_text_delta(job_.request.id, output.text));
    }
    for (const auto& call : output.tool_calls) {
      ++tool_calls_;
      // A call the model wrote without an id gets one unique within the request.
      std::string call_id = call.id.empty() ? "call_" + std::to_string(tool_calls_) : call.id;
      nlohmann::ordered_json input = call.arguments;
      // Some models write the arguments as a JSON string; v2's `input` is an object.
      if (input.is_string()) {
        input = nlohmann::ordered_json::parse(input.get<std::string>(), nullptr, false);
      }
      if (!input.is_object()) {
        malformed_call_ =
            "the model called tool '" + call.name + "' with arguments that are not a JSON object";
        continue;
      }
      deliver(v2::encode_tool_use(job_.request.id, call_id, call.name, input));
    }
    return room_;
  }

  void deliver(std::string frame) {
    if (room_ && !job_.outbox->wait_for_room()) room_ = false;
    job_.outbox->add(frame.size());
    job_.deliver(std::move(frame));
  }

  size_t tool_calls() const { return tool_calls_; }
  const std::string& malformed_call() const { return malformed_call_; }

 private:
  const V2GenerationJob& job_;
  size_t tool_calls_ = 0;
  std::string malformed_call_;
  bool room_ = true;
};

std::string stop_reason_of(StopReason reason, size_t tool_calls) {
  switch (reason) {
    case StopReason::length:
      return "max_tokens";
    case StopReason::cancelled:
      return "cancelled";
    case StopReason::error:
      return "error";
    case StopReason::end:
      break;
  }
  return tool_calls > 0 ? "tool_use" : "end_turn";
}

RequestRecord stream_blocks(GenerationStream& stream, const V2GenerationJob& job,
                            const std::string& backend_name) {
  RequestRecord record;
  record.id = job.request.id;
  record.backend = backend_name;
  chat::OutputDecoder decoder(job.decoder);
  BlockWriter writer(job);
  while (auto event = stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      if (!record.time_to_first_token) record.time_to_first_token = Clock::now() - job.received;
      ++record.completion_tokens;
      if (!token->text.empty() && !writer.send(decoder.feed(token->text))) stream.cancel();
      continue;
    }
    if (auto* done = std::get_if<DoneEvent>(&*event)) {
      writer.send(decoder.finish());
      if (!done->backend.empty()) record.backend = done->backend;
      record.prompt_tokens = done->usage.prompt_tokens;
      record.cached_prompt_tokens = done->usage.cached_prompt_tokens;
      record.completion_tokens = done->usage.completion_tokens;
      record.stop_reason = std::string(to_string(done->reason));
      if (!writer.malformed_call().empty()) {
        record.stop_reason = "error";
        writer.deliver(v2::encode_error(job.request.id, v2::code::tool_call_malformed,
                                        writer.malformed_call()));
      } else {
        writer.deliver(v2::encode_done(
            job.request.id, done->usage.prompt_tokens, done->usage.completion_tokens,
            stop_reason_of(done->reason, writer.tool_calls()), record.backend));
      }
    } else {
      const auto& error = std::get<ErrorEvent>(*event);
      record.stop_reason = "error";
      record.error = error.code;
      writer.deliver(v2::encode_error(job.request.id, v2_error_code(error.code), error.message));
    }
  }
  record.total = Clock::now() - job.received;
  return record;
}

}  // namespace

const char* v2_error_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_request:
    case ErrorCode::prompt_too_long:  // v2's code set is fixed
      return v2::code::invalid_request;
    case ErrorCode::backend_unavailable:
      return v2::code::backend_unavailable;
    case ErrorCode::queue_full:
      return v2::code::queue_full;
    case ErrorCode::frame_too_large:
      return v2::code::frame_too_large;
    case ErrorCode::internal:
      break;
  }
  return v2::code::internal;
}

chat::DecoderConfig decoder_config_for(const Backend* backend, bool tools) {
  chat::DecoderConfig config;
  if (auto* native = dynamic_cast<const backend::NativeBackend*>(backend)) {
    auto source = native->chat_template_source();
    if (!source.empty()) config = chat::decoder_config_for_template(source);
  }
  if (!tools) config.tool_calls = chat::ToolCallFormat::none;
  return config;
}

bool backend_applies_grammars(const Backend* backend) {
  return dynamic_cast<const backend::NativeBackend*>(backend) != nullptr;
}

void run_v2_generation(ServerContext& context, V2GenerationJob job) {
  auto backend = context.backend();
  RequestRecord record;
  if (!backend) {
    record.id = job.request.id;
    record.stop_reason = "error";
    record.error = ErrorCode::backend_unavailable;
    std::string frame =
        v2::encode_error(job.request.id, v2::code::backend_unavailable, "no backend is loaded");
    job.outbox->add(frame.size());
    job.deliver(std::move(frame));
  } else {
    GenerationStream stream = start_generation(*backend, job.request);
    if (!job.handle->attach(&stream)) stream.cancel();
    record = stream_blocks(stream, job, backend->name());
    job.handle->detach();
  }
  context.admission().finish();
  context.log(LogLevel::info, format_request_log(record));
  job.finished();
}

}  // namespace weft::server
