// Progress on a terminal for long runs, and the one-line summary of times per stage.
//
//   Progress progress(Progress::Mode(args));     // live only on a TTY, never with --json
//   vault_options.progress = progress.Counter("read notes");
//   progress.StageDone("read", seconds);
//   ...
//   progress.Finish("10000 facts in 61 notes");  // "factdedup: 10000 facts ...: read 0.2s, ..."
//
// Live lines go to stderr, redrawn in place at most every 100 ms, and are erased before
// anything else is printed. The summary is printed when the live display is on, or when
// --timings asks for it on any stream (for benchmarks); --quiet turns both off.
#ifndef FACTDEDUP_CLI_PROGRESS_H_
#define FACTDEDUP_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "cli/args.h"

namespace factdedup::cli {

class Progress {
 public:
  struct Settings {
    bool live = false;     // redraw a status line on stderr
    bool summary = false;  // print the per-stage summary at the end
  };
  // live: stderr is a terminal and neither --quiet nor --json; summary: live or --timings
  // (and not --quiet).
  static Settings FromArgs(const ParsedArgs& args);

  explicit Progress(Settings settings);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Thread-safe: shows "<what> done/total" (total < 0: unknown) when live.
  void Update(absl::string_view what, int64_t done, int64_t total);
  // A callback reporting to Update under a fixed label.
  std::function<void(int64_t, int64_t)> Counter(std::string what);
  // Records a finished stage for the summary ("read 0.21s"; `detail` adds " (1.4M candidates)").
  void StageDone(absl::string_view stage, double seconds, absl::string_view detail = "");
  // Erases the live line and prints "factdedup: <headline>: stage times; total Ns" if the
  // summary is on. Call once, after the command's output.
  void Finish(absl::string_view headline);
  // Erases the live line (before printing anything else to stderr).
  void Clear();

  static double Since(std::chrono::steady_clock::time_point t0);

 private:
  Settings settings_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
  std::vector<std::string> stages_;
};

// "1.4M", "12.3k", "950".
std::string HumanCount(int64_t n);

}  // namespace factdedup::cli

#endif  // FACTDEDUP_CLI_PROGRESS_H_
