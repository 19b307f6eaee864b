// The deduplication engine: strings in, clusters out. Knows nothing of Markdown or vaults.
//
//   std::vector<dedup::Item> items = {{"Peter Imming previously managed Jason Vallery.", "a:1"},
//                                     {"Peter Imming was Jason Vallery's manager.", "b:7"}};
//   absl::StatusOr<dedup::DedupResult> r = dedup::Deduplicate(items, dedup::DedupOptions{});
//   for (const dedup::Cluster& c : r->clusters) { ... c.canonical, c.members, c.reason ... }
//
// Stages: normalize -> shingle + MinHash/LSH and weighted SimHash candidates (union) ->
// verification of every candidate pair -> non-chaining clustering -> canonical choice.
// Output is identical for any input order and any thread count (ties are broken by `key`).
#ifndef FACTDEDUP_DEDUP_ENGINE_H_
#define FACTDEDUP_DEDUP_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "dedup/minhash.h"
#include "dedup/normalize.h"

namespace factdedup::dedup {

enum class Method {
  kVerified,  // LSH + SimHash candidates, exact verification, non-chaining clusters (default)
  kMinHash,   // baseline: plain MinHash-LSH, estimated Jaccard >= threshold, connected components
};

struct DedupOptions {
  // Minimum verified similarity for a member to join its canonical's cluster. Default 0.3,
  // calibrated on data/gold (see README); bound (0, 1].
  double threshold = 0.3;
  // A fact joins a cluster only if it is at least this similar to every member already in it
  // (no chaining: A~B and B~C never put unrelated A and C together). Default 0.15.
  double canonical_floor = 0.15;
  // A member that names someone or something the canonical does not, while the canonical
  // names something it does not ("... pilot in Seoul" / "... evaluate search for Toronto"),
  // joins the canonical's cluster only at this similarity or more: below it, shared people
  // and company names are all that ties two claims together. Default 0.5: on data/gold it
  // changes F1 0.937 -> 0.926 (P 0.945 -> 0.955, R 0.928 -> 0.898: a merged two-claim fact
  // no longer gathers both halves), on generated 100k-fact families P 0.633 -> 0.754 and
  // F1 0.742 -> 0.811 (bench/scale.sh); 0.3 and 0.4 give the same gold figures and lower
  // family precision. 0 disables the rule.
  double distinct_entities_floor = 0.5;
  // A shorter fact whose weighted tokens are at least this much inside a longer one is
  // "subsumed" by it (truncated facts need 85% of this). Default 0.6; bound (0, 1].
  double containment_threshold = 0.6;
  // A fact needs this many content tokens before containment alone can make it a duplicate:
  // "Microsoft" is inside every fact about Microsoft. Default 4.
  int min_containment_tokens = 4;
  // Candidate generation.
  MinHashOptions minhash;
  // Jaccard at the LSH S-curve's steep part; b x r are derived from it. Default 0.3.
  double lsh_threshold = 0.3;
  // SimHash candidates within this Hamming distance (0 disables SimHash). Default 0 (off):
  // with LSH and the rare-word candidates it found no further duplicate on the gold or the
  // generated families, and cost a fifth to a third of candidate generation (docs/lsh.md).
  int simhash_distance = 0;
  // Words in more than max(lsh_common_min, lsh_common_share x facts) facts are left out of
  // the MinHash sets (not of verification): in a large vault they would put every fact
  // that shares a template or topic word in one bucket. Defaults 200 and 0.002: nothing is
  // left out of a vault under 100k facts unless a word is in 200 of them.
  int lsh_common_min = 200;
  double lsh_common_share = 0.002;
  // Candidate buckets larger than this are not expanded (reported in stats). Exact copies
  // are sketched once, so copies do not fill a bucket. Default 100: on generated vaults
  // (bench/scale.sh) 300 gave 4.8M candidates at 100k facts and 100 gave 2.9M, with family
  // F1 0.7421 and 0.7423 (earlier, 2000 gave 61.2M at 300k and 300 18.1M, same F1); a
  // bucket of 100 distinct facts sharing every sampled word is a template, not a claim.
  int max_bucket_size = 100;
  // Rare-word candidates (prefix filtering, as in exact set-similarity joins): each fact's
  // rarest words, up to `rare_word_keys` of them and until they hold `rare_word_share` of
  // its weight, are probed against every fact that has the word anywhere. LSH finds pairs
  // by overall Jaccard; a one-line topic or a truncated fact inside a long one has a low
  // Jaccard but shares the long fact's rarest words ("Rautenstrauch", "VoC"). Words in more
  // than `rare_word_bucket` facts are not probed. 0 keys disables. Defaults 4, 0.3 and 64
  // (docs/lsh.md gives what they bought on data/gold and what they cost at scale).
  int rare_word_keys = 4;
  double rare_word_share = 0.3;
  int rare_word_bucket = 64;
  // Threads for normalization, signatures and verification; 0 means one per core.
  int threads = 0;
  Method method = Method::kVerified;
  NormalizeOptions normalize;
  // Progress of a long run: called with a stage ("normalize": facts done of all facts;
  // "verify": LSH bands done of all bands) from worker threads, possibly concurrently, so it
  // must be thread-safe and cheap. Empty: no reports. Never affects the result.
  std::function<void(absl::string_view stage, int64_t done, int64_t total)> progress;
  // Streaming normalizations (a caller that keeps them elsewhere, e.g. encoded in an index,
  // so that all of them never live as objects at once). Both are called once per item that
  // has no Item::normalized, from worker threads, concurrently for different items.
  // normalized_of(i, scratch): item i's normalization, as Item::normalized would give it
  // (returned, or written to *scratch and scratch returned); nullptr: normalized here.
  // on_normalized(i, t): item i's normalization, right before the engine drops it.
  // Neither affects the result.
  std::function<const NormalizedText*(size_t item, NormalizedText* scratch)> normalized_of;
  std::function<void(size_t item, const NormalizedText& normalized)> on_normalized;
};

struct Item {
  std::string text;  // the fact's display text (UTF-8)
  std::string key;   // stable id used to break ties (e.g. "path:line"); "" uses the text
  // Optional: `text` already normalized with the options' NormalizeOptions by a Normalizer of
  // kNormalizerVersion (e.g. from a saved index), so it is not normalized again. Not owned;
  // must outlive the call. nullptr: normalized here. The result is the same either way.
  const NormalizedText* normalized = nullptr;
  // Optional: the text, held by the caller, instead of a copy in `text` (which is then
  // ignored): a caller whose texts already live elsewhere (a vault's notes) does not copy
  // them. Not owned; must outlive the call. Unset (data() == nullptr): `text` is the text.
  absl::string_view text_view;

