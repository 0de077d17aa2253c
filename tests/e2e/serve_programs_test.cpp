// weft serve --programs DIR end to end (docs/programs.md, "Programs in the daemon"): program
// requests on the inference socket run real Node programs on the daemon's model; their
// session.send messages arrive in order before the result, errors and time limits come back
// as error frames, a closed connection or SIGTERM kills the program and releases its
// contexts, and two programs of one daemon exchange messages.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "client/connection.hpp"
#include "support/bundled_model.hpp"
#include "support/daemon_process.hpp"

namespace weft::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kSdkDir = std::string(WEFT_SOURCE_DIR) + "/sdk/js";

const std::map<std::string, std::string> kPrograms = {
    {"messages", R"(import { session, Model } from 'inferlet';
export async function main(input) {
  for (let i = 0; i < input.count; ++i) session.send(`message ${i}`);
  session.send({ last: true });
  const tokens = Model.load('default').tokenizer().encode(input.text);
  return { tokens: Array.from(tokens), echo: input };
}
)"},
    {"throws", R"(export async function main(input) {
  throw new Error('refused: ' + input.why);
}
)"},
    {"sleeps", R"(export async function main() {
  await new Promise((resolve) => setTimeout(resolve, 600000));
  return {};
}
)"},
    // Holds a context with pages, says its pid, then waits for a message that never comes.
    {"holds", R"(import { session, messaging, Model, Context } from 'inferlet';
export async function main(input) {
  const ctx = new Context(Model.load('default'));
  ctx.appendText(input.text);
  await ctx.flush();
  session.send(String(process.pid));
  return { never: await messaging.pull(input.topic) };
}
)"},
    {"environment", R"(export async function main() {
  return { key: process.env.OPENAI_API_KEY ?? null, visible: process.env.WEFT_TEST_VISIBLE ?? null };
}
)"},
    // Tries to go past --program-max-contexts 1 and --program-max-pages 2.
    {"limits", R"(import { Model, Context } from 'inferlet';
export async function main(input) {
  const model = Model.load('default');
  const first = new Context(model);
  let second = 'created';
  try { new Context(model); } catch (error) { second = error.message; }
  first.appendText(input.text);
  let flushed = 'flushed';
  try { await first.flush(); } catch (error) { flushed = error.message; }
  return { second, flushed };
}
)"},
    {"pull", R"(import { messaging } from 'inferlet';
export async function main(input) {
  return { got: await messaging.pull(input.topic) };
}
)"},
    // Echoes each client message until the client ends its input.
    {"echo", R"(import { session } from 'inferlet';
export async function main() {
  let count = 0;
  while (true) {
    let message;
    try { message = await session.receive(); } catch (error) { return { count, ended: error.message }; }
    count += 1;
    session.send('got: ' + message);
  }
}
)"},
    // Receives the request's files in order; after each, a message, then the file reversed.
    // Then a file past the limit per file.
    {"files", R"(import { session } from 'inferlet';
export async function main() {
  const got = [];
  while (true) {
    let data;
    try { data = await session.receiveFile(); } catch (error) { got.push(error.code); break; }
    got.push(data.length);
    session.send(`file of ${data.length}`);
    session.sendFile(data.slice().reverse());
  }
  let tooLarge = 'sent';
  try { session.sendFile(new Uint8Array(16 * 1024 * 1024 + 1)); } catch (error) { tooLarge = `${error.code}: ${error.message}`; }
  return { got, tooLarge };
}
)"},
    // Forward.attentionMask in the daemon (its contexts run on the scheduler): the logits of
    // a token that sees only itself, of the same token alone in a new context, and of the
    // token seeing everything, as base64.
    {"masks", R"(import { Context, Logits, Model } from 'inferlet';
async function logitsOf(ctx, token, masks) {
  const fwd = ctx.forward();
  fwd.input([token]);
  const probe = fwd.probe(0, Logits());
  if (masks) fwd.attentionMask(masks);
  const out = await fwd.execute();
  return Buffer.from(out.logits(probe)).toString('base64');
}
export async function main(input) {
  const model = Model.load('default');
  const ctx = new Context(model);
  ctx.appendText(input.text);
  await ctx.flush();
  const causal = await logitsOf(ctx.fork(), input.token, null);
  const selfOnly = await logitsOf(ctx, input.token, [[ctx.seqLen, 1]]);
  const alone = await logitsOf(new Context(model), input.token, null);
  return { causal, selfOnly, alone };
}
)"},
    {"push", R"(import { messaging } from 'inferlet';
export async function main(input) {
  messaging.push(input.topic, input.message);
  return { pushed: true };
}
)"},
};

