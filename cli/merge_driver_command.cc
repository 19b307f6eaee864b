// `factdedup merge-driver BASE OURS THEIRS [PATH]`: a git merge driver for notes
// (git config merge.factdedup.driver "factdedup merge-driver %O %A %B %P").
#include <iostream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "provenance/config.h"
#include "provenance/io.h"
#include "provenance/merge.h"

namespace factdedup::cli {
namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The folder holding `.factdedup.yaml` nearest above the merged note (git runs drivers at the
// top of the work tree, and %P is relative to it), or "" when there is none.
absl::StatusOr<std::string> FindVaultRoot(provenance::FileSystem* fs, const std::string& note) {
  absl::StatusOr<std::string> dir = fs->RealPath(note.empty() ? "." : Parent(note));
  if (!dir.ok()) dir = fs->RealPath(".");
  if (!dir.ok()) return dir.status();
  for (std::string d = *dir;; d = Parent(d)) {
    absl::StatusOr<provenance::FileInfo> info =
        fs->Stat(provenance::JoinPath(d, provenance::kConfigFileName), /*follow=*/true);
    if (info.ok() && info->type == provenance::FileInfo::Type::kFile) return d;
    if (d == "/" || d == ".") return std::string();
  }
}

absl::StatusOr<provenance::MergeOptions> Options(provenance::FileSystem* fs,
                                                 const ParsedArgs& args) {
  provenance::MergeOptions options;
  options.path = args.positionals.size() > 3 ? args.positionals[3] : args.positionals[1];
  if (args.Has("marker-size") &&
      (!absl::SimpleAtoi(args.Get("marker-size"), &options.marker_size) ||
       options.marker_size < 1 || options.marker_size > 100)) {
    return absl::InvalidArgumentError("--marker-size must be a number from 1 to 100");
  }
  absl::StatusOr<std::string> root =
      FindVaultRoot(fs, args.positionals.size() > 3 ? args.positionals[3] : "");
  if (!root.ok()) return root.status();
  if (!root->empty()) {
    absl::StatusOr<provenance::Config> config = provenance::LoadConfig(fs, *root);
    if (!config.ok()) return config.status();
    options.vault = config->vault;
    options.dedup = config->dedup;
  }
  return options;
}

int RunMergeDriver(const ParsedArgs& args) {
  provenance::FileSystem* fs = provenance::DefaultFileSystem();
  absl::StatusOr<provenance::MergeOptions> options = Options(fs, args);
  if (!options.ok()) return Fail(options.status());
  const std::string& ours_path = args.positionals[1];
  std::string versions[3];
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::string> bytes =
        fs->ReadFile(args.positionals[i], options->vault.max_file_size);
    if (!bytes.ok()) return Fail(bytes.status());
    versions[i] = *std::move(bytes);
  }
  absl::StatusOr<provenance::MergeResult> merged =
      provenance::MergeNote(versions[0], versions[1], versions[2], *options);
  if (!merged.ok()) return Fail(merged.status());
  if (merged->text != versions[1]) {
    if (absl::Status s = fs->WriteFileAtomic(ours_path, merged->text, std::nullopt); !s.ok()) {
      return Fail(s);
    }
  }
  for (const std::string& m : merged->messages) std::cerr << m << "\n";
  return merged->conflicts > 0 ? kExitFindings : kExitOk;
}

}  // namespace

Command MergeDriverCommand() {
  return {{"merge-driver",
           "BASE OURS THEIRS [PATH] [--marker-size N]",
           "git merge driver for notes: frontmatter by key, facts as a deduplicated union",
           "Merges THEIRS into OURS (git's %A, overwritten with the result), both descended\n"
           "from BASE (%O). Frontmatter is merged key by key, fact sections as a union in which\n"
           "a bullet added on both sides (or a paraphrase of it) lands once with both sides'\n"
           "source links, and everything else line by line. Real conflicts are written with\n"
           "git's markers. PATH (%P) names the note in messages and locates .factdedup.yaml\n"
           "(nearest folder above it; defaults when none).\n"
           "Exit 0: merged cleanly; 1: conflicts remain; 2: error (OURS untouched).\n"
           "Install: `.gitattributes`: *.md merge=factdedup, and\n"
           "  git config merge.factdedup.driver \"factdedup merge-driver %O %A %B %P\"",
           {{"marker-size", "N", "length of the conflict markers (git's %L, default 7)"}},
           3,
           4},
          RunMergeDriver};
}

}  // namespace factdedup::cli
