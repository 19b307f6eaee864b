// `factdedup check VAULT [--base GIT-REF | --base-dir DIR] [--format FMT]`.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/indexed_scan.h"
#include "provenance/check.h"
#include "provenance/conflicts.h"
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

int RunCheck(const ParsedArgs& args) {
  const std::string root = args.positionals[0];
  absl::StatusOr<provenance::FindingFormat> format =
      provenance::ParseFindingFormat(args.Get("format", "text"));
  if (!format.ok()) return Fail(format.status());
  if (args.Has("base") && args.Has("base-dir")) {
    return Fail(absl::InvalidArgumentError("give --base or --base-dir, not both"));
  }
  absl::StatusOr<provenance::Vault> vault = LoadVaultOrReport(root);
  if (!vault.ok()) return Fail(vault.status());
  IndexedScanner scanner(root, vault->config.dedup, !args.Has("no-index"));
  absl::StatusOr<provenance::ScanResult> scan = scanner.Scan(*vault, vault->config.dedup);
  if (!scan.ok()) return Fail(scan.status());

  std::string tmpdir, base_root = args.Get("base-dir");
  if (args.Has("base")) {
    absl::StatusOr<std::string> b = CheckoutBase(root, args.Get("base"), &tmpdir);
    if (!b.ok()) return Fail(b.status());
    base_root = *b;
  }
  absl::StatusOr<std::vector<provenance::Conflict>> conflicts =
      provenance::FindConflicts(*vault, *scan);
  if (!conflicts.ok()) return Fail(conflicts.status());
  absl::StatusOr<provenance::Vault> base;
  absl::StatusOr<provenance::ScanResult> base_scan;
  provenance::ConflictBaseline baseline;
  if (!base_root.empty()) {
    base = LoadVaultOrReport(base_root, /*quiet=*/true);
    if (!base.ok()) return Fail(base.status());
    base_scan = scanner.ScanOther(*base, vault->config.dedup);
    if (!base_scan.ok()) return Fail(base_scan.status());
    absl::StatusOr<std::vector<provenance::Conflict>> base_conflicts =
        provenance::FindConflicts(*base, *base_scan);
    if (!base_conflicts.ok()) return Fail(base_conflicts.status());
    baseline = provenance::MakeConflictBaseline(*base, *std::move(base_conflicts));
  }
  scanner.Save();
  if (!tmpdir.empty()) std::system(("rm -rf " + ShellQuote(tmpdir)).c_str());

  const bool has_base = !base_root.empty();
  std::vector<provenance::Finding> findings =
      provenance::DuplicateFindings(*vault, *scan, has_base ? &*base : nullptr,
                                    has_base ? &*base_scan : nullptr, vault->config.check_allow);
  const int64_t duplicates = static_cast<int64_t>(findings.size());
  std::vector<provenance::Finding> conflict_findings = provenance::ConflictFindings(
      *conflicts, has_base ? &baseline : nullptr, vault->config.check_allow);
  const int64_t new_conflicts = static_cast<int64_t>(conflict_findings.size());
  findings.insert(findings.end(), conflict_findings.begin(), conflict_findings.end());
  provenance::SortFindings(&findings);
  std::vector<std::string> notes;
  for (const provenance::Note& n : vault->notes) notes.push_back(n.path);
  std::cout << provenance::FormatFindings(findings, *format, notes, FACTDEDUP_VERSION);
  if (vault->has_errors()) return kExitError;
  return duplicates > vault->config.max_new_duplicates ||
                 new_conflicts > vault->config.max_new_conflicts
             ? kExitFindings
             : kExitOk;
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
           "or --base-dir (another copy of the vault), only duplicates and conflicts that the\n"
           "base did not already have are findings (conflicts compared by the facts' texts,\n"
           "not lines). Exit 0: no findings (or no more than check.max_new_duplicates and\n"
           "check.max_new_conflicts); 1: findings; 2: error. Clusters and conflicts listed in\n"
           "check.allow (ids as printed) are accepted; a fact marked <!-- factdedup:ignore -->\n"
           "is never compared.",
           {{"base", "REF", "a git ref to compare with (e.g. origin/main)"},
            {"base-dir", "DIR", "another copy of the vault to compare with"},
            {"format", "F", "text (default), json, github, sarif or junit"},
            {"no-index", "", "neither read nor write the index in VAULT/.factdedup/"}},
           1,
           1},
          RunCheck};
}

}  // namespace factdedup::cli