void write_programs(const std::string& dir) {
  for (const auto& [name, source] : kPrograms) std::ofstream(dir + "/" + name + ".js") << source;
}

// A daemon with the programs above; native on the bundled model unless `args` say otherwise.
struct ProgramDaemon {
  TempDir programs;
  uint16_t port = free_tcp_port();
  DaemonProcess daemon;

  explicit ProgramDaemon(std::vector<std::string> extra = {},
                         std::vector<std::string> backend = {"--backend", "native", "--model",
                                                             test::bundled_model_file(), "--ctx",
                                                             "512", "--threads", "1"},
                         std::map<std::string, std::string> env = {})
      : daemon([&] {
          write_programs(programs.path());
          DaemonProcess::Options options;
          options.args = backend;
          for (const auto& arg : {"--programs", programs.path().c_str(), "--tcp"}) {
            options.args.push_back(arg);
          }
          options.args.push_back("127.0.0.1:" + std::to_string(port));
          options.args.insert(options.args.end(), extra.begin(), extra.end());
          options.env = env;
          options.env["WEFT_SDK_DIR"] = kSdkDir;
          return options;
        }()) {}

  std::shared_ptr<client::Connection> connect() const {
    daemon.connect().close();  // waits for ready
    return client::Connection::open(daemon.infer_address());
  }
  std::shared_ptr<client::Connection> connect_tcp() const {
    daemon.connect().close();
    return client::Connection::open(client::Address::tcp("127.0.0.1", port));
  }
};

void send_program(client::Connection& connection, const std::string& id, const std::string& name,
                  const json& input) {
  connection.write_all(json{{"id", id}, {"program", name}, {"input", input}}.dump() + "\n");
}

json read_program_frame(client::Connection& connection) {
  auto line = connection.read_line(std::chrono::milliseconds(kPatience));
  if (!line) {
    ADD_FAILURE() << "no frame (connection " << (connection.timed_out() ? "timed out" : "closed")
                  << ")";
    return json::object();
  }
  return json::parse(*line);
}

// Reads up to the terminal frame; the message frames' contents in `messages`.
json read_until_terminal(client::Connection& connection, std::vector<std::string>* messages) {
  while (true) {
    json frame = read_program_frame(connection);
    if (frame.value("type", "") != "message") return frame;
    if (messages) messages->push_back(frame["content"].get<std::string>());
  }
}

// The `programs` object of the next stats frame that satisfies `wanted`.
template <typename Predicate>
std::optional<json> program_stats_where(client::AdminClient& admin, Predicate wanted) {
  while (auto event = admin.next_for(std::chrono::milliseconds(kPatience))) {
    if (!event->is_stats()) continue;
    json frame = json::parse(event->raw);
    if (frame.contains("programs") && wanted(frame["programs"])) return frame["programs"];
  }
  return std::nullopt;
}

// Gone, or a zombie left for init to reap: either way it runs no more.
bool process_ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto state = text.find(") ");
  return state != std::string::npos && text[state + 2] == 'Z';
}

