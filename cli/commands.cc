#include "cli/commands.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include "provenance/config.h"
#include "provenance/io.h"

namespace factdedup::cli {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command>* commands = new std::vector<Command>{
      FactsCommand(),   LinksCommand(), ScanCommand(),   EvalCommand(),        CleanCommand(),
      RestoreCommand(), CheckCommand(), ReportCommand(), MergeDriverCommand(),
  };
  return *commands;
}

int Fail(const absl::Status& status) {
  std::cerr << "factdedup: " << status.message() << "\n";
  return kExitError;
}

void ExitNow(int code) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

FlagSpec ThreadsFlag() { return {"threads", "N", "worker threads; 0 = all cores (default)"}; }

absl::StatusOr<int> ParseThreads(const ParsedArgs& args) {
  if (!args.Has("threads")) return 0;
  int t;
  if (!absl::SimpleAtoi(args.Get("threads"), &t) || t < 0 || t > 1024) {
    return absl::InvalidArgumentError(
        "--threads must be a whole number from 0 (all cores) to 1024");
  }
  return t;
}

std::vector<FlagSpec> ProgressFlags() {
  return {{"quiet", "", "no progress line or time summary on stderr"},
          {"timings", "", "print the time summary on stderr even when it is not a terminal"}};
}

std::function<void(absl::string_view, int64_t, int64_t)> DedupProgress(Progress* progress) {
  return [progress](absl::string_view stage, int64_t done, int64_t total) {
    progress->Update(stage == "normalize" ? "normalized facts" : "verified LSH bands", done, total);
  };
}

void RecordScanStages(const dedup::DedupStats& s, Progress* progress) {
  progress->StageDone("normalize+sketch", s.seconds_normalize);
  progress->StageDone("corpus", s.seconds_sketch);
  progress->StageDone("candidates+verify", s.seconds_candidates,
                      absl::StrCat(HumanCount(s.candidates), " candidates"));
  progress->StageDone("cluster", s.seconds_cluster);
}

absl::StatusOr<provenance::Vault> LoadVaultOrReport(const std::string& root, bool quiet,
                                                    Progress* progress,
                                                    const provenance::Vault* reuse, int threads,
                                                    bool leave_out_reused) {
  const auto t0 = std::chrono::steady_clock::now();
  provenance::FileSystem* fs = provenance::DefaultFileSystem();
  absl::StatusOr<provenance::FileInfo> info = fs->Stat(root, /*follow=*/true);
  if (!info.ok() || info->type != provenance::FileInfo::Type::kDirectory) {
    return absl::NotFoundError(root + ": vault folder not found");
  }
  absl::StatusOr<provenance::Config> config = provenance::LoadConfig(fs, root);
  if (!config.ok()) return config.status();
  provenance::LoadOptions load;
  load.reuse = reuse;
  load.leave_out_reused = leave_out_reused;
  load.threads = threads;
  if (progress != nullptr) load.progress = progress->Counter("read notes");
  absl::StatusOr<provenance::Vault> vault = provenance::LoadVault(fs, root, *config, load);
  if (!vault.ok()) return vault.status();
  vault->config.dedup.threads = threads;
  if (progress != nullptr) {
    progress->Clear();
    progress->StageDone("read", Progress::Since(t0), absl::StrCat(vault->notes.size(), " notes"));
  }
  if (!quiet) {
    for (const provenance::Diagnostic& d : vault->diagnostics) {
      std::cerr << provenance::FormatDiagnostic(d) << "\n";
    }
  }
  return vault;
}

}  // namespace factdedup::cli
