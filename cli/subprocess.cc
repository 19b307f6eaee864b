#include "cli/subprocess.h"

#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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
  // Close-on-exec, so that programs started beside this one do not hold its pipe open.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return absl::InternalError("cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(
      &actions, 0, stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  if (quiet) posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return absl::InternalError(absl::StrCat("cannot run ", argv[0]));
  }
  Child child;
  child.pid_ = pid;
  child.out_ = fds[0];
  return child;
}

Finished Child::Finish() {
  Finished f;
  if (pid_ <= 0) return f;
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