bool wait_until_ended(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!process_ended(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::vector<int> token_ids(const std::string& text) {
  std::vector<int> ids;
  std::istringstream words(text);
  for (int id; words >> id;) ids.push_back(id);
  return ids;
}

TEST(ServePrograms, StreamsTheMessagesInOrderThenTheResult) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  const json input = {{"count", 5}, {"text", "Once upon a time"}, {"nested", {1, "two", nullptr}}};
  send_program(*connection, "run-1", "messages", input);

  std::vector<std::string> messages;
  json done = read_until_terminal(*connection, &messages);
  ASSERT_EQ(done["type"], "done") << done.dump() << daemon.daemon.log();
  EXPECT_EQ(done["id"], "run-1");
  EXPECT_EQ(done["program"], "messages");
  EXPECT_EQ(messages, (std::vector<std::string>{"message 0", "message 1", "message 2", "message 3",
                                                "message 4", R"({"last":true})"}));
  const json result = json::parse(done["content"].get<std::string>());
  EXPECT_EQ(result["echo"], input);
  // The model's tokenizer, reached through the daemon: `weft tokenize` on the same file.
  auto reference =
      run_weft({"tokenize", test::bundled_model_file(), "--no-bos", "Once upon a time"});
  ASSERT_EQ(reference.status, 0) << reference.errors;
  EXPECT_EQ(result["tokens"].get<std::vector<int>>(), token_ids(reference.output));
}

std::string client_message(const std::string& id, const json& content) {
  return json{{"type", "message"}, {"id", id}, {"content", content}}.dump() + "\n";
}

TEST(ServePrograms, ClientMessagesReachSessionReceiveUntilTheClientEndsItsInput) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  // Two messages in the same write as the request: they wait for the program to start.
  connection->write_all(json{{"id", "e1"}, {"program", "echo"}, {"input", json::object()}}.dump() +
                        "\n" + client_message("e1", "one") + client_message("e1", {{"n", 2}}));
  json frame = read_program_frame(*connection);
  EXPECT_EQ(frame["type"], "message") << frame.dump() << daemon.daemon.log();
  EXPECT_EQ(frame["content"], "got: one");
  frame = read_program_frame(*connection);
  EXPECT_EQ(frame["content"], R"(got: {"n":2})");
  // One more while it runs, then the end of the input.
  connection->write_all(client_message("e1", "three"));
  frame = read_program_frame(*connection);
  EXPECT_EQ(frame["content"], "got: three");
  connection->write_all(json{{"type", "message"}, {"id", "e1"}, {"end", true}}.dump() + "\n");
  json done = read_until_terminal(*connection, nullptr);
  ASSERT_EQ(done["type"], "done") << done.dump() << daemon.daemon.log();
  EXPECT_EQ(done["id"], "e1");
  const json result = json::parse(done["content"].get<std::string>());
  EXPECT_EQ(result["count"], 3);
  EXPECT_NE(result["ended"].get<std::string>().find("input ended"), std::string::npos)
      << result.dump();
}

// Base64 written out by hand (RFC 4648), not by weft's encoder: "AAEC/w==" is the bytes 0, 1,
// 2, 255 and "/wIBAA==" the same reversed; "aGVsbG8=" is "hello", "b2xsZWg=" is "olleh".
TEST(ServePrograms, FilesGoToSessionReceiveFileAndComeBackAsFileFramesInOrder) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  connection->write_all(json{{"id", "f1"},
                             {"program", "files"},
                             {"input", json::object()},
                             {"files", {"AAEC/w==", "aGVsbG8="}}}
                            .dump() +
                        "\n");
  std::vector<json> frames;
  for (json frame = read_program_frame(*connection); frame.value("type", "") != "done";
       frame = read_program_frame(*connection)) {
    ASSERT_TRUE(frame.value("type", "") == "message" || frame.value("type", "") == "file")
        << frame.dump() << daemon.daemon.log();
    frames.push_back(frame);
  }
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0], json({{"id", "f1"}, {"type", "message"}, {"content", "file of 4"}}));
  EXPECT_EQ(
      frames[1],
      json({{"id", "f1"}, {"type", "file"}, {"index", 1}, {"bytes", 4}, {"data", "/wIBAA=="}}));
  EXPECT_EQ(frames[2], json({{"id", "f1"}, {"type", "message"}, {"content", "file of 5"}}));
  EXPECT_EQ(
      frames[3],
      json({{"id", "f1"}, {"type", "file"}, {"index", 2}, {"bytes", 5}, {"data", "b2xsZWg="}}));
}

