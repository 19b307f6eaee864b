// Programs run without a shell (every `git` call of `check --base`, and `tar`): argv as given,
// looked up on PATH, stdout through a pipe. Several may run at once; each is waited for.
#ifndef FACTDEDUP_CLI_SUBPROCESS_H_
#define FACTDEDUP_CLI_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace factdedup::cli {

// What a finished program printed and how it ended.
struct Finished {
  bool started = false;  // false: the program could not be run (then `code` is -1)
  std::string out;       // its whole stdout
  int code = -1;         // exit status; -1 when killed by a signal
  bool ok() const { return code == 0; }
};

// A started program. Finish reads its stdout to the end and waits for it; a Child destroyed
// without Finish closes its pipe and waits too (never leaves a zombie).
class Child {
 public:
  Child() = default;
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  // Starts argv[0] (looked up on PATH) with stdin from `stdin_path` ("": /dev/null) and
  // stderr to /dev/null when `quiet`, else this process's; signals at their defaults, none
  // blocked. Fails (naming the program and why) only when it cannot start.
  static absl::StatusOr<Child> Start(const std::vector<std::string>& argv,
                                     const std::string& stdin_path = "", bool quiet = false);
  Finished Finish();

 private:
  void Close();
  pid_t pid_ = -1;
  int out_ = -1;
};

// Start then Finish; a program that cannot start gives `started` false.
Finished Run(const std::vector<std::string>& argv, const std::string& stdin_path = "",
             bool quiet = false);

// Removes `path` and everything under it, without following symlinks; ignores what it cannot
// remove.
void RemoveTree(const std::string& path);

}  // namespace factdedup::cli

#endif  // FACTDEDUP_CLI_SUBPROCESS_H_
