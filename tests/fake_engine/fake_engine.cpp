// A deliberately unreliable engine for the `process` backend's tests. It speaks the engine
// protocol v1 written from the protocol's description (not from weft's code), and the first
// word of a generation's last message picks how it misbehaves:
//
//   echo WORDS…   one token per word (each its own write), then done {stop}
//   slow WORDS…   as echo, a token every 20 ms, so that generations interleave their ids
//   split WORDS…  every line written in three pieces with pauses between (also inside a
//                 UTF-8 character)
//   garbage WORDS… garbage lines, a wrong version, a token for an unknown id and an
//                 engine-level log around the real tokens
//   doneonly WORDS… no tokens: the whole text only in done
//   length WORDS… done {length}
//   fail          error {id, message}
//   crash         two tokens, half a line, then exit(3)
//   hang          meta, then nothing for this id (cancel is ignored)
//   freeze        stops reading stdin and ignores SIGTERM: only SIGKILL ends it
//
// Startup (FAKE_ENGINE_STARTUP): "ready" (default) sends ready {model: null}; "silent" sends
// nothing; "exit" exits at once with status 7. `load {model: "missing"}` answers an
// engine-level error; any other model, ready {model}.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using nlohmann::json;

namespace {

struct Pending {
  json id;
  std::vector<std::string> words;
  size_t next = 0;
  std::string text;
  bool slow = false;
};

bool g_split = false;

void write_raw(const std::string& bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = write(STDOUT_FILENO, bytes.data() + written, bytes.size() - written);
    if (n <= 0) std::exit(0);
    written += static_cast<size_t>(n);
  }
}

void send(json message) {
  message["v"] = 1;
  const std::string line = message.dump() + "\n";
  if (!g_split) {
    write_raw(line);
    return;
  }
  // Three pieces; the cuts fall anywhere, also inside a multi-byte character.
  const size_t a = line.size() / 3;
  const size_t b = 2 * line.size() / 3;
  write_raw(line.substr(0, a));
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  write_raw(line.substr(a, b - a));
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  write_raw(line.substr(b));
}

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream stream(text);
  for (std::string word; stream >> word;) words.push_back(words.empty() ? word : " " + word);
  return words;
}

void finish(const Pending& pending, const char* reason) {
  send({{"type", "done"}, {"id", pending.id}, {"reason", reason}, {"text", pending.text}});
}

void start(const json& message, std::map<std::string, Pending>& pending) {
  const json id = message.at("id");
  const std::string content = message.at("messages").back().at("content");
  std::vector<std::string> words = words_of(content);
  const std::string mode = words.empty() ? "echo" : words.front();
  if (!words.empty()) words.erase(words.begin());
  if (!words.empty() && words.front().front() == ' ') words.front().erase(0, 1);
  send({{"type", "meta"}, {"id", id}, {"model", "fake"}, {"started_at", "2026-01-01T00:00:00Z"}});
  Pending generation{id, words, 0, "", mode == "slow"};
  if (mode == "fail") {
    send({{"type", "error"}, {"id", id}, {"message", "the fake engine fails on purpose"}});
  } else if (mode == "crash") {
    send({{"type", "token"}, {"id", id}, {"text", "one"}});
    send({{"type", "token"}, {"id", id}, {"text", " two"}});
    write_raw("{\"v\":1,\"type\":\"tok");
    std::exit(3);
  } else if (mode == "hang") {
    pending.emplace("hang:" + id.dump(), Pending{id, {}, 0, "", false});
  } else if (mode == "freeze") {
    signal(SIGTERM, SIG_IGN);
    while (true) pause();
  } else if (mode == "doneonly") {
    for (const auto& word : words) generation.text += word;
    finish(generation, "stop");
  } else if (mode == "length") {
    for (const auto& word : words) {
      generation.text += word;
      send({{"type", "token"}, {"id", id}, {"text", word}});
    }
    finish(generation, "length");
  } else if (mode == "garbage") {
    write_raw("this is not json\n");
    write_raw("[1,2,3]\n");
    write_raw("{\"v\":2,\"type\":\"token\",\"id\":" + id.dump() + ",\"text\":\"WRONG\"}\n");
    send({{"type", "token"}, {"id", "nobody"}, {"text", "WRONG"}});
    send({{"type", "token"}, {"id", id}});  // no text
    send({{"type", "log"}, {"level", "warn"}, {"message", "garbage on purpose"}});
    write_raw("\n");
    for (const auto& word : words) {
      generation.text += word;
      send({{"type", "token"}, {"id", id}, {"text", word}});
      write_raw("{\"v\":1,\"type\":\"bogus\"}\n");
    }
    finish(generation, "stop");
  } else {
    g_split = mode == "split";
    for (const auto& word : words) {
      generation.text += word;
      if (generation.slow) break;
      send({{"type", "token"}, {"id", id}, {"text", word}});
    }
    if (!generation.slow) {
      finish(generation, "stop");
      g_split = false;
      return;
    }
    generation.text.clear();
    pending.emplace(id.dump(), generation);
  }
}

void tick(std::map<std::string, Pending>& pending) {
  for (auto it = pending.begin(); it != pending.end();) {
    Pending& generation = it->second;
    if (!generation.slow) {
      ++it;
      continue;
    }
    if (generation.next == generation.words.size()) {
      finish(generation, "stop");
      it = pending.erase(it);
      continue;
    }
    generation.text += generation.words[generation.next];
    send({{"type", "token"}, {"id", generation.id}, {"text", generation.words[generation.next]}});
    ++generation.next;
    ++it;
  }
}

void handle(const std::string& line, std::map<std::string, Pending>& pending) {
  json message = json::parse(line, nullptr, false);
  if (message.is_discarded() || !message.is_object() || message.value("v", 0) != 1) return;
  const std::string type = message.value("type", "");
  if (type == "load") {
    const std::string model = message.value("model", "");
    if (model == "missing") {
      send({{"type", "error"}, {"message", "no such model: missing"}});
    } else {
      send({{"type", "ready"}, {"model", model}});
    }
  } else if (type == "generate") {
    start(message, pending);
  } else if (type == "cancel") {
    auto found = pending.find(message.at("id").dump());
    if (found != pending.end()) {
      finish(found->second, "cancel");
      pending.erase(found);
    }
  } else if (type == "shutdown") {
    std::exit(0);
  }
}

}  // namespace

int main() {
  const char* startup = std::getenv("FAKE_ENGINE_STARTUP");
  const std::string mode = startup ? startup : "ready";
  if (mode == "exit") return 7;
  if (mode == "ready") send({{"type", "ready"}, {"model", nullptr}});
  std::map<std::string, Pending> pending;
  std::string buffer;
  auto next_tick = std::chrono::steady_clock::now();
  while (true) {
    pollfd input{STDIN_FILENO, POLLIN, 0};
    if (poll(&input, 1, 5) > 0) {
      char chunk[4096];
      ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
      if (n <= 0) return 0;
      buffer.append(chunk, static_cast<size_t>(n));
      for (size_t newline; (newline = buffer.find('\n')) != std::string::npos;) {
        std::string line = buffer.substr(0, newline);
        buffer.erase(0, newline + 1);
        handle(line, pending);
      }
    }
    if (std::chrono::steady_clock::now() >= next_tick) {
      tick(pending);
      next_tick += std::chrono::milliseconds(20);
    }
  }
}