TEST(ServePrograms, AFilePastTheLimitFailsTheProgramsSendFileAndTheRunGoesOn) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  send_program(*connection, "f2", "files", json::object());
  json done = read_until_terminal(*connection, nullptr);
  ASSERT_EQ(done["type"], "done") << done.dump() << daemon.daemon.log();
  const json result = json::parse(done["content"].get<std::string>());
  EXPECT_EQ(result["got"], json({"not_found"}));  // no files: receiveFile ends at once
  EXPECT_EQ(result["tooLarge"].get<std::string>().rfind("resource_exhausted: ", 0), 0u)
      << result.dump();
  EXPECT_NE(result["tooLarge"].get<std::string>().find("16777216"), std::string::npos);
}

TEST(ServePrograms, FilesThatAreNotBase64AreRefusedNamingTheEntry) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  connection->write_all(
      json{{"id", "f3"}, {"program", "files"}, {"files", {"aGVsbG8=", "not base64"}}}.dump() +
      "\n");
  json error = read_program_frame(*connection);
  EXPECT_EQ(error["type"], "error") << error.dump();
  EXPECT_EQ(error["id"], "f3");
  EXPECT_EQ(error["code"], "invalid_request");
  EXPECT_NE(error["message"].get<std::string>().find("'files[1]' is not base64"), std::string::npos)
      << error.dump();
  send_program(*connection, "after", "messages", {{"count", 0}, {"text", "hi"}});
  EXPECT_EQ(read_until_terminal(*connection, nullptr)["type"], "done");
}

// A token that sees only itself computes from its own embedding alone (its attention is its
// own value, weight 1, in every layer), so it has the logits of that token alone in a new
// context: through the daemon's scheduler, byte for byte.
TEST(ServePrograms, AttentionMasksRunOnTheDaemonsScheduler) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  send_program(*connection, "m1", "masks", {{"text", "Once upon a time"}, {"token", 378}});
  json done = read_until_terminal(*connection, nullptr);
  ASSERT_EQ(done["type"], "done") << done.dump() << daemon.daemon.log();
  const json result = json::parse(done["content"].get<std::string>());
  EXPECT_EQ(result["selfOnly"], result["alone"]);
  EXPECT_NE(result["selfOnly"], result["causal"]);
  // Base64 of stories260K's 512 float32 logits: 4·⌈2048/3⌉ characters.
  EXPECT_EQ(result["alone"].get<std::string>().size(), 2732u);
}

TEST(ServePrograms, MessagesThatCannotBeDeliveredAreRefusedAndTheProgramGoesOn) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  send_program(*connection, "e2", "echo", json::object());
  connection->write_all(client_message("someone-else", "lost"));
  json frame = read_program_frame(*connection);
  EXPECT_EQ(frame["type"], "message_refused") << frame.dump();
  EXPECT_EQ(frame["id"], "someone-else");
  EXPECT_EQ(frame["code"], "invalid_request");
  connection->write_all(json{{"type", "message"}, {"id", "e2"}}.dump() + "\n");
  frame = read_program_frame(*connection);
  EXPECT_EQ(frame["type"], "message_refused") << frame.dump();
  EXPECT_NE(frame["message"].get<std::string>().find("'content'"), std::string::npos);
  connection->write_all(client_message("e2", "still here"));
  frame = read_program_frame(*connection);
  EXPECT_EQ(frame["content"], "got: still here") << frame.dump();
  connection->write_all(json{{"type", "message"}, {"id", "e2"}, {"end", true}}.dump() + "\n");
  json done = read_until_terminal(*connection, nullptr);
  ASSERT_EQ(done["type"], "done") << done.dump();
  EXPECT_EQ(json::parse(done["content"].get<std::string>())["count"], 1);
  // After the end, the id names no program: refused, and the connection serves on.
  connection->write_all(client_message("e2", "late"));
  frame = read_program_frame(*connection);
  EXPECT_EQ(frame["type"], "message_refused") << frame.dump();
}

