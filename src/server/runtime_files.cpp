#include "server/runtime_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "weft/error.hpp"

namespace weft::server {
namespace {

Error startup_error(const std::string& message) {
  return Error(ErrorCode::backend_unavailable, message);
}

std::string errno_text() {
  return std::strerror(errno);
}

void ensure_private_directory(const std::string& directory) {
  std::error_code ignored;
  std::filesystem::path path(directory);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ignored);
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    throw startup_error("cannot create the runtime directory " + directory + ": " + errno_text());
  }
  struct stat info {};
  if (::lstat(directory.c_str(), &info) != 0) {
    throw startup_error("cannot inspect the runtime directory " + directory + ": " + errno_text());
  }
  if (S_ISLNK(info.st_mode)) {
    throw startup_error("refusing the runtime directory " + directory + ": it is a symlink");
  }
  if (!S_ISDIR(info.st_mode)) {
    throw startup_error("the runtime directory " + directory + " is not a directory");
  }
  if (info.st_uid != ::geteuid()) {
    throw startup_error("refusing the runtime directory " + directory +
                        ": it belongs to another user");
  }
  // Others who may write here could swap the sockets or the lock file for their own.
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(info.st_mode & 07777));
    throw startup_error("refusing the runtime directory " + directory + ": its mode " + mode +
                        " lets other users write in it; run `chmod 700 " + directory +
                        "` or choose another --runtime-dir");
  }
}

// The path names the file that `fd` has open: not unlinked or replaced since it was opened.
bool still_names(int fd, const std::string& path) {
  struct stat opened {};
  struct stat named {};
  if (::fstat(fd, &opened) != 0 || ::stat(path.c_str(), &named) != 0) return false;
  return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

}  // namespace

RuntimeLock::RuntimeLock(std::string directory, const std::string& lock_name)
    : directory_(std::move(directory)), lock_path_(directory_ + "/" + lock_name) {
  ensure_private_directory(directory_);
  // A daemon that exits unlinks the lock file while holding the lock; one that opened the
  // file just before could then lock a file nobody else will ever see. So after locking,
  // check that the path still names the locked file, and start over if not.
  constexpr int kAttempts = 100;
  bool locked = false;
  for (int attempt = 0;; ++attempt) {
    fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) {
      throw startup_error("cannot open the lock file " + lock_path_ + ": " + errno_text());
    }
    locked = ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
    if (!locked || still_names(fd_, lock_path_)) break;
    ::close(fd_);
    fd_ = -1;
    if (attempt + 1 == kAttempts) {
      throw startup_error("the lock file " + lock_path_ +
                          " keeps being replaced; is another daemon starting and stopping?");
    }
  }
  if (!locked) {
    char owner[32] = {};
    ssize_t length = ::pread(fd_, owner, sizeof(owner) - 1, 0);
    std::string pid = length > 0 ? std::string(owner, static_cast<size_t>(length)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::close(fd_);
    fd_ = -1;
    // inferd takes the same flock on inferd.lock: under --inferd-compat the holder may be
    // a real inferd.
    const std::string holder = lock_path_.ends_with("/weft.lock")
                                   ? "another weft daemon"
                                   : "another daemon (inferd, or weft --inferd-compat)";
    throw startup_error(holder + " (pid " + pid + ") is already serving " + directory_ +
                        " (it holds " + lock_path_ +
                        "); stop it first or choose another --runtime-dir");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only informative (error messages of a second daemon); the lock holds.
  }
}

RuntimeLock::~RuntimeLock() {
  if (fd_ >= 0) {
    // Unlink while still holding the lock, so a starting daemon never locks a file that
    // is about to disappear under it.
    ::unlink(lock_path_.c_str());
    ::close(fd_);
  }
}

void prepare_socket_path(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    throw startup_error("socket path is too long (" + std::to_string(path.size()) +
                        " bytes, at most " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                        "): " + path);
  }
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return;
    throw startup_error("cannot inspect " + path + ": " + errno_text());
  }
  if (S_ISLNK(info.st_mode))
    throw startup_error("refusing socket path " + path + ": it is a symlink");
  if (!S_ISSOCK(info.st_mode)) {
    throw startup_error("refusing socket path " + path + ": a file that is not a socket is there");
  }
  if (::unlink(path.c_str()) != 0) {
    throw startup_error("cannot remove the stale socket " + path + ": " + errno_text());
  }
}

}  // namespace weft::server
