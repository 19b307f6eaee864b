// Three-way merge of two versions of a note, as a git merge driver does it.
//
//   MergeOptions options;                        // fact sections and dedup from the config
//   options.vault = config.vault;
//   options.dedup = config.dedup;
//   absl::StatusOr<MergeResult> r = MergeNote(base, ours, theirs, options);
//   if (r.ok() && r->conflicts == 0) { /* r->text is the merged note */ }
//
// - Frontmatter is merged key by key: a key changed on one side takes that side; changed on
//   both to different values is a conflict, marked around that key's lines; deleted on one
//   side and unchanged on the other is deleted. Block lists of scalars (tags) are merged as
//   sets.
// - Fact sections (options.vault.fact_sections less skip_sections) are merged as a union of
//   bullets: a bullet deleted on either side is deleted, additions of both sides are kept
//   (base order, then ours' additions, then theirs'), and additions on the two sides that
//   are duplicates of each other (dedup engine) land once, as the canonical, with every
//   source link of the variants. Where both sides inserted at the same place, an order both
//   agree on is kept, else ours' bullets come first. A bullet edited on both sides into texts
//   that are not duplicates of each other is a conflict.
// - Everything else (text before the first heading, other sections) is merged line by line
//   (diff3); overlapping different changes are conflicts.
// Conflicts are written with git's markers (`<<<<<<< ours`, `=======`, `>>>>>>> theirs`).
// The result is deterministic. The algorithm and its guarantees: docs/merge-driver.md.
#ifndef FACTDEDUP_PROVENANCE_MERGE_H_
#define FACTDEDUP_PROVENANCE_MERGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dedup/engine.h"
#include "provenance/config.h"

namespace factdedup::provenance {

struct MergeOptions {
  // The note's path, used in messages only. Default "".
  std::string path;
  // Which sections hold facts (see config.h). Default: every section but link lists and tasks.
  VaultOptions vault;
  // How additions of the two sides are compared (see dedup/engine.h). Default: the engine's.
  dedup::DedupOptions dedup;
  // Length of the conflict marker runs (git's %L). Default 7; bound [1, 100].
  int marker_size = 7;
  std::string ours_label = "ours";
  std::string theirs_label = "theirs";
  // Edit distance above which a diff gives up aligning a region and treats it as replaced
  // (then a conflict if both sides changed it). Bounds the diff's memory to about
  // 4 * max_diff_cost^2 bytes. Default 4096.
  int max_diff_cost = 4096;
};

struct MergeResult {
  std::string text;   // the merged note, with conflict markers where `conflicts` > 0
  int conflicts = 0;  // conflict regions written
  // One line per conflict ("path:line: conflict: ...") and per duplicate landed once
  // ("path:line: merged: ..."), lines in the merged text.
  std::vector<std::string> messages;
};

// Merges `ours` and `theirs`, two versions of a note descended from `base` (empty when the
// note was added on both sides). Fails only when the dedup engine does; input that cannot be
// parsed as a note (invalid UTF-8, malformed frontmatter) is merged line by line, with a
// message saying so.
absl::StatusOr<MergeResult> MergeNote(absl::string_view base, absl::string_view ours,
                                      absl::string_view theirs, const MergeOptions& options);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_MERGE_H_
