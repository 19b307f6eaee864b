// `factdedup report VAULT --format md|html|json [-o FILE]`.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <optional>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/indexed_scan.h"
#include "provenance/clean.h"
#include "provenance/conflicts.h"
#include "provenance/report.h"
#include "provenance/scan.h"

namespace factdedup::cli {
namespace {

// Now as an ISO-8601 UTC time, or SOURCE_DATE_EPOCH's when that is set (reproducible output).
absl::StatusOr<std::string> GenerationTime() {
  std::time_t t = std::time(nullptr);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != 0) {
    int64_t seconds;
    if (!absl::SimpleAtoi(epoch, &seconds) || seconds < 0) {
      return absl::InvalidArgumentError("SOURCE_DATE_EPOCH must be a whole number of seconds");
    }
    t = static_cast<std::time_t>(seconds);
  }
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf);
}

// 128 random bits, hex: the HTML report's Content-Security-Policy nonce.
std::string RandomNonce() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 4; ++i) out += absl::StrFormat("%08x", rd());
  return out;
}

int RunReport(const ParsedArgs& args) {
  absl::StatusOr<provenance::ReportFormat> format =
      provenance::ParseReportFormat(args.Get("format", "md"));
  if (!format.ok()) return Fail(format.status());
  absl::StatusOr<std::string> generated = GenerationTime();
  if (!generated.ok()) return Fail(generated.status());
  absl::StatusOr<int> threads = ParseThreads(args);
  if (!threads.ok()) return Fail(threads.status());
  Progress progress(Progress::FromArgs(args));
  absl::StatusOr<VaultAndIndex> loaded =
      LoadVaultAndIndex(args.positionals[0], &progress, *threads, !args.Has("no-index"));
  if (!loaded.ok()) return Fail(loaded.status());
  progress.StageDone("index load", loaded->index_seconds);
  std::optional<provenance::Vault> vault(std::move(loaded->vault));
  IndexedScanner& scanner = *loaded->scanner;
  absl::StatusOr<ScannedVault> scanned =
      ScanAndFindConflicts(*vault, vault->config.dedup, scanner, &progress);
  if (!scanned.ok()) return Fail(scanned.status());
  const provenance::ScanResult* scan = &scanned->scan;
  const std::vector<provenance::Conflict>* conflicts = &scanned->conflicts;
  // The index is written while the report is built; a read-only vault gets none, as with scan.
  SaveBeside save(scanner, vault->config.dedup.threads);
  auto t0 = std::chrono::steady_clock::now();
  provenance::CleanOptions clean;
  absl::StatusOr<provenance::CleanOptions::LinkStyle> style =
      provenance::ParseLinkStyle(vault->config.link_style);
  if (!style.ok()) return Fail(style.status());
  clean.link_style = *style;
  clean.conflicts = &*conflicts;
  absl::StatusOr<provenance::CleanPlan> plan = provenance::PlanClean(*vault, *scan, clean);
  if (!plan.ok()) return Fail(plan.status());
  provenance::ReportOptions options;
  options.generated = *generated;
  options.tool_version = FACTDEDUP_VERSION;
  options.html_nonce = RandomNonce();
  absl::StatusOr<provenance::Report> report =
      provenance::BuildReport(*vault, *scan, *conflicts, *plan, options);
  if (!report.ok()) return Fail(report.status());
  if (args.Has("output")) {
    const std::string path = args.Get("output");
    absl::Status s = provenance::DefaultFileSystem()->WriteFileAtomic(
        path, provenance::RenderReport(*report, *format), std::nullopt);
    if (!s.ok()) return Fail(s);
    std::cerr << absl::StrFormat("%s: %d clusters, %d conflicts, %d updates\n", path,
                                 report->clusters.size(), report->conflicts.size(),
                                 report->updates.size());
  } else {
    provenance::WriteReport(std::cout, *report, *format);
    std::cout.flush();
  }
  progress.StageDone("report", Progress::Since(t0));
  save.Done(&progress, "beside the report");
  progress.Finish(absl::StrFormat("%d facts in %d notes, %d clusters", scan->facts.size(),
                                  vault->notes.size(), scan->dedup.clusters.size()));
  return vault->has_errors() ? kExitError : kExitOk;
}

}  // namespace

Command ReportCommand() {
  return {{"report",
           "VAULT [--format md|html|json] [-o FILE]",
           "write a review report: clusters with sources, conflicts, per-page statistics",
           "Scans the vault and writes one report: each duplicate cluster (canonical, variants\n"
           "with similarity and relation, the reason for the canonical, every source with its\n"
           "date), the conflicts (both sides with their sources and values; suggestions are\n"
           "marked as such and never applied), the updates, and per page what `clean` would\n"
           "do. md: an Obsidian note (frontmatter, callouts, wikilinks that resolve in the\n"
           "vault). html: one self-contained file (no external assets; filter by page, sort\n"
           "by size or similarity). json: a superset of `scan --json` with \"report_version\"\n"
           "(schema in docs/report.md). Written to stdout, or atomically to FILE with -o.\n"
           "The generation time is now, or SOURCE_DATE_EPOCH when set.",
           {{"format", "F", "md (default), html or json"},
            {"output", "FILE", "write the report to FILE (atomically) instead of stdout", "o"},
            {"no-index", "", "neither read nor write the index in VAULT/.factdedup/"},
            ThreadsFlag(),
            ProgressFlags()[0],
            ProgressFlags()[1]},
           1,
           1},
          RunReport};
}

}  // namespace factdedup::cli
