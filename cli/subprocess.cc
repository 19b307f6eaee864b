#include "cli/subprocess.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace factdedup::cli {

Child::Child(Child&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), out_(std::exchange(other.out_, -1)) {}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    Close();
    pid_ = std::exchange(other.pid_, -1);
    out_ = std::exchange(other.out_, -1);
  }
  return *this;
}

Child::~Child() { Close(); }

void Child::Close() {
  if (out_ >= 0) ::close(out_);
  out_ = -1;
  if (pid_ > 0) {
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  pid_ = -1;
}

absl::StatusOr<Child> Child::Start(const std::vector<std::string>& argv,
                                   const std::string& stdin_path, bool quiet) {
  if (argv.empty()) return absl::InvalidArgumentError("no program to run");
  const auto failed = [&](int err) {
    return absl::InternalError(absl::StrCat("cannot run ", argv[0], ": ", std::strerror(err)));
  };
  // Close-on-exec, so that programs started beside this one do not hold its pipe open; above
  // 0-2, so that a process started with one of those closed still gives the child its own.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return failed(errno);
  for (int& fd : fds) {
    if (fd > 2) continue;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    ::close(fd);
    fd = moved;
  }
  if (fds[0] < 0 || fds[1] < 0) {
    const int err = errno;
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
    return failed(err);
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  int rc = posix_spawn_file_actions_addopen(
      &actions, 0, stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  if (rc == 0 && quiet)
    rc = posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  // A child of a process that ignores SIGPIPE or blocks signals gets them back at default.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &all);
  if (rc == 0) rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (rc == 0) rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return failed(rc);
  }
  Child child;
  child.pid_ = pid;
  child.out_ = fds[0];
  return child;
}

Finished Child::Finish() {
  Finished f;
  if (pid_ <= 0) return f;
  f.started = true;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(out_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    f.out.append(buf, static_cast<size_t>(n));
  }
  ::close(out_);
  out_ = -1;
  int status = 0;
  pid_t waited;
  while ((waited = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  f.code = waited > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return f;
}

Finished Run(const std::vector<std::string>& argv, const std::string& stdin_path, bool quiet) {
  absl::StatusOr<Child> child = Child::Start(argv, stdin_path, quiet);
  if (!child.ok()) return {};
  return child->Finish();
}

void RemoveTree(const std::string& path) {
  ::nftw(
      path.c_str(),
      [](const char* p, const struct stat*, int type, struct FTW*) {
        if (type == FTW_DP) {
          ::rmdir(p);
        } else {
          ::unlink(p);
        }
        return 0;
      },
      16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace factdedup::cli