TEST(ServePrograms, UnknownAndMalformedNamesAreInvalidRequestsAndTheConnectionGoesOn) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  send_program(*connection, "unknown", "no_such_program", json::object());
  json unknown = read_program_frame(*connection);
  EXPECT_EQ(unknown["type"], "error");
  EXPECT_EQ(unknown["id"], "unknown");
  EXPECT_EQ(unknown["code"], "invalid_request");
  EXPECT_NE(unknown["message"].get<std::string>().find("no program 'no_such_program'"),
            std::string::npos)
      << unknown.dump();

  // Names that are not plain names: a path out of the directory, a file name, nothing.
  for (const std::string name : {"../x", "a/b", "", "x.js", "messages\n"}) {
    send_program(*connection, "bad", name, json::object());
    json bad = read_program_frame(*connection);
    EXPECT_EQ(bad["type"], "error") << name;
    EXPECT_EQ(bad["code"], "invalid_request") << name;
    EXPECT_NE(bad["message"].get<std::string>().find("'program' must be a name"), std::string::npos)
        << bad.dump();
  }

  connection->write_all(
      R"({"id":"both","program":"messages","messages":[{"role":"user","content":"hi"}]})"
      "\n");
  EXPECT_EQ(read_program_frame(*connection)["code"], "invalid_request");

  send_program(*connection, "after", "messages", {{"count", 0}, {"text", "hi"}});
  json done = read_until_terminal(*connection, nullptr);
  EXPECT_EQ(done["type"], "done") << done.dump();
  EXPECT_EQ(done["id"], "after");
}

TEST(ServePrograms, AThrownErrorEndsTheRequestWithAnErrorFrame) {
  ProgramDaemon daemon;
  auto connection = daemon.connect_tcp();
  send_program(*connection, "thrower", "throws", {{"why", "no reason"}});
  json error = read_until_terminal(*connection, nullptr);
  EXPECT_EQ(error["type"], "error");
  EXPECT_EQ(error["id"], "thrower");
  EXPECT_EQ(error["code"], "invalid_request");
  EXPECT_EQ(error["program_error"], "failed");
  EXPECT_NE(error["message"].get<std::string>().find("refused: no reason"), std::string::npos)
      << error.dump();
}

