// A vault: every note under a root folder, parsed, with links resolved as Obsidian does.
//
//   absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), "data/vault", config);
//   for (const Note& n : vault->notes) ...            // sorted by path, byte order
//   for (const Diagnostic& d : vault->diagnostics) ... // notes reported and skipped
//
// A note that cannot be read, is not valid UTF-8, looks binary, or exceeds the size limit is
// reported in `diagnostics` and left out; every other note is still read. A note that was read
// but not fully parsed (e.g. malformed YAML) is kept with `fully_parsed == false`.
#ifndef FACTDEDUP_PROVENANCE_VAULT_H_
#define FACTDEDUP_PROVENANCE_VAULT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "provenance/config.h"
#include "provenance/io.h"
#include "provenance/note.h"

namespace factdedup::provenance {

struct Vault;

struct LoadOptions {
  // Threads used to read and parse notes; 0 means one per core. Output is the same for any.
  int threads = 0;
  // Called after each note is read, with (notes read, notes in all), from worker threads,
  // possibly concurrently: must be thread-safe and cheap. Empty: no reports.
  std::function<void(int64_t done, int64_t total)> progress;
  // Another loaded vault (another version of this one, e.g. the other side of `check`): a note
  // of it with the same path and bytes is copied instead of parsed (a note's parse depends on
  // nothing else). Null: every note is parsed. Must outlive the call.
  const Vault* reuse = nullptr;
  // With `reuse`: such a note is left out instead of copied, and its path listed in
  // Vault::left_out (its bytes are compared as they are read, never held: FileSystem::HasBytes).
  // The vault then holds only what differs from `reuse`: it is partial, and only functions that say
  // so take it (provenance/check.h's change functions).
  bool leave_out_reused = false;
};

struct Vault {
  std::string root;  // as given
  Config config;
  std::vector<Note> notes;              // sorted by path
  std::vector<Diagnostic> diagnostics;  // warnings and skipped notes, sorted by path and line
  FileInfo root_info;
  // Temp files left by an interrupted write (see kTempFileMarker), vault-relative, sorted.
  // Never read as notes; `clean --write` removes them.
  std::vector<std::string> temp_files;
  // Paths of the notes left out because LoadOptions::reuse has them with the same bytes
  // (LoadOptions::leave_out_reused), sorted; empty for a complete vault. Their diagnostics
  // are left out too.
  std::vector<std::string> left_out;

  // Index of the note with this vault-relative path, or -1.
  int FindNote(absl::string_view path) const;
  // Whether any diagnostic is an error.
  bool has_errors() const;

  absl::flat_hash_map<std::string, int> by_path;
};

// Lists the notes under `root` (vault-relative paths, sorted), applying the include/exclude
// globs, skipping dot-folders and symlinks that leave the vault or loop. Problems met while
// walking are appended to `diagnostics`; temp files left by an interrupted write to
// `temp_files` when it is not null.
absl::StatusOr<std::vector<std::string>> ListNotes(FileSystem* fs, const std::string& root,
                                                   const VaultOptions& options,
                                                   std::vector<Diagnostic>* diagnostics,
                                                   std::vector<std::string>* temp_files = nullptr);

// Reads and parses every note. Fails only when `root` is not a readable folder.
absl::StatusOr<Vault> LoadVault(FileSystem* fs, const std::string& root, const Config& config,
                                const LoadOptions& options = {});

// How a link resolved.
struct Resolution {
  enum class Status {
    kResolved,
    kUnresolved,    // no note has that path or name
    kAmbiguous,     // several notes share the name and no path decides
    kOutsideVault,  // the path climbs out of the vault ("../../etc/passwd"): refused
    kExternal,      // a URL; never resolved
  };
  Status status = Status::kUnresolved;
  int note = -1;                // index into Vault::notes when resolved
  std::vector<int> candidates;  // for kAmbiguous
};

const char* ResolutionStatusName(Resolution::Status status);

// Resolves links the way Obsidian does: a path (relative to the linking note's folder for
// Markdown links, then to the vault root), with or without ".md", else a unique basename;
// case-insensitive. Never guesses between several candidates.
class LinkResolver {
 public:
  explicit LinkResolver(const Vault& vault);
  Resolution Resolve(const Note& from, const Link& link) const;

 private:
  const Vault& vault_;
  absl::flat_hash_map<std::string, int> by_lower_path_;  // "accounts/microsoft" -> note
  absl::flat_hash_map<std::string, std::vector<int>> by_lower_name_;  // "microsoft" -> notes
};

// Collapses "." and ".." in a '/'-separated relative path. Returns false if it climbs above
// its root.
bool NormalizeRelativePath(absl::string_view path, std::string* out);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_VAULT_H_
