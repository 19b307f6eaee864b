// Sequence diff and three-way merge over interned tokens (lines, fact units, keys).
//
//   std::vector<Chunk> chunks = Diff3(base, ours, theirs, /*max_cost=*/4096);
//   for (const Chunk& c : chunks) { ... c.kind, c.base_begin, c.ours_begin, ... }
//
// Tokens are ints (see Interner); equal tokens are equal elements. Internal to provenance.
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_DIFF3_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_DIFF3_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace factdedup::provenance::internal {

// Maps strings to small ints, so sequences compare element by element in O(1).
class Interner {
 public:
  int Intern(absl::string_view s);

 private:
  absl::flat_hash_map<std::string, int> ids_;
};

// Pairs (i, j) with a[i] == b[j] forming a longest common subsequence, ascending. Myers'
// O((N+M)D) algorithm after trimming the common prefix and suffix. When the edit distance
// of the middle exceeds `max_cost`, the middle is left unmatched (all deleted and inserted):
// a merge then sees a larger change, never a wrong one. Memory is O(min(D, max_cost)^2).
std::vector<std::pair<int, int>> LcsMatches(absl::Span<const int> a, absl::Span<const int> b,
                                            int max_cost);

// A run of the merge: base[base_begin, base_end) against the two sides' ranges.
struct Chunk {
  enum class Kind {
    kStable,    // all three equal
    kOurs,      // only ours changed: take ours
    kTheirs,    // only theirs changed: take theirs
    kSame,      // both changed the same way
    kConflict,  // both changed, differently
  };
  Kind kind = Kind::kStable;
  int base_begin = 0, base_end = 0;
  int ours_begin = 0, ours_end = 0;
  int theirs_begin = 0, theirs_end = 0;
};

// Classic diff3: the LCS matches base->ours and base->theirs; base elements matched on both
// sides are anchors, and every run between anchors is one chunk. The chunks tile the three
// sequences in order.
std::vector<Chunk> Diff3(absl::Span<const int> base, absl::Span<const int> ours,
                         absl::Span<const int> theirs, int max_cost);

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_DIFF3_H_
