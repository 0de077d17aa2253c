// Daemons and requests the fault suite shares.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/daemon_process.hpp"

namespace weft::testing {

inline const std::string kBundledModel =
    std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";

inline DaemonProcess::Options stub_daemon(std::vector<std::string> extra_args,
                                          std::map<std::string, std::string> env = {}) {
  DaemonProcess::Options options;
  options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
  options.env = std::move(env);
  return options;
}

inline DaemonProcess::Options native_daemon(std::vector<std::string> extra_args,
                                            const std::string& model = kBundledModel) {
  DaemonProcess::Options options;
  options.args = {"--backend", "native", "--model", model, "--threads", "1"};
  options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
  return options;
}

// One request line of the wire protocol, with a single user message.
inline std::string request_line(const std::string& id, const std::string& content,
                                uint32_t max_tokens) {
  nlohmann::json request = {{"id", id},
                            {"messages", {{{"role", "user"}, {"content", content}}}},
                            {"max_tokens", max_tokens}};
  return request.dump() + "\n";
}

}  // namespace weft::testing
