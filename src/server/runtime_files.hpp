// The daemon's files in its runtime directory: the lock that keeps a second daemon away
// and the checks made before a socket path is bound.
#pragma once

#include <string>

namespace weft::server {

// Creates the directory (mode 0700) when missing and takes an exclusive lock on
// `weft.lock` inside it; throws weft::Error with a clear message when another daemon
// holds it. The lock is released (and the lock file removed) on destruction.
class RuntimeLock {
 public:
  // `lock_name`: weft.lock, or inferd.lock under --inferd-compat.
  explicit RuntimeLock(std::string directory, const std::string& lock_name = "weft.lock");
  ~RuntimeLock();
  RuntimeLock(const RuntimeLock&) = delete;
  RuntimeLock& operator=(const RuntimeLock&) = delete;

  const std::string& directory() const { return directory_; }
  std::string path_of(const std::string& name) const { return directory_ + "/" + name; }

 private:
  std::string directory_;
  std::string lock_path_;
  int fd_ = -1;
};

// Before binding: refuses a symlink or a non-socket file at `path`, removes a stale socket
// (the lock proves no live daemon owns it), and checks the length limit of sun_path.
void prepare_socket_path(const std::string& path);

}  // namespace weft::server
