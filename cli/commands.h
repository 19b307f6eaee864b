// The factdedup subcommands. Each is a spec (for parsing and --help) and a function that
// returns the process exit code. Commands print; the libraries never do.
#ifndef FACTDEDUP_CLI_COMMANDS_H_
#define FACTDEDUP_CLI_COMMANDS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/args.h"
#include "cli/progress.h"
#include "dedup/engine.h"
#include "provenance/vault.h"

namespace factdedup::cli {

// Exit codes, documented in README.md and `factdedup --help`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitError = 2;

struct Command {
  CommandSpec spec;
  std::function<int(const ParsedArgs&)> run;
};

// Every command, in the order `factdedup --help` lists them.
const std::vector<Command>& AllCommands();

// Commands, one per file.
Command FactsCommand();
Command LinksCommand();
Command ScanCommand();
Command EvalCommand();
Command CleanCommand();
Command RestoreCommand();
Command CheckCommand();
Command MergeDriverCommand();
Command ReportCommand();

// Shared helpers.
// Prints "factdedup: <message>" to stderr and returns kExitError.
int Fail(const absl::Status& status);
// Ends the process with `code` once stdout and stderr are flushed, without destroying the
// command's data: freeing a large vault's millions of small objects one by one takes a
// noticeable part of a run (0.5 s of a 100k-fact `check`), and the OS takes the memory back
// at once. For the last statement of a command that wrote everything it had to.
[[noreturn]] void ExitNow(int code);
// Loads the config and the vault at `root`, printing every diagnostic to stderr. With a
// `progress`, shows notes read and records the "read" stage.
// `reuse`, `threads` and `leave_out_reused`: as provenance::LoadOptions::reuse, ::threads and
// ::leave_out_reused; `threads` also becomes the vault's config.dedup.threads, which the
// engine and the conflict pass read.
absl::StatusOr<provenance::Vault> LoadVaultOrReport(const std::string& root, bool quiet = false,
                                                    Progress* progress = nullptr,
                                                    const provenance::Vault* reuse = nullptr,
                                                    int threads = 0, bool leave_out_reused = false);
// The --quiet and --timings flags of the commands that show progress.
std::vector<FlagSpec> ProgressFlags();
// --threads N: worker threads for every stage (0, the default: one per core).
FlagSpec ThreadsFlag();
// The --threads value (0 when absent); an error for anything but a whole number in 0..1024.
absl::StatusOr<int> ParseThreads(const ParsedArgs& args);
// A dedup progress callback that shows facts normalized and LSH bands verified.
std::function<void(absl::string_view, int64_t, int64_t)> DedupProgress(Progress* progress);
// Records the engine's stages (normalize, corpus, candidates+verify, cluster) for the summary.
void RecordScanStages(const dedup::DedupStats& stats, Progress* progress);

}  // namespace factdedup::cli

#endif  // FACTDEDUP_CLI_COMMANDS_H_