  // The item's text: `text_view` if set, else `text`.
  absl::string_view Text() const {
    return text_view.data() != nullptr ? text_view : absl::string_view(text);
  }
};

enum class Relation {
  kCanonical,   // the kept fact
  kExact,       // same tokens in the same order after normalization
  kMojibake,    // same after repairing mis-encoded text
  kTruncated,   // cut off with "..." and its remaining words are in the canonical
  kSubsumed,    // its claim is wholly inside the (longer) canonical
  kParaphrase,  // same claim in other words or order
};

const char* RelationName(Relation r);

// Verified comparison of two facts.
struct PairScore {
  double similarity = 0;            // the score compared with the threshold, in [0, 1]
  double jaccard = 0;               // IDF-weighted Jaccard of content tokens
  double containment = 0;           // weighted share of the shorter fact's tokens inside the longer
  double bigram = 0;                // Jaccard of ordered content-token bigrams
  bool values_disagree = false;     // numbers, money, percentages or dates that cannot both hold
  bool names_disagree = false;      // a name spelled two ways ("Stephenson" / "Stefanson")
  bool entities_differ = false;     // each names someone or something the other does not,
                                    // and these outnumber the names they share
  bool entities_exclusive = false;  // each names someone or something the other does not
  bool order_flipped = false;       // same words, roles swapped ("A acquired B" / "B acquired A")
  Relation relation = Relation::kParaphrase;  // of the second fact relative to the first
  // Whether the pair counts as a duplicate under `options`.
  bool IsDuplicate(const DedupOptions& options) const;
};

struct Member {
  int item = 0;             // index into the input
  double similarity = 1.0;  // to the canonical
  Relation relation = Relation::kCanonical;
};

struct Cluster {
  int canonical = 0;            // index into the input
  std::vector<Member> members;  // the canonical first, then by similarity, then key
  std::string reason;           // why the canonical was chosen
};

struct DedupStats {
  int64_t items = 0;
  int64_t minhash_candidates = 0;
  int64_t simhash_candidates = 0;
  // Rare-word probe hits (a fact's key word found in another fact; a pair can count more than
  // once), before LSH's pairs are removed.
  int64_t rare_word_candidates = 0;
  int64_t candidates = 0;  // union, verified
  int64_t duplicate_pairs = 0;
  int64_t oversized_buckets_items = 0;  // items in buckets that were not expanded
  // Items whose text was normalized (or its normalization taken) and its features extracted:
  // all of them, but for DeduplicateAround from a CorpusState.
  int64_t items_read = 0;
  // Items whose LSH band keys and rare-word keys were computed: every sketched item (not an
  // exact copy), but for DeduplicateAround from a CorpusState.
  int64_t items_sketched = 0;
  double seconds_normalize = 0, seconds_sketch = 0, seconds_candidates = 0, seconds_verify = 0,
         seconds_cluster = 0;
};

struct DedupResult {
  std::vector<Cluster> clusters;  // clusters of two or more, ordered by canonical key
  DedupStats stats;
};

// What a full pass learned about its items and their corpus that candidate generation depends
// on: each item's content words (and how each was written), its copy key and copy, its LSH band
// keys and rare-word keys, and the corpus's word counts (facts holding each word, its exact
// copies' share, facts writing it in lowercase and as a name). A later DeduplicateAround over
// a slightly changed item set starts from it instead of reading and sketching every item again
// (only the items whose sketches the change can move are sketched); results are the same as
// without it. About 200 bytes per item. Saved by provenance/index.h (docs/index-format.md).
class CorpusState {
 public:
  CorpusState();
  ~CorpusState();
  CorpusState(CorpusState&&) noexcept;
  CorpusState& operator=(CorpusState&&) noexcept;