TEST(ServePrograms, AProgramPastItsTimeLimitIsStopped) {
  ProgramDaemon daemon({"--program-timeout", "1"});
  auto connection = daemon.connect();
  const auto start = std::chrono::steady_clock::now();
  send_program(*connection, "slow", "sleeps", json::object());
  json error = read_until_terminal(*connection, nullptr);
  EXPECT_EQ(error["type"], "error") << error.dump();
  EXPECT_EQ(error["program_error"], "timeout");
  EXPECT_NE(error["message"].get<std::string>().find("time limit of 1 s"), std::string::npos)
      << error.dump();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(ServePrograms, ClosingTheConnectionKillsTheProgramAndReleasesItsContexts) {
  ProgramDaemon daemon;
  auto admin = daemon.daemon.admin();
  auto connection = daemon.connect();
  send_program(*connection, "held", "holds",
               {{"text",
                 "Once upon a time there was a little girl named Lily. She loved to play "
                 "outside in the sun with her friends."},
                {"topic", "nobody-pushes-this"}});
  json pid_frame = read_program_frame(*connection);
  ASSERT_EQ(pid_frame["type"], "message") << pid_frame.dump() << daemon.daemon.log();
  const pid_t pid = std::stoi(pid_frame["content"].get<std::string>());
  EXPECT_FALSE(process_ended(pid));
  auto holding = program_stats_where(admin, [](const json& programs) {
    return programs["running"] == 1 && programs["contexts"].get<int64_t>() > 0;
  });
  ASSERT_TRUE(holding) << daemon.daemon.log();
  EXPECT_GT((*holding)["pages_in_use"].get<int64_t>(), 0);

  connection->close();
  EXPECT_TRUE(wait_until_ended(pid)) << "the program's Node process still runs";
  auto released = program_stats_where(admin, [](const json& programs) {
    return programs["running"] == 0 && programs["contexts"] == 0;
  });
  EXPECT_TRUE(released) << daemon.daemon.log();
  EXPECT_TRUE(daemon.daemon.wait_for_log_line({"id=\"held\"", "stop_reason=cancelled"}));
}

TEST(ServePrograms, TwoProgramsExchangeAMessageThroughPushAndPull) {
  ProgramDaemon daemon;
  auto puller = daemon.connect();
  auto pusher = daemon.connect_tcp();
  send_program(*puller, "pull", "pull", {{"topic", "greetings"}});
  send_program(*pusher, "push", "push", {{"topic", "greetings"}, {"message", "hello, puller"}});
  json pushed = read_until_terminal(*pusher, nullptr);
  ASSERT_EQ(pushed["type"], "done") << pushed.dump() << daemon.daemon.log();
  EXPECT_EQ(json::parse(pushed["content"].get<std::string>()), json({{"pushed", true}}));
  json pulled = read_until_terminal(*puller, nullptr);
  ASSERT_EQ(pulled["type"], "done") << pulled.dump() << daemon.daemon.log();
  EXPECT_EQ(json::parse(pulled["content"].get<std::string>()), json({{"got", "hello, puller"}}));
}

TEST(ServePrograms, ThePerProgramContextAndPageLimitsApply) {
  ProgramDaemon daemon({"--program-max-contexts", "1", "--program-max-pages", "2"});
  auto connection = daemon.connect();
  std::string text;  // far more than two pages of tokens
  for (int i = 0; i < 6; ++i) text += "Once upon a time there was a little girl named Lily. ";
  send_program(*connection, "limited", "limits", {{"text", text}});
  json done = read_until_terminal(*connection, nullptr);
  ASSERT_EQ(done["type"], "done") << done.dump() << daemon.daemon.log();
  const json result = json::parse(done["content"].get<std::string>());
  const auto second = result["second"].get<std::string>();
  const auto flushed = result["flushed"].get<std::string>();
  EXPECT_NE(second.find("resource_exhausted"), std::string::npos) << second;
  EXPECT_NE(second.find("contexts"), std::string::npos) << second;
  EXPECT_NE(flushed.find("resource_exhausted"), std::string::npos) << flushed;
  EXPECT_NE(flushed.find("limit of 2 KV pages"), std::string::npos) << flushed;
}

TEST(ServePrograms, OneProgramPastMaxProgramsIsRefusedWithQueueFull) {
  ProgramDaemon daemon({"--max-programs", "1"});
  auto first = daemon.connect();
  send_program(*first, "first", "holds", {{"text", "Once upon a time"}, {"topic", "never"}});
  ASSERT_EQ(read_program_frame(*first)["type"], "message") << daemon.daemon.log();
  auto second = daemon.connect();
  send_program(*second, "second", "messages", {{"count", 0}, {"text", "hi"}});
  json refused = read_program_frame(*second);
  EXPECT_EQ(refused["type"], "error");
  EXPECT_EQ(refused["code"], "queue_full") << refused.dump();
  // Generations do not count against the programs' cap.
  second->write_all(R"({"id":"gen","messages":[{"role":"user","content":"hi"}],"max_tokens":2})"
                    "\n");
  json frame;
  do {
    frame = read_program_frame(*second);
  } while (frame.value("type", "") == "token");
  EXPECT_EQ(frame["type"], "done") << frame.dump();
}

TEST(ServePrograms, SigtermStopsRunningProgramsWithAnErrorFrame) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  send_program(*connection, "drained", "holds", {{"text", "Once upon a time"}, {"topic", "never"}});
  json pid_frame = read_program_frame(*connection);
  ASSERT_EQ(pid_frame["type"], "message") << pid_frame.dump() << daemon.daemon.log();
  const pid_t pid = std::stoi(pid_frame["content"].get<std::string>());
  daemon.daemon.send_signal(SIGTERM);
  json error = read_until_terminal(*connection, nullptr);
  EXPECT_EQ(error["type"], "error");
  EXPECT_EQ(error["id"], "drained");
  EXPECT_EQ(error["code"], "backend_unavailable");
  EXPECT_EQ(error["program_error"], "stopped");
  EXPECT_NE(error["message"].get<std::string>().find("shutting down"), std::string::npos);
  EXPECT_EQ(daemon.daemon.wait_exit(), 0);
  EXPECT_TRUE(wait_until_ended(pid));
}

