// `factdedup check VAULT [--base GIT-REF | --base-dir DIR] [--format FMT]`.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <system_error>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/commands.h"
#include "cli/indexed_scan.h"
#include "cli/progress.h"
#include "cli/subprocess.h"
#include "provenance/check.h"
#include "provenance/config.h"
#include "provenance/conflicts.h"
#include "provenance/io.h"
#include "provenance/scan.h"

namespace factdedup::cli {
namespace {

// `git -C vault ARGS...` (no shell).
std::vector<std::string> Git(const std::string& vault, std::initializer_list<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", vault};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Where the vault is in its git work tree and which commit a ref names, resolved once: every
// later git call of the check reads that commit, so a ref that moves meanwhile (a fetch, a
// commit) cannot give two calls two commits.
struct GitBase {
  std::string prefix;  // the vault's folder in the work tree: "" at the top, else ending in "/"
  std::string commit;  // the full object id of the commit `ref` names
};

absl::StatusOr<GitBase> ResolveGitBase(const std::string& vault, const std::string& ref) {
  // Not quiet: git says why it cannot read the repository (no repository, an unsafe owner).
  const Finished r =
      Run(Git(vault, {"rev-parse", "--show-prefix", "--verify", "--quiet", ref + "^{commit}"}));
  if (!r.started) return absl::FailedPreconditionError("cannot run git (is it installed?)");
  const std::vector<absl::string_view> lines = absl::StrSplit(r.out, '\n');
  // Exit 1 after the prefix: no such commit; anything else failing: no repository.
  if (r.code == 1 && lines.size() >= 2) {
    return absl::InvalidArgumentError("--base " + ref + ": no such commit");
  }
  if (!r.ok()) return absl::InvalidArgumentError(vault + ": not inside a git repository");
  if (lines.size() < 3 || lines[1].empty()) {
    return absl::InternalError("unexpected git rev-parse output");
  }
  return GitBase{std::string(lines[0]), std::string(lines[1])};
}

absl::StatusOr<std::string> MakeTempDir(std::string* tmpdir) {
  char tmpl[] = "/tmp/factdedup-base-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("cannot create a temp folder");
  *tmpdir = tmpl;
  return *tmpdir;
}

// Extracts the vault folder as it is at `ref` into a temp dir with `git archive`, without
// touching the working tree or the index. Returns the base vault's path.
absl::StatusOr<std::string> CheckoutBase(const std::string& vault, const std::string& ref,
                                         std::string* tmpdir) {
  absl::StatusOr<GitBase> g = ResolveGitBase(vault, ref);
  if (!g.ok()) return g.status();
  if (absl::StatusOr<std::string> t = MakeTempDir(tmpdir); !t.ok()) return t.status();
  const Finished top = Run(Git(vault, {"rev-parse", "--show-toplevel"}));
  if (!top.ok()) return absl::FailedPreconditionError("cannot find the top of " + vault);
  std::string base = *tmpdir + "/" + g->prefix;
  if (!g->prefix.empty() &&
      !Run(Git(vault, {"cat-file", "-e", g->commit + ":./"}), "", true).ok()) {
    ::mkdir(base.c_str(), 0755);  // the vault does not exist at the base: it is empty
    return base;
  }
  const std::string tar = *tmpdir + "/base.tar";
  std::vector<std::string> archive = Git(std::string(absl::StripTrailingAsciiWhitespace(top.out)),
                                         {"archive", "--format=tar", "-o", tar, g->commit});
  if (!g->prefix.empty()) archive.insert(archive.end(), {"--", g->prefix});
  if (!Run(archive).ok() || !Run({"tar", "-x", "-C", *tmpdir, "-f", tar}).ok()) {
    return absl::InternalError("cannot read " + ref + " from git");
  }
  ::unlink(tar.c_str());
  ::mkdir(base.c_str(), 0755);
  return base;
}

// The base of a check around the change, read from git: only the files that differ between
// `ref` and the working tree (`git diff-index`, which takes a file as unchanged when its stat
// matches git's index, and never writes that index) and the configuration file are written to
// `root`; every other file the vault folder has at `ref` is, byte for byte, the working tree's,
// and is listed in `same`.
struct ChangedBase {
  std::string root;
  std::vector<std::string> same;  // vault-relative, sorted
  size_t read = 0;                // files read from git
};

// Splits NUL-terminated records.
std::vector<absl::string_view> SplitZ(absl::string_view s) {
  std::vector<absl::string_view> out;
  for (size_t at = 0; at < s.size();) {
    const size_t end = std::min(s.find('\0', at), s.size());
    out.push_back(s.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

// Writes `bytes` to root/path, making its folders. False on failure.
bool WriteUnder(const std::string& root, absl::string_view path, absl::string_view bytes) {
  std::string full = root + "/" + std::string(path);
  for (size_t slash = root.size() + 1; (slash = full.find('/', slash)) != std::string::npos;
       ++slash) {
    full[slash] = '\0';
    ::mkdir(full.c_str(), 0755);
    full[slash] = '/';
  }
  FILE* f = std::fopen(full.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

// Whether a path from git stays inside the folder it is written under.
bool SafeRelativePath(absl::string_view path) {
  if (path.empty() || path.front() == '/') return false;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

// ChangedBase of `vault` at `ref` in a new temp dir (*tmpdir). kUnimplemented where a file
// taken as unchanged might not have, at `ref`, the working tree's bytes, or a changed file's
// blob might not be what `git archive` gives: a symlink in the vault at `ref`, a file git is
// told to assume unchanged or to skip, git attributes on a changed file or core.autocrlf
// (filters, end-of-line conversion), or a path that leaves the folder. The caller then reads
// the whole base with `git archive`.
absl::StatusOr<ChangedBase> CheckoutChangedBase(const std::string& vault, const std::string& ref,
                                                std::string* tmpdir) {
  absl::StatusOr<GitBase> g = ResolveGitBase(vault, ref);
  if (!g.ok()) return g.status();
  const std::string& commit = g->commit;
  const auto unsure = [&](absl::string_view why) {
    return absl::UnimplementedError(absl::StrCat("not read from the changed files: ", why));
  };
  // Four independent questions, asked at once. Paths relative to the vault folder, limited to
  // it.
  absl::StatusOr<Child> diff_run = Child::Start(
      Git(vault, {"diff-index", "--name-only", "-z", "--no-renames", "--relative", commit, "--"}),
      "",
      /*quiet=*/true);
  absl::StatusOr<Child> tree_run = Child::Start(Git(vault, {"ls-tree", "-r", "-z", commit}));
  absl::StatusOr<Child> tracked_run = Child::Start(Git(vault, {"ls-files", "-v", "-z"}));
  absl::StatusOr<Child> crlf_run = Child::Start(Git(vault, {"config", "--get", "core.autocrlf"}));
  if (!diff_run.ok() || !tree_run.ok() || !tracked_run.ok() || !crlf_run.ok()) {
    return absl::InternalError("cannot run git");
  }
  const Finished diff = diff_run->Finish();
  const Finished tree = tree_run->Finish();
  const Finished tracked = tracked_run->Finish();
  const Finished crlf = crlf_run->Finish();
  if (!diff.ok() || !tree.ok() || !tracked.ok()) {
    return absl::InternalError("cannot read " + ref + " from git");
  }
  for (absl::string_view entry : SplitZ(tracked.out)) {  // "<tag> <path>"
    if (!entry.empty() && (absl::ascii_islower(entry[0]) || entry[0] == 'S')) {
      return unsure("a file git assumes unchanged or skips");
    }
  }
  if (crlf.ok() && absl::StripAsciiWhitespace(crlf.out) != "false") {
    return unsure("core.autocrlf");
  }
  const std::vector<absl::string_view> changed_paths = SplitZ(diff.out);
  absl::flat_hash_set<absl::string_view> changed(changed_paths.begin(), changed_paths.end());
  ChangedBase out;
  std::string wanted;  // object ids for `git cat-file --batch`, one per line
  std::vector<absl::string_view> wanted_paths;
  for (absl::string_view entry : SplitZ(tree.out)) {
    // "<mode> <type> <object>\t<path>"
    const size_t tab = entry.find('\t');
    if (tab == absl::string_view::npos) return absl::InternalError("unexpected git ls-tree output");
    const absl::string_view path = entry.substr(tab + 1);
    const std::vector<absl::string_view> head = absl::StrSplit(entry.substr(0, tab), ' ');
    if (head.size() != 3) return absl::InternalError("unexpected git ls-tree output");
    if (!SafeRelativePath(path)) return unsure("a path that leaves the folder");
    // A symlink, changed or not, may read another file whose bytes changed.
    if (head[0] == "120000") return unsure("a symlink");
    if (!changed.contains(path) && path != provenance::kConfigFileName) {
      out.same.emplace_back(path);
      continue;
    }
    if (head[1] != "blob") continue;  // a submodule: no files of the vault's
    absl::StrAppend(&wanted, head[2], "\n");
    wanted_paths.push_back(path);
  }
  if (absl::StatusOr<std::string> t = MakeTempDir(tmpdir); !t.ok()) return t.status();
  out.root = *tmpdir + "/vault";
  ::mkdir(out.root.c_str(), 0755);
  if (!wanted_paths.empty()) {
    // Attributes (from .gitattributes, info/attributes, core.attributesFile) on a file read,
    // asked beside the blobs themselves.
    std::string paths;
    for (absl::string_view path : wanted_paths)
      absl::StrAppend(&paths, path, absl::string_view("\0", 1));
    if (!WriteUnder(*tmpdir, "paths", paths) || !WriteUnder(*tmpdir, "objects", wanted)) {
      return absl::InternalError("cannot write " + *tmpdir);
    }
    absl::StatusOr<Child> attrs_run =
        Child::Start(Git(vault, {"check-attr", "-a", "-z", "--stdin"}), *tmpdir + "/paths");
    absl::StatusOr<Child> blobs_run =
        Child::Start(Git(vault, {"cat-file", "--batch"}), *tmpdir + "/objects");
    if (!attrs_run.ok() || !blobs_run.ok()) return absl::InternalError("cannot run git");
    const Finished blobs = blobs_run->Finish();
    const Finished attrs = attrs_run->Finish();
    if (!attrs.ok()) return absl::InternalError("cannot read git attributes");
    if (!attrs.out.empty()) return unsure("git attributes");
    if (!blobs.ok()) return absl::InternalError("cannot read " + ref + " from git");
    // Each: "<object> blob <size>\n<bytes>\n", in request order.
    absl::string_view rest = blobs.out;
    for (absl::string_view path : wanted_paths) {
      const size_t eol = rest.find('\n');
      const std::vector<absl::string_view> head = absl::StrSplit(rest.substr(0, eol), ' ');
      size_t size = 0;
      if (eol == absl::string_view::npos || head.size() != 3 || head[1] != "blob" ||
          !absl::SimpleAtoi(head[2], &size) || rest.size() < eol + 1 + size + 1) {
        return absl::InternalError("unexpected git cat-file output");
      }
      if (!WriteUnder(out.root, path, rest.substr(eol + 1, size))) {
        return absl::InternalError("cannot write the base of " + std::string(path));
      }
      rest.remove_prefix(eol + 1 + size + 1);
    }
  }
  out.read = wanted_paths.size();
  std::sort(out.same.begin(), out.same.end());
  return out;
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
      scanner.previous_claims(), scanner.next_claims(), nullptr, scanner.next_line_summaries());
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
  const provenance::ConflictOptions line_options = scanner.LineConflictOptions(vault.config.dedup);
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
  std::string tmpdir, base_root = args.Get("base-dir");
  auto remove_tmpdir = [&] {
    if (!tmpdir.empty()) RemoveTree(tmpdir);
    tmpdir.clear();
  };
  // With the index, a git base starts as only the files the change touched (ChangedBase),
  // read from git (in processes of its own) while the vault and the index load; when the check
  // cannot be around the change after all, the whole base is read after.
  const bool git_changed = args.Has("base") && use_index;
  std::optional<absl::StatusOr<ChangedBase>> changed;
  auto read_changed = [&] {
    changed.emplace(CheckoutChangedBase(root, args.Get("base"), &tmpdir));
  };
  std::jthread git_reader;
  if (git_changed && *threads != 1) {
    try {
      git_reader = std::jthread(read_changed);
    } catch (const std::system_error&) {  // no thread: after the vault
    }
  }
  absl::StatusOr<VaultAndIndex> loaded = LoadVaultAndIndex(
      root, &progress, *threads, use_index,
      [](const provenance::Config& c) -> absl::StatusOr<dedup::DedupOptions> { return c.dedup; });
  auto t0 = std::chrono::steady_clock::now();
  if (git_reader.joinable()) {
    git_reader.join();
  } else if (git_changed) {
    read_changed();
  }
  if (!loaded.ok()) {
    remove_tmpdir();
    return Fail(loaded.status());
  }
  progress.StageDone("index load", loaded->index_seconds);
  std::optional<provenance::Vault> vault(std::move(loaded->vault));
  IndexedScanner& scanner = *loaded->scanner;

  std::optional<ChangedBase> changed_base;
  if (git_changed) {
    if (changed->ok()) {
      changed_base = **std::move(changed);
      base_root = changed_base->root;
    } else if (changed->status().code() != absl::StatusCode::kUnimplemented) {
      remove_tmpdir();
      return Fail(changed->status());
    }
  }
  // Around the change only with the index and one configuration for both versions.
  bool incremental = !base_root.empty() && use_index && ConfigBytes(root) == ConfigBytes(base_root);
  if (args.Has("base") && !(changed_base && incremental)) {
    remove_tmpdir();
    changed_base.reset();
    absl::StatusOr<std::string> b = CheckoutBase(root, args.Get("base"), &tmpdir);
    if (!b.ok()) {
      remove_tmpdir();
      return Fail(b.status());
    }
    base_root = *b;
    incremental = use_index && ConfigBytes(root) == ConfigBytes(base_root);
  }
  const bool has_base = !base_root.empty();
  if (args.Has("base")) {
    progress.StageDone("base from git", Progress::Since(t0),
                       changed_base ? absl::StrCat(changed_base->read, " changed files read")
                                    : "the whole folder");
  }
  absl::StatusOr<provenance::Vault> base;
  if (has_base) {
    t0 = std::chrono::steady_clock::now();
    // Around the change, the base's notes that the vault has byte for byte are left out
    // (ChangeFindings' functions read them from the vault).
    base = LoadVaultOrReport(base_root, /*quiet=*/true, nullptr, &*vault, *threads,
                             /*leave_out_reused=*/incremental);
    if (!base.ok()) {
      remove_tmpdir();
      return Fail(base.status());
    }
    if (changed_base) {  // the files git found unchanged: the vault's notes, as left out
      for (const std::string& path : changed_base->same) {
        if (vault->FindNote(path) >= 0) base->left_out.push_back(path);
      }
      std::sort(base->left_out.begin(), base->left_out.end());
      base->left_out.erase(std::unique(base->left_out.begin(), base->left_out.end()),
                           base->left_out.end());
    }
    progress.StageDone("base read", Progress::Since(t0));
  }
  absl::StatusOr<AllFindings> all =
      incremental ? ChangeFindings(*vault, *base, scanner, &progress)
                  : FullFindings(*vault, has_base ? &*base : nullptr, scanner, &progress);
  remove_tmpdir();
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
           "With --base (a git ref, read from git without touching the working tree; with the\n"
           "index only the files `git diff REF` lists are read, the others taken as they are)\n"
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
