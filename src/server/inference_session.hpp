// One inference connection (Unix or TCP): reads frames, serves its requests in order
// through admission, writes frames on its strand, and cancels its generation at once
// when the peer goes away. Its memory is bounded (docs/serve.md#limits): output beyond
// kOutputBudget, output stalled past the write timeout, or a pre-auth line beyond
// kMaxAuthLineBytes close it; so does the daemon-wide budget (server/memory_budget.hpp) when
// all connections together hold too much and this one holds the most.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <variant>
#include <vector>
#include "server/asio.hpp"

#include "protocol/framing.hpp"
#include "protocol/request_codec.hpp"
#include "server/connection_output.hpp"
#include "server/context.hpp"
#include "server/generation_job.hpp"
#include "server/program_host.hpp"

namespace weft::server {

class InferenceSession : public std::enable_shared_from_this<InferenceSession> {
 public:
  using Socket = asio::generic::stream_protocol::socket;
  enum class Transport { unix_socket, tcp };

  // Frames queued for one connection and not yet written (tokens, errors, done, refusals):
  // a connection whose unwritten output would pass this is closed.
  static constexpr size_t kOutputBudget = kConnectionOutputBudget;
  // What an unauthenticated TCP peer may send before its auth line ends.
  static constexpr size_t kMaxAuthLineBytes = 8u << 10;
  // The read buffer starts small, doubles while reads fill it, and drops back when idle.
  static constexpr size_t kMinReadBuffer = 4u << 10;
  static constexpr size_t kMaxReadBuffer = 64u << 10;

  InferenceSession(Socket socket, ServerContext& context, Transport transport);
  void start();
  // Any thread. Shutdown after the drain timeout: cancels the running generation, refuses
  // the waiting ones, and closes once the last frame is written.
  void abort();
  // Any thread. Closes now (the generation is cancelled).
  void close_now();

 private:
  // A frame-level error: written in its turn, then the connection closes.
  struct FatalFrame {
    ErrorCode code;
    std::string message;
  };
  struct Pending {
    std::variant<protocol::DecodedRequest, protocol::InvalidRequest, FatalFrame,
                 protocol::ProgramRequest>
        item;
    std::chrono::steady_clock::time_point received;
    // A program request's handle from the moment it is read, so that messages the client
    // sends for it while it waits are kept for its session.receive.
    std::shared_ptr<ProgramHandle> program = {};
    size_t line_bytes = 0;  // what the request line was: its share of the memory budget
  };

  void start_first_line_deadline();
  void read_more();
  void on_read(std::error_code error, size_t bytes);
  void resize_read_buffer(size_t bytes_read);
  void on_eof();
  bool peer_fully_closed();
  void extract_frames();
  void handle_line(const std::string& line);
  void pump();
  void serve_waiting();
  // Charges the unparsed input and the waiting requests to the daemon-wide budget.
  void count_input();
  bool serve(Pending pending);
  void submit(protocol::DecodedRequest decoded, std::chrono::steady_clock::time_point received);
  void submit_program(protocol::ProgramRequest request, std::shared_ptr<ProgramHandle> handle,
                      std::chrono::steady_clock::time_point received);
  // A client message for a program request of this connection (running or waiting).
  void route_program_input(protocol::ProgramInput input);
  void on_generation_finished();
  void refuse(const std::string& id, ErrorCode code, const std::string& message,
              std::chrono::steady_clock::time_point received);
  void write(std::string frame, bool counted_by_worker = false);
  void write_next();
  void on_written(std::error_code error, size_t bytes);
  void close_after_flush();
  void close();

  Socket socket_;
  ServerContext& context_;
  const Transport transport_;
  asio::strand<asio::any_io_executor> strand_;
  uint64_t session_id_ = 0;
  std::shared_ptr<Outbox> outbox_ = std::make_shared<Outbox>();
  std::shared_ptr<BudgetAccount> budget_;

  // Everything below is touched on the strand only.
  protocol::FrameReader reader_;
  std::vector<char> read_buffer_ = std::vector<char>(kMinReadBuffer);
  std::deque<Pending> pending_;
  bool authenticated_;
  bool first_line_seen_ = false;
  // TCP only: closes a connection whose first complete line has not come in time.
  asio::steady_timer first_line_deadline_;
  bool reading_ = false;
  bool stop_reading_ = false;  // EOF, a fatal frame, or abort
  bool busy_ = false;          // a request is admitted or waiting for admission
  Admission::Ticket ticket_ = 0;
  std::string current_id_;
  std::shared_ptr<GenerationHandle> handle_;
  std::shared_ptr<ProgramHandle> program_;  // the program request being served, if any
  std::deque<std::string> outgoing_;
  size_t front_written_ = 0;  // bytes of outgoing_.front() already written
  bool writing_ = false;
  // Closes the connection when a write makes no progress within the write timeout.
  WriteDeadline write_deadline_;
  bool close_after_flush_ = false;
  bool closed_ = false;
};

}  // namespace weft::server
