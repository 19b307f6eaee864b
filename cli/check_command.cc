// `factdedup check VAULT [--base GIT-REF | --base-dir DIR] [--format FMT]`.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/indexed_scan.h"
#include "cli/progress.h"
#include "provenance/check.h"
#include "provenance/config.h"
#include "provenance/conflicts.h"
#include "provenance/io.h"
#include "provenance/scan.h"

namespace factdedup::cli {
namespace {

std::string ShellQuote(absl::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

absl::StatusOr<std::string> Capture(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return absl::InternalError("cannot run: " + cmd);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int rc = pclose(p);
  if (rc != 0) return absl::FailedPreconditionError("command failed: " + cmd);
  return out;
}

// Extracts the vault folder as it is at `ref` into a temp dir with `git archive`, without
// touching the working tree or the index. Returns the base vault's path.
absl::StatusOr<std::string> CheckoutBase(const std::string& vault, const std::string& ref,
                                         std::string* tmpdir) {
  const std::string git = "git -C " + ShellQuote(vault);
  absl::StatusOr<std::string> prefix = Capture(git + " rev-parse --show-prefix 2>/dev/null");
  if (!prefix.ok()) return absl::InvalidArgumentError(vault + ": not inside a git repository");
  std::string p(absl::StripTrailingAsciiWhitespace(*prefix));
  if (!Capture(git + " rev-parse --verify --quiet " + ShellQuote(ref + "^{commit}") + " >/dev/null")
           .ok()) {
    return absl::InvalidArgumentError("--base " + ref + ": no such commit");
  }
  char tmpl[] = "/tmp/factdedup-base-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("cannot create a temp folder");
  *tmpdir = tmpl;
  absl::StatusOr<std::string> top = Capture(git + " rev-parse --show-toplevel");
  if (!top.ok()) return top.status();
  std::string cmd = "git -C " + ShellQuote(absl::StripTrailingAsciiWhitespace(*top)) +
                    " archive --format=tar " + ShellQuote(ref) +
                    (p.empty() ? "" : " -- " + ShellQuote(p)) + " | tar -x -C " +
                    ShellQuote(*tmpdir);
  if (std::system(cmd.c_str()) != 0) {
    return absl::InternalError("cannot read " + ref + " from git");
  }
  std::string base = *tmpdir + "/" + p;
  ::mkdir(base.c_str(), 0755);  // the vault may not exist at the base: then it is empty
  return base;
}

// The bytes of <root>/.factdedup.yaml, "" when there is none.
std::string ConfigBytes(const std::string& root) {
  absl::StatusOr<std::string> bytes =
      provenance::DefaultFileSystem()->ReadFile(root + "/" + provenance::kConfigFileName, 1 << 20);
  return bytes.ok() ? *std::move(bytes) : "";
}

// Every duplicate and conflict finding; with a `base`, those of the change (check.h's rules).
struct AllFindings {
  std::vector<provenance::Finding> duplicates, conflicts;
  size_t compared = 0;  // facts compared (for the time summary)
};

// The full computation: the whole vault (and base) scanned, conflicts over the whole vault.
absl::StatusOr<AllFindings> FullFindings(const provenance::Vault& vault,
                                         const provenance::Vault* base, IndexedScanner& scanner,
                                         Progress* progress) {
  auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<provenance::ScanResult> scan = scanner.Scan(vault, vault.config.dedup);
  if (!scan.ok()) return scan.status();
  progress->StageDone("duplicates", Progress::Since(t0));
  t0 = std::chrono::steady_clock::now();
  absl::StatusOr<provenance::ScanResult> base_scan;
  provenance::LineSet added;
  if (base != nullptr) {
    base_scan = scanner.ScanOther(*base, vault.config.dedup);
    if (!base_scan.ok()) return base_scan.status();
    added = provenance::AddedLocations(vault, *base);
    progress->StageDone("base duplicates", Progress::Since(t0));
  }
  t0 = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<provenance::Conflict>> conflicts = provenance::FindConflicts(
      vault, *scan, scanner.ConflictOptionsFor(vault, *scan, vault.config.dedup), nullptr,
      scanner.previous_claims(), scanner.next_claims());
  if (!conflicts.ok()) return conflicts.status();
  AllFindings out;
  out.compared = scan->facts.size();
  out.duplicates = provenance::DuplicateFindings(vault, *scan, base, base ? &*base_scan : nullptr,
                                                 vault.config.check_allow);
  out.conflicts =
      provenance::ConflictFindings(*conflicts, base ? &added : nullptr, vault.config.check_allow);
  progress->StageDone("conflicts", Progress::Since(t0));
  return out;
}

// The same findings for a change, computed around what it added (provenance/check.h).
absl::StatusOr<AllFindings> ChangeFindings(const provenance::Vault& vault,
                                           const provenance::Vault& base, IndexedScanner& scanner,
                                           Progress* progress) {
  provenance::ScanResult now;
  AllFindings out;
  auto t0 = std::chrono::steady_clock::now();
  // The added lines, and the conflict pass's line-level part, which reads only the vault and
  // them: on a thread of their own while the engine finds the duplicates (which finds the
  // added facts itself); one thread: the added lines first, the line conflicts after.
  provenance::LineSet added;
  const provenance::ConflictOptions line_options =
      IndexedScanner::LineConflictOptions(vault.config.dedup);
  provenance::LineConflicts lines;
  std::jthread beside;  // joined however this returns
  const int threads = vault.config.dedup.threads > 0
                          ? vault.config.dedup.threads
                          : static_cast<int>(std::thread::hardware_concurrency());
  if (threads > 1) {
    try {
      beside = std::jthread([&] {
        added = provenance::AddedLocations(vault, base);
        lines = provenance::FindLineConflicts(vault, line_options, &added);
      });
    } catch (const std::system_error&) {  // no thread: in turn
    }
  }
  if (!beside.joinable()) added = provenance::AddedLocations(vault, base);
  absl::StatusOr<std::vector<provenance::Finding>> duplicates =
      scanner.ChangeDuplicates(vault, base, vault.config.dedup, vault.config.check_allow, &now);
  if (!duplicates.ok()) return duplicates.status();
  progress->StageDone("duplicates around the change", Progress::Since(t0),
                      absl::StrCat(scanner.stats().facts_read, " facts read, ",
                                   scanner.stats().facts_sketched, " sketched"));
  out.duplicates = *std::move(duplicates);
  out.compared = now.facts.size();
  t0 = std::chrono::steady_clock::now();
  if (beside.joinable()) {
    beside.join();
  } else {
    lines = provenance::FindLineConflicts(vault, line_options, &added);
  }
  absl::StatusOr<std::vector<provenance::Conflict>> conflicts = provenance::FindConflicts(
      vault, now, scanner.ConflictOptionsFor(vault, now, vault.config.dedup), &added,
      scanner.previous_claims(), scanner.next_claims(), &lines);
  if (!conflicts.ok()) return conflicts.status();
  out.conflicts = provenance::ConflictFindings(*conflicts, &added, vault.config.check_allow);
  progress->StageDone("conflicts around the change", Progress::Since(t0));
  return out;
}

int RunCheck(const ParsedArgs& args) {
  const std::string root = args.positionals[0];
  absl::StatusOr<provenance::FindingFormat> format =
      provenance::ParseFindingFormat(args.Get("format", "text"));
  if (!format.ok()) return Fail(format.status());
  if (args.Has("base") && args.Has("base-dir")) {
    return Fail(absl::InvalidArgumentError("give --base or --base-dir, not both"));
  }
  absl::StatusOr<int> threads = ParseThreads(args);
  if (!threads.ok()) return Fail(threads.status());
  Progress progress(Progress::FromArgs(args));
  const bool use_index = !args.Has("no-index");
  absl::StatusOr<VaultAndIndex> loaded = LoadVaultAndIndex(
      root, &progress, *threads, use_index,
      [](const provenance::Config& c) -> absl::StatusOr<dedup::DedupOptions> { return c.dedup; });
  if (!loaded.ok()) return Fail(loaded.status());
  progress.StageDone("index load", loaded->index_seconds);
  std::optional<provenance::Vault> vault(std::move(loaded->vault));
  IndexedScanner& scanner = *loaded->scanner;
  auto t0 = std::chrono::steady_clock::now();

  std::string tmpdir, base_root = args.Get("base-dir");
  if (args.Has("base")) {
    absl::StatusOr<std::string> b = CheckoutBase(root, args.Get("base"), &tmpdir);
    if (!b.ok()) return Fail(b.status());
    base_root = *b;
  }
  const bool has_base = !base_root.empty();
  // Around the change only with the index and one configuration for both versions.
  const bool incremental = has_base && use_index && ConfigBytes(root) == ConfigBytes(base_root);
  absl::StatusOr<provenance::Vault> base;
  if (has_base) {
    t0 = std::chrono::steady_clock::now();
    // Around the change, the base's notes that the vault has byte for byte are left out
    // (ChangeFindings' functions read them from the vault).
    base = LoadVaultOrReport(base_root, /*quiet=*/true, nullptr, &*vault, *threads,
                             /*leave_out_reused=*/incremental);
    if (!base.ok()) return Fail(base.status());
    progress.StageDone("base read", Progress::Since(t0));
  }
  absl::StatusOr<AllFindings> all =
      incremental ? ChangeFindings(*vault, *base, scanner, &progress)
                  : FullFindings(*vault, has_base ? &*base : nullptr, scanner, &progress);
  if (!tmpdir.empty()) std::system(("rm -rf " + ShellQuote(tmpdir)).c_str());
  if (!all.ok()) return Fail(all.status());
  t0 = std::chrono::steady_clock::now();
  scanner.Save();
  progress.StageDone("index save", Progress::Since(t0));
  t0 = std::chrono::steady_clock::now();
  progress.Clear();

  std::vector<provenance::Finding> findings = all->duplicates;
  const int64_t duplicates = static_cast<int64_t>(all->duplicates.size());
  const int64_t new_conflicts = static_cast<int64_t>(all->conflicts.size());
  findings.insert(findings.end(), all->conflicts.begin(), all->conflicts.end());
  provenance::SortFindings(&findings);
  std::vector<std::string> notes;
  for (const provenance::Note& n : vault->notes) notes.push_back(n.path);
  std::cout << provenance::FormatFindings(findings, *format, notes, FACTDEDUP_VERSION);
  std::cout.flush();
  progress.StageDone("output", Progress::Since(t0));
  progress.Finish(absl::StrFormat("%d facts in %d notes, %d findings%s", all->compared,
                                  vault->notes.size(), findings.size(),
                                  incremental ? " (around the change, with the index)" : ""));
  if (vault->has_errors()) ExitNow(kExitError);
  ExitNow(duplicates > vault->config.max_new_duplicates ||
                  new_conflicts > vault->config.max_new_conflicts
              ? kExitFindings
              : kExitOk);
}

}  // namespace

Command CheckCommand() {
  return {{"check",
           "VAULT [--base GIT-REF | --base-dir DIR] [--format text|json|github|sarif|junit]",
           "fail when a change adds duplicate facts or conflicts (exit 1), with file:line findings",
           "Reports every duplicate (a non-canonical member of a cluster) with its file and line,\n"
           "the canonical and the other facts involved, and every conflict (rules\n"
           "conflict/value, conflict/polarity, conflict/name, conflict/acronym,\n"
           "conflict/frontmatter; see docs/conflicts.md) with the locations of all its facts.\n"
           "With --base (a git ref, read with `git archive` without touching the working tree)\n"
           "or --base-dir (another copy of the vault), only what the change added counts: a\n"
           "duplicate is a finding when its member or canonical is an added fact (a text with\n"
           "more copies than at the base) and the base did not cluster the two texts together;\n"
           "a conflict is a finding when one of its facts is an added fact or another added\n"
           "line (frontmatter, paragraph, link). With the index (the default) and the same\n"
           ".factdedup.yaml in both versions, only the added facts' duplicate groups and\n"
           "conflicts are computed; --no-index computes everything (same findings). Exit 0: no "
           "findings (or no more than check.max_new_duplicates and\n"
           "check.max_new_conflicts); 1: findings; 2: error. Clusters and conflicts listed in\n"
           "check.allow (ids as printed) are accepted; a fact marked <!-- factdedup:ignore -->\n"
           "is never compared.",
           {{"base", "REF", "a git ref to compare with (e.g. origin/main)"},
            {"base-dir", "DIR", "another copy of the vault to compare with"},
            {"format", "F", "text (default), json, github, sarif or junit"},
            {"no-index", "", "neither read nor write the index in VAULT/.factdedup/"},
            ThreadsFlag(),
            ProgressFlags()[0],
            ProgressFlags()[1]},
           1,
           1},
          RunCheck};
}

}  // namespace factdedup::cli
