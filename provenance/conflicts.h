// Conflicts: places where the vault's sources disagree, with both sides and their sources.
//
// A conflict is two statements of the same claim, or about the same subject, that cannot both
// be true as written. FindConflicts reports five kinds (see docs/conflicts.md):
//   "value"       a date, amount or qualifier disagrees between facts about the same subject
//                 (also: one source file placed in two folders by the same note's links);
//   "polarity"    same subject, opposite state ("... continues" / "... was removed");
//   "name"        a person or organization spelled two ways ("Stephenson" / "Stefanson");
//                 accent-only and case-only differences are folds, not conflicts;
//   "acronym"     one acronym expanded two ways ("Microsoft AI (MAI)" / "... Infrastructure
//                 (MAI)");
//   "frontmatter" a key that differs between versions of one note (sync-conflict copies).
// and, with type "update", explicit supersessions ("go-live now May (previously January)"):
// these are not contradictions and are never counted as conflicts.
//
//   absl::StatusOr<std::vector<Conflict>> c = FindConflicts(vault, scan, {});
//   for (const Conflict& x : *c) if (IsContradiction(x)) ...
//
// Nothing here rewrites a note: a suggestion is advice for the reader, never applied.
#ifndef FACTDEDUP_PROVENANCE_CONFLICTS_H_
#define FACTDEDUP_PROVENANCE_CONFLICTS_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dedup/normalize.h"
#include "provenance/scan.h"
#include "provenance/vault.h"

namespace factdedup::provenance {

namespace internal {
struct LineSummarySection;  // provenance/index.cc
}  // namespace internal

// What a line pass over the whole vault (FindLineConflicts without a focus) saw of each note,
// kept between runs (the index saves it), so that a focused pass leaves out, without reading
// them, the notes that cannot give it a line: per note, keyed by its content (XXH3 of its
// bytes, the index's IndexedNote::content_hash), 32-bit keys of the spellings its lines
// mention and of the acronyms they may name ("(ACR)"); and every spelling of the pass with
// the key of its spelling bucket. A key that two words share only makes a note read. Read in
// place from a loaded index; a copy shares the bytes. Const methods may be called from
// several threads at once.
class LineSummaries {
 public:
  LineSummaries() = default;  // knows no note
  explicit LineSummaries(std::shared_ptr<const internal::LineSummarySection> section)
      : section_(std::move(section)) {}

  // Notes known.
  size_t size() const;
  bool empty() const { return size() == 0; }
  // The place of the known note with these bytes, or -1.
  ptrdiff_t Find(absl::string_view content) const;
  // Whether known note `note` (Find's place) has `key`.
  bool HasKey(ptrdiff_t note, uint32_t key) const;
  // fn(spelling) for each spelling saved with bucket key `bucket` (and perhaps a few others).
  void ForEachInBucket(uint64_t bucket, const std::function<void(absl::string_view)>& fn) const;
  // The section's bytes as the index saves them (docs/index-format.md).
  absl::string_view bytes() const;

