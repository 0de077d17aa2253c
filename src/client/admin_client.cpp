#include <nlohmann/json.hpp>

#include "client/connection.hpp"
#include "weft/client.hpp"
#include "weft/error.hpp"

namespace weft::client {
namespace {

using nlohmann::json;

AdminEvent decode_admin_event(const std::string& line) {
  json object = json::parse(line, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    throw Error(ErrorCode::internal, "admin socket sent a frame that is not a JSON object");
  }
  AdminEvent event;
  event.raw = line;
  auto text = [&](const char* key) {
    auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
  };
  auto flag = [&](const char* key) {
    auto found = object.find(key);
    return found != object.end() && found->is_boolean() && found->get<bool>();
  };
  event.status = text("status");
  event.phase = text("phase");
  if (auto path = object.find("path"); path != object.end() && path->is_string()) {
    event.path = path->get<std::string>();
  }
  if (auto n_ctx = object.find("n_ctx"); n_ctx != object.end() && n_ctx->is_number_unsigned()) {
    event.n_ctx = n_ctx->get<uint64_t>();
  }
  event.backend = text("backend");
  event.vision = flag("vision");
  event.audio = flag("audio");
  event.tools = flag("tools");
  event.thinking = flag("thinking");
  event.embed = flag("embed");
  event.accelerator = text("accelerator");
  if (auto layers = object.find("gpu_layers");
      layers != object.end() && layers->is_number_integer()) {
    event.gpu_layers = layers->get<int32_t>();
  }
  auto count_in = [](const json& parent, const char* key) -> std::optional<uint64_t> {
    auto found = parent.find(key);
    if (found == parent.end() || !found->is_number_unsigned()) return std::nullopt;
    return found->get<uint64_t>();
  };
  if (auto requests = object.find("requests"); requests != object.end() && requests->is_object()) {
    event.active_requests = count_in(*requests, "active");
    event.queued_requests = count_in(*requests, "queued");
  }
  if (auto kv = object.find("kv"); kv != object.end() && kv->is_object()) {
    AdminEvent::KvStats stats;
    auto read = [&](const char* key, uint64_t& into) { into = count_in(*kv, key).value_or(0); };
    read("pages_in_use", stats.pages_in_use);
    read("pages_committed", stats.pages_committed);
    read("pages_capacity", stats.pages_capacity);
    read("pages_cached", stats.pages_cached);
    read("prompt_tokens_cached", stats.prompt_tokens_cached);
    read("prompt_tokens_computed", stats.prompt_tokens_computed);
    read("live", stats.live);
    read("waiting", stats.waiting);
    event.kv = stats;
  }
  return event;
}

}  // namespace

AdminClient::AdminClient(std::shared_ptr<Connection> connection)
    : connection_(std::move(connection)) {}

AdminClient AdminClient::connect(const std::string& socket_path) {
  try {
    return AdminClient(Connection::open(Address::unix_socket(socket_path)));
  } catch (const ConnectFailure& failure) {
    throw Error(ErrorCode::backend_unavailable, "no weft daemon: " + failure.message);
  }
}

std::optional<AdminEvent> AdminClient::next() {
  auto line = connection_->read_line();
  if (!line) return std::nullopt;
  return decode_admin_event(*line);
}

std::optional<AdminEvent> AdminClient::next_for(std::chrono::milliseconds timeout) {
  auto line = connection_->read_line(timeout);
  if (!line) return std::nullopt;
  return decode_admin_event(*line);
}

bool AdminClient::closed() const {
  return connection_->closed();
}

}  // namespace weft::client
