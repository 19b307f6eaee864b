// `.factdedup.yaml`, the per-vault configuration, and the options it sets.
//
//   absl::StatusOr<Config> config = LoadConfig(fs, "data/vault");  // defaults if no file
//
// Every key is optional. Unknown keys and wrong types are errors that name the key and its
// line. The file format is documented in docs/config.md.
#ifndef FACTDEDUP_PROVENANCE_CONFIG_H_
#define FACTDEDUP_PROVENANCE_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dedup/engine.h"
#include "provenance/io.h"

namespace factdedup::provenance {

inline constexpr char kConfigFileName[] = ".factdedup.yaml";

struct VaultOptions {
  // Globs over vault-relative paths ('*' within a folder, '**' across folders) of the notes to
  // read. Default: every Markdown note.
  std::vector<std::string> include = {"**/*.md"};
  // Globs of notes to skip. Default: none. Folders whose name starts with '.' (.obsidian, .git,
  // .trash, .factdedup) are always skipped.
  std::vector<std::string> exclude;
  // Notes larger than this many bytes are reported and skipped. Default 16 MiB; bound 1 GiB.
  uint64_t max_file_size = 16ull << 20;
  // Sections whose bullets are facts to deduplicate: globs over the innermost heading's text,
  // case-insensitive. Default "*" (every section), less `skip_sections`.
  std::vector<std::string> fact_sections = {"*"};
  // Sections whose bullets are listed by `facts` but never deduplicated. Default: link lists
  // ("Related", "Links", "See also") and "Tasks".
  std::vector<std::string> skip_sections = {"Related", "Links", "See also", "Tasks"};
};

struct Config {
  std::string path;  // the file read, or "" when defaults are used
  VaultOptions vault;
  // How `clean` links a kept bullet to its sources: "wikilink" (default), "footnote", "none".
  std::string link_style = "wikilink";
  // The `check:` section: duplicate findings and conflict findings allowed before `check`
  // exits 1 (default 0 each), and ids of clusters or conflicts accepted as they are (default
  // none).
  int64_t max_new_duplicates = 0;
  int64_t max_new_conflicts = 0;
  std::vector<std::string> check_allow;
  // The `dedup:` section: thresholds and candidate generation (see dedup/engine.h).
  dedup::DedupOptions dedup;
};

// Parses configuration YAML. `path` names the file in error messages.
absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view path);

// Reads `<vault_root>/.factdedup.yaml`, or returns the defaults when there is none.
absl::StatusOr<Config> LoadConfig(FileSystem* fs, const std::string& vault_root);

// Glob match over '/'-separated paths: '*' and '?' stay within a folder, '**' crosses folders
// ("**/x.md" also matches "x.md"). Case-sensitive unless `fold_case`.
bool GlobMatch(absl::string_view pattern, absl::string_view path, bool fold_case = false);

// Whether a fact in `section` is one to deduplicate under `options`.
bool IsFactSection(const VaultOptions& options, absl::string_view section);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_CONFIG_H_