 private:
  std::shared_ptr<const internal::LineSummarySection> section_;
};

// LineSummaries of `vault`'s notes: note_keys[i] holds note i's keys (any order, repeats
// allowed), `spellings` the spellings with their bucket keys (any order).
LineSummaries MakeLineSummaries(const Vault& vault, std::vector<std::vector<uint32_t>> note_keys,
                                std::vector<std::pair<uint64_t, std::string>> spellings);

struct ConflictOptions {
  // Cross-cluster facts are "about the same subject" when the IDF-weighted share of the
  // smaller fact's content tokens found in the other is at least this. Default 0.5, in (0, 1].
  double min_subject_overlap = 0.5;
  // ... and they state the same claim (all their dates and numbers are compared, as within
  // a cluster) when the share is at least this. Default 0.8, in [min_subject_overlap, 1].
  double min_claim_overlap = 0.8;
  // Either needs at least this many shared content tokens. Default 3.
  int min_shared_tokens = 3;
  // Dates across clusters are compared only between facts sharing a name token (capitalized
  // word or acronym) found in at most this share of all facts ("MAI", not "Microsoft" in a
  // Microsoft account vault), and only dates attached to the same kind of event. Default 0.1.
  double max_name_share = 0.25;
  // Polarity: the two clauses share at least this share of the smaller clause's content
  // tokens. Default 0.6.
  double min_clause_overlap = 0.6;
  // Tokens in more than this many facts are not used to find candidate pairs (bounds the
  // pair count on large vaults). Default 200.
  int max_postings = 200;
  // Name spellings: maximal edit distance is max(this, shorter length / 3). Default 2.
  int max_name_edit_distance = 2;
  // Worker threads; 0: one per core. Never changes results.
  int threads = 0;
  // Optional: compared fact i's display text as a default dedup::Normalizer normalizes it,
  // from a caller that has it already (provenance/index.h NormalizedDisplays), so that the
  // pass does not normalize it again. Returns nullptr when it has none (the pass normalizes
  // then), or a pointer valid until the next call on the same `scratch` (which it may fill).
  // Only the text's `clean`, flags and `tokens` are read: `all_tokens` may be left empty.
  // Called from several threads at once, each with its own `scratch`. Never changes results.
  std::function<const dedup::NormalizedText*(int fact, dedup::NormalizedText* scratch)> normalized;
  // Optional, for a focused pass: what an earlier pass over the whole vault saw of its notes
  // (the index's LineSummaries); a note it knows that can give the focus no name or acronym
  // is not read. Must outlive the call. Never changes results.
  const LineSummaries* line_summaries = nullptr;
};

struct ConflictFact {
  std::string path;   // relative to the vault root
  int line = 0;       // 1-based; for frontmatter the key's line
  std::string text;   // the fact's display text (or the line's text)
  std::string value;  // the disagreeing substring as written
  std::string field;  // frontmatter key for "frontmatter" conflicts, else empty
};

struct Conflict {
  std::string type;  // "value", "polarity", "name", "acronym", "frontmatter" or "update"
  std::vector<ConflictFact> facts;
  // The pairs of `facts` (indexes, first < second) found to disagree directly; `facts` is
  // their connected closure, so two facts of one conflict may agree with each other (two
  // copies of the same side). Empty for updates. For a name conflict every fact of one
  // spelling disagrees with every fact of the other, and the pairs link each fact to the
  // first fact of the other spelling (linear in the mentions, not all a x b pairs).
  std::vector<std::pair<int, int>> pairs;
  std::string suggestion;  // "" when the evidence supports no side; advice, never applied
};

// Whether `c` is a contradiction (every type but "update").
bool IsContradiction(const Conflict& c);

// What the conflict pass needs of a fact to find its candidate pairs, kept between runs (the
// index saves it): its distinct content and name tokens, and whether it states a date, an
// amount or a state. Keyed by ClaimKey; shared, so copying a cache copies no tokens.
struct ClaimSummary {
  std::vector<uint64_t> content;  // as internal::Slots::content (token hashes)
  std::vector<uint64_t> names;    // as internal::Slots::names (token hashes)
  bool dates = false, amounts = false, polar = false;
  friend bool operator==(const ClaimSummary&, const ClaimSummary&) = default;
};

namespace internal {
struct ClaimsSection;  // provenance/index.cc
}  // namespace internal

// Claim summaries by ClaimKey: those a run made (FindConflicts' `next`, a hash map), or a
// loaded index's claims section (FactIndex::Decode) read in place, where a summary is decoded
// when it is first looked up (its key found by a binary search over the section's sorted
// keys) and then kept with the section. A copy shares the summaries and the section: it
// copies no tokens. Const methods may be called from several threads at once.
//
//   ClaimCache::Summary s = index.claims().Find(ClaimKey(display, day));  // null if absent
class ClaimCache {
 public:
  using Summary = std::shared_ptr<const ClaimSummary>;

  ClaimCache() = default;
  // A cache that reads `section` (made by FactIndex::Decode).
  explicit ClaimCache(std::shared_ptr<const internal::ClaimsSection> section)
      : section_(std::move(section)) {}

