// Daemons and requests the fault suite shares.
#pragma once

#include <cstdlib>
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

// AddressSanitizer's quarantine keeps up to 256 MB of freed blocks resident, which a peak
// measure would count; a small one leaves what the daemon holds (no effect without ASan).
inline std::map<std::string, std::string> small_asan_quarantine() {
  const char* current = std::getenv("ASAN_OPTIONS");
  std::string options = current ? current : "";
  if (!options.empty()) options += ":";
  return {{"ASAN_OPTIONS", options + "quarantine_size_mb=8"}};
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