  bool empty() const;    // nothing captured
  size_t items() const;  // items of the pass it describes, in that pass's order
  std::string Encode() const;
  // Appends Encode()'s bytes to *out (without a copy of them), and their size.
  void AppendTo(std::string* out) const;
  size_t EncodedSize() const;
  // Encode()'s bytes as parts to be written one after another: *head gets the fixed-size
  // fields, and `arrays` the state's arrays as views of its own memory (valid while it lives
  // and does not change): no copy of the state (254 MB at 1M facts).
  void EncodeParts(std::string* head, std::vector<absl::string_view>* arrays) const;
  // Replaces the contents with Encode()'s bytes ("" for an empty state). Fails, leaving it
  // empty, on bytes it did not write (kDataLoss: truncated, inconsistent sizes, ids out of range,
  // unsorted words).
  absl::Status Decode(absl::string_view bytes);
  // The same, reading the arrays in place where they are aligned for their types in memory
  // (as they are when `bytes` starts at a multiple of 8: the encoding pads each array to
  // one) instead of copying them; `owner`, which keeps `bytes` alive, is then held as long as
  // the state. Checked as above either way. nullptr: copies, as Decode(bytes).
  absl::Status Decode(absl::string_view bytes, std::shared_ptr<const void> owner);
  // Whether some of its arrays are views of decoded bytes (Decode with an owner).
  bool in_place() const;

  struct Rep;  // defined in engine.cc
  const Rep* rep() const { return rep_.get(); }
  Rep* mutable_rep();

 private:
  std::unique_ptr<Rep> rep_;
};

absl::StatusOr<DedupResult> Deduplicate(absl::Span<const Item> items, const DedupOptions& options);
// The same, also filling `state` (if not null) with the pass's corpus state for a later
// DeduplicateAround. Only the default method (kVerified) without SimHash has one: otherwise
// `state` is left empty.
absl::StatusOr<DedupResult> Deduplicate(absl::Span<const Item> items, const DedupOptions& options,
                                        CorpusState* state);

// The clusters of Deduplicate(items, options) that lie in the duplicate-graph component of
// some `focus` item (indexes into `items`), without verifying the candidate pairs of the
// rest: features, corpus statistics and sketches are still built over all items (cheap
// when they carry `Item::normalized`), then each focus fact's candidates are queried,
// verified, and followed outwards until those components are closed. Every cluster with a
// focus member is returned, every cluster returned is one of Deduplicate's, equal in every
// field and in the same order; so a focus that changed little (`check --base` of a small
// change) costs little. Stats count the candidates queried and the duplicate pairs found.
absl::StatusOr<DedupResult> DeduplicateAround(absl::Span<const Item> items,
                                              absl::Span<const int> focus,
                                              const DedupOptions& options);
// The same, starting from `previous`, the corpus state of an earlier pass over a similar item
// set: previous_item[i] is the item of that pass that items[i] is (the same text at the same
// key; each at most once), or -1 for a new item; items of that pass that no entry names were
// removed. Only the new items are read and sketched, plus the items whose sketches the change
// moves (those holding a word whose counts changed, copies whose group changed, and, when the
// item count changed, items whose rare-word choice was within rounding of changing); then the
// search is as above, reading an item only when it is reached. The result is the same as
// without `previous`. A state of other options, or one that does not fit (`previous_item` of
// another size, an id out of range or twice), is not used.
absl::StatusOr<DedupResult> DeduplicateAround(absl::Span<const Item> items,
                                              absl::Span<const int> focus,
                                              const DedupOptions& options,
                                              const CorpusState* previous,
                                              absl::Span<const int> previous_item);

// Scores one pair without any corpus statistics (all token weights 1). For tests, `eval`
// and callers that compare a few strings.
absl::StatusOr<PairScore> ScorePair(absl::string_view a, absl::string_view b,
                                    const DedupOptions& options = {});
// The same with a caller's normalizer (cheaper when scoring many pairs).
absl::StatusOr<PairScore> ScorePair(const Normalizer& normalizer, absl::string_view a,
                                    absl::string_view b, const DedupOptions& options);

// For tests: every pair (i < j) of `items`, after the full pass's corpus statistics, judged
// twice: by the full pass's verification (the cheap summaries first, then the checks only
// until one says no) and by the whole Score(...).IsDuplicate. The two lists of accepted pairs
// must be equal; `ruled_out` counts the pairs the summaries settled.
struct VerificationAudit {
  std::vector<std::pair<int, int>> verified, scored;
  int64_t pairs = 0, ruled_out = 0;
};
absl::StatusOr<VerificationAudit> AuditVerification(absl::Span<const Item> items,
                                                    const DedupOptions& options = {});

}  // namespace factdedup::dedup

#endif  // FACTDEDUP_DEDUP_ENGINE_H_
