// What a daemon process costs, read from /proc/PID: the bounds of the fault suite are
// asserted on the daemon itself, not on the machine's wall clock or memory.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace weft::testing {

inline constexpr int64_t kMiB = int64_t{1} << 20;

// A field of /proc/PID/status in bytes (VmRSS, VmHWM…); fails the test when it is missing.
int64_t status_bytes(pid_t pid, const std::string& field);
// User plus system CPU time the process has used, in seconds.
double cpu_seconds(pid_t pid);
// Open file descriptors of the process.
int open_fds(pid_t pid);

}  // namespace weft::testing