  size_t size() const;
  bool empty() const { return size() == 0; }
  bool contains(uint64_t key) const;
  // The summary saved under `key`, or null.
  Summary Find(uint64_t key) const;
  // Adds `summary` under `key` unless the key has one. A loaded cache first decodes every
  // summary of its section into the map (no run adds to a loaded cache).
  void emplace(uint64_t key, Summary summary);
  void reserve(size_t n) { map_.reserve(n); }
  void clear();
  // fn(key, summary) for every summary, in no given order.
  void ForEach(const std::function<void(uint64_t, const Summary&)>& fn) const;
  // The loaded section this cache reads, or null (then it is a map).
  const internal::ClaimsSection* section() const { return section_.get(); }

  // A loaded cache's summaries by place in its section, for a run that reads the tokens of
  // every fact's summary but the whole summary of few (a check's focused conflict pass):
  // the place of `key`, or -1 when absent or when the cache is not loaded (a map).
  ptrdiff_t Place(uint64_t key) const;
  // The summary at a place Place gave, decoded on first use (as Find's).
  const ClaimSummary& SummaryAt(size_t place) const;
  // Its content and name token hashes as saved, without decoding them: `count` little-endian
  // 8-byte values from `bytes` (Hash(k) reads the k-th); the same values, in the same order,
  // as the decoded summary's `content` and `names`.
  struct Hashes {
    const char* bytes = nullptr;
    size_t count = 0;
    uint64_t Hash(size_t k) const { return Load(bytes, k); }
  };
  // The k-th little-endian 8-byte value from `bytes` (at any alignment).
  static uint64_t Load(const char* bytes, size_t k) {
    uint64_t v;
    std::memcpy(&v, bytes + k * sizeof v, sizeof v);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
  }
  Hashes ContentAt(size_t place) const;
  Hashes NamesAt(size_t place) const;
  // Every place's hashes at once, for a run that reads those of many places (ContentAt and
  // NamesAt without a call per place): place p's content hashes are `hashes.Hash(k)` for k in
  // [Begin(p), Begin(p) + ContentCount(p)), its name hashes follow up to Begin(p + 1). Valid
  // while the cache is.
  struct Layout {
    Hashes hashes;
    const uint64_t* first = nullptr;      // places + 1 values: where each place's hashes begin
    const char* content_count = nullptr;  // per place, little-endian 4-byte values
    size_t places = 0;
    size_t Begin(size_t p) const { return first[p]; }
    uint32_t ContentCount(size_t p) const {
      uint32_t v;
      std::memcpy(&v, content_count + p * sizeof v, sizeof v);
      if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
      return v;
    }
  };
  // The layout of a loaded cache (places == 0 when the cache is a map).
  Layout AllPlaces() const;