// Also: the reload binds the TCP port again, which fails if a program's process inherited
// the daemon's listening socket.
TEST(ServePrograms, SighupStopsRunningProgramsAndTheNextRunsOnTheReloadedModel) {
  ProgramDaemon daemon;
  auto connection = daemon.connect();
  send_program(*connection, "reloaded", "holds",
               {{"text", "Once upon a time"}, {"topic", "never"}});
  json pid_frame = read_program_frame(*connection);
  ASSERT_EQ(pid_frame["type"], "message") << pid_frame.dump() << daemon.daemon.log();
  const pid_t pid = std::stoi(pid_frame["content"].get<std::string>());
  daemon.daemon.send_signal(SIGHUP);
  json error = read_until_terminal(*connection, nullptr);
  EXPECT_EQ(error["type"], "error") << daemon.daemon.log();
  EXPECT_EQ(error["code"], "backend_unavailable");
  EXPECT_EQ(error["program_error"], "stopped");
  EXPECT_NE(error["message"].get<std::string>().find("reloading"), std::string::npos)
      << error.dump();
  EXPECT_TRUE(wait_until_ended(pid));

  ASSERT_TRUE(daemon.daemon.wait_for_log_line({"SIGHUP: reloading the model"}));
  auto after = daemon.connect();  // once ready again
  send_program(*after, "after-reload", "messages", {{"count", 1}, {"text", "Once upon a time"}});
  json done = read_until_terminal(*after, nullptr);
  EXPECT_EQ(done["type"], "done") << done.dump() << daemon.daemon.log();
}

TEST(ServePrograms, ProgramsNeedTheNativeBackendAndTheProgramsOption) {
  ProgramDaemon remote({}, {"--backend", "stub"});
  auto connection = remote.connect();
  send_program(*connection, "stubbed", "messages", {{"count", 1}, {"text", "hi"}});
  json error = read_until_terminal(*connection, nullptr);
  EXPECT_EQ(error["type"], "error");
  EXPECT_EQ(error["code"], "invalid_request");
  EXPECT_NE(error["message"].get<std::string>().find("native backend"), std::string::npos)
      << error.dump();

  DaemonProcess plain;  // no --programs
  auto raw = (plain.connect().close(), client::Connection::open(plain.infer_address()));
  send_program(*raw, "none", "messages", json::object());
  json refused = read_program_frame(*raw);
  EXPECT_EQ(refused["code"], "invalid_request");
  EXPECT_NE(refused["message"].get<std::string>().find("--programs"), std::string::npos)
      << refused.dump();
}

TEST(ServePrograms, ProgramsDoNotSeeTheDaemonsKeys) {
  ProgramDaemon daemon(
      {}, {"--backend", "native", "--model", test::bundled_model_file(), "--ctx", "512"},
      {{"OPENAI_API_KEY", "sk-secret"}, {"WEFT_TEST_VISIBLE", "yes"}});
  auto connection = daemon.connect();
  send_program(*connection, "env", "environment", json::object());
  json done = read_until_terminal(*connection, nullptr);
  ASSERT_EQ(done["type"], "done") << done.dump() << daemon.daemon.log();
  EXPECT_EQ(json::parse(done["content"].get<std::string>()),
            json({{"key", nullptr}, {"visible", "yes"}}));
}

TEST(ServePrograms, AMissingProgramsDirectoryIsRefusedAtStart) {
  TempDir runtime;
  auto result = run_weft({"serve", "--backend", "stub", "--programs", runtime.path() + "/absent"},
                         {{"XDG_RUNTIME_DIR", runtime.path()}});
  EXPECT_EQ(result.status, 1);
  EXPECT_NE(result.errors.find("is not a directory"), std::string::npos) << result.errors;
}

}  // namespace
}  // namespace weft::testing