 private:
  absl::flat_hash_map<uint64_t, Summary> map_;
  std::shared_ptr<const internal::ClaimsSection> section_;  // when loaded (map_ empty then)
};

// Bumped whenever what a ClaimSummary holds for a text can change (claim extraction, its word
// lists): the index records it, and saved summaries of another version are not used.
inline constexpr uint32_t kClaimsVersion = 3;  // 3: words as fixed 8-byte hashes

// The key of a fact's summary: its display text and its note's date (yyyymmdd or 0), which
// dates without a year depend on.
uint64_t ClaimKey(absl::string_view display, int note_day);

// Locations in a vault: (path relative to the vault root, 1-based line).
using LineSet = std::set<std::pair<std::string, int>>;

// Finds conflicts and updates over the whole vault; `scan` gives the compared facts and their
// clusters. Output order is deterministic: by type, then by first location.
//
// With a `focus`, returns exactly the conflicts and updates of the unfocused call that have a
// fact at a focus location, and does only the work they need: candidate pairs are examined
// for the focus facts and, transitively, for the facts their value and polarity findings link
// them to (so each group is complete); name and acronym conflicts only for spellings with a
// mention on a focus line. `scan` must cluster every fact those groups reach as the full scan
// does (a scan around the focus facts, ScanVaultIndexedAround, clusters the focus facts'
// duplicate groups exactly; a fact reached only through a finding may miss a same-cluster
// partner there).
//
// Claims: `next` (optional) gets the ClaimSummary of every compared fact. A focused call with
// `previous` summaries (a ClaimCache saved by an earlier run) reads the summaries it has from
// there and extracts a fact's full claim only when it examines a pair of that fact. Results
// are the same with or without them.
//
// Line conflicts: the name, acronym and frontmatter conflicts read only the vault and the
// focus (not `scan`). `lines`, when not null, holds them as FindLineConflicts found them for
// the same vault, options and focus (computed ahead, e.g. beside the dedup pass); the result
// is the same.
//
// `summaries` (optional) gets the LineSummaries of `vault` when this call reads the lines of
// the whole vault (no focus and no `lines`); it is left as it was otherwise.
struct LineConflicts;
absl::StatusOr<std::vector<Conflict>> FindConflicts(const Vault& vault, const ScanResult& scan,
                                                    const ConflictOptions& options = {},
                                                    const LineSet* focus = nullptr,
                                                    const ClaimCache* previous = nullptr,
                                                    ClaimCache* next = nullptr,
                                                    const LineConflicts* lines = nullptr,
                                                    LineSummaries* summaries = nullptr);

// FindConflicts's name, acronym and frontmatter conflicts, unsorted and not filtered by the
// focus (with a focus: at least those that touch it), for a later FindConflicts call with the
// same vault, options (only `threads` and the name options are read) and focus. Without a focus,
// `summaries` (optional) gets the vault's LineSummaries.
struct LineConflicts {
  std::vector<Conflict> conflicts;
  // Notes whose lines were read: every note without a focus; with one, those that can give
  // the focus a line or that options.line_summaries does not know (the others are skipped).
  size_t notes_read = 0;
};
LineConflicts FindLineConflicts(const Vault& vault, const ConflictOptions& options,
                                const LineSet* focus, LineSummaries* summaries = nullptr);

// Versions of a note are grouped with BaseNotePath() (provenance/sources.h).

// Evaluation against hand-labeled rows (data/gold/conflicts.tsv and not_conflicts.tsv: a
// header starting "type\tpath1\tline1\tpath2\tline2", then rows).
//
// Rows of a contradiction type (value, polarity, name, acronym, frontmatter) are positives: one
// is found when a reported conflict of the same type has a fact at (path1, line1) and another
// at (path2, line2) (unordered). A reported conflict is correct when it finds at least one
// positive row. So a name or acronym conflict, which groups every line of both spellings,
// finds all rows of that pair of spellings.
//
// Rows of type update, same_value, range or format are negatives: one is a false alarm when
// some contradiction lists its two facts as a disagreeing pair (Conflict::pairs). An update
// row is also found when every line it names carries a reported update.
struct ConflictMetrics {
  int gold = 0;          // positive rows
  int found_gold = 0;    // positive rows found
  int reported = 0;      // reported conflicts (updates excluded)
  int correct = 0;       // reported conflicts that find a positive row
  int negatives = 0;     // negative rows
  int false_alarms = 0;  // negative rows reported as a disagreeing pair
  int update_rows = 0;   // negative rows of type update
  int updates_found = 0;
  double precision() const { return reported ? static_cast<double>(correct) / reported : 0; }
  double recall() const { return gold ? static_cast<double>(found_gold) / gold : 0; }
  std::vector<std::string> missed;     // positive rows not found, as "type p1:l1 p2:l2"
  std::vector<std::string> unmatched;  // reported conflicts finding no row, same format
  std::vector<std::string> alarms;     // negative rows reported, same format
};

// Whether `content` looks like a conflicts gold file (by its header).
bool IsConflictGold(absl::string_view content);

absl::StatusOr<ConflictMetrics> EvaluateConflicts(const std::vector<Conflict>& conflicts,
                                                  absl::string_view gold_tsv);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_CONFLICTS_H_
