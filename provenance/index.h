// The incremental index: each note's facts, normalized, saved at <vault>/.factdedup/index.bin so
// that a later scan normalizes only the facts of notes that changed.
//
//   std::string problem;
//   FactIndex previous = LoadIndex(fs, root, options, &problem);  // empty if absent or bad
//   FactIndex next(options);
//   IndexStats stats;
//   absl::StatusOr<ScanResult> r = ScanVaultIndexed(vault, options, {&previous}, &next, &stats);
//   SaveIndex(fs, root, next);  // may fail on a read-only vault: the scan result still holds
//
// The file describes itself (docs/index-format.md): magic bytes, format version, and every
// parameter that makes its entries comparable (normalizer version and options, token hash
// seed, MinHash seed and permutations, LSH bands x rows, shingle size, claims version), then a
// checksum over the body; the body holds the notes, the conflict pass's claim and line summaries
// (provenance/conflicts.h) and the corpus state of the last full pass, their fixed-width fields
// as columns that load in place. Any mismatch or damage makes LoadIndex return an empty index and
// say why; a saved index is never trusted in part (a fact's normalization, checked when a scan
// reads it, is normalized again if it does not decode). Entries are keyed by content: a note
// is reused when its XXH3 matches (path, size and mtime are recorded too), and within it a fact by
// its line and the XXH3 of its text (a changed note reuses its unchanged facts), so a base copy of
// the vault at other paths or mtimes reuses it as well. Results are identical with and without an
// index.
#ifndef FACTDEDUP_PROVENANCE_INDEX_H_
#define FACTDEDUP_PROVENANCE_INDEX_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "dedup/engine.h"
#include "dedup/normalize.h"
#include "provenance/conflicts.h"
#include "provenance/io.h"
#include "provenance/scan.h"
#include "provenance/vault.h"

namespace factdedup::provenance {

// Bumped whenever the layout of index.bin changes.
inline constexpr uint32_t kIndexFormatVersion = 8;
// The index file, relative to the vault root.
inline constexpr absl::string_view kIndexDir = ".factdedup";
inline constexpr absl::string_view kIndexFile = ".factdedup/index.bin";

struct IndexedFact {
  int line = 0;  // 1-based line of the bullet
  // Set by a scan in the index it fills (`next`), never saved: the text compared is the fact's
  // display as it is (ComparesDisplay), so NormalizedDisplays need not work it out again.
  bool compares_display = false;
  uint64_t text_hash = 0;  // XXH3 of the text compared (dedup::Item::text)
  // The fact's normalization, as an object or as its bytes in the index format (a fraction
  // of the object's size). A loaded index holds bytes (checked when loaded); a scan decodes
  // the facts it reads, on every core, and keeps what it normalized as bytes once the
  // engine is done with it. At least one of the two is set; NormalizedOf reads either.
  // Neither is owned by the fact: its note's `owners` keep them alive (a shared owner per
  // fact took 32 bytes of its 64).
  const dedup::NormalizedText* normalized = nullptr;
  absl::string_view encoded;
};

// The fact's normalization: `normalized` (not owning it: valid while the fact's note's owners
// live), or decoded from `encoded` (nullptr if malformed). `text` is the fact's text (the one
// `text_hash` is of): a record leaves out a cleaned text equal to it.
std::shared_ptr<const dedup::NormalizedText> NormalizedOf(const IndexedFact& fact,
                                                          absl::string_view text);

struct IndexedNote {
  std::string path;  // vault-relative
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t content_hash = 0;       // XXH3 of the note's bytes
  std::vector<IndexedFact> facts;  // sorted by line
  // What the facts' normalizations live in (IndexedFact::normalized and ::encoded): a loaded
  // index file, a scan's blocks of encodings, objects. Shared with the notes that view them
  // too; a note moved or copied into another index takes them along.
  std::vector<std::shared_ptr<const void>> owners;
  // Sets facts[k].encoded to a copy of `bytes`, owned by this note.
  void SetEncoded(size_t k, absl::string_view bytes);
};

// IndexedNote::content_hash of a note's bytes: dedup::Hash64(content), computed with the
// widest vector unit the machine has (the same value on any).
uint64_t NoteContentHash(absl::string_view content);

// Parameters an index was built with; two indexes are comparable only when all are equal.
struct IndexParams {
  uint32_t normalizer_version = 0;
  uint32_t normalize_flags = 0;  // NormalizeOptions, one bit per field
  uint64_t token_hash_seed = 0;
  uint64_t minhash_seed = 0;
  uint32_t num_perm = 0;
  uint32_t lsh_bands = 0;
  uint32_t lsh_rows = 0;
  uint32_t shingle_size = 0;
  uint32_t claims_version = 0;     // kClaimsVersion (provenance/conflicts.h)
  uint32_t fact_text_version = 0;  // kFactTextVersion (provenance/scan.h)
  friend bool operator==(const IndexParams&, const IndexParams&) = default;
};

IndexParams ParamsFor(const dedup::DedupOptions& options);

// An index's bytes (FactIndex::Encode) in pieces, to be written one after another without a
// copy of them all: `parts`, in order, view `pieces`, `owned` and the index's facts'
// encodings, so they are valid while this object and the index live and the index does not
// change.
struct EncodedIndex {
  std::vector<std::string> pieces;  // encodings of facts that held objects
  std::deque<std::string> owned;    // header, columns, claims, corpus state (stable addresses)
  std::vector<absl::string_view> parts;
  size_t size() const;  // of the parts joined
};

class FactIndex {
 public:
  // Encode and Decode use options.threads threads (0: one per core).
  explicit FactIndex(const dedup::DedupOptions& options)
      : params_(ParamsFor(options)), threads_(options.threads) {}

  // Replaces the contents with a saved index. Fails, leaving the index empty, on a wrong
  // magic or format version (kFailedPrecondition), other parameters (kFailedPrecondition),
  // or a truncated or corrupt body (kDataLoss); the message says which. The facts'
  // normalizations are checked when read (NormalizedOf; a scan reads them through it).
  absl::Status Decode(absl::string_view bytes);
  // The same without a copy: the facts' encodings stay views into `bytes`, which `owner`
  // keeps alive.
  absl::Status Decode(absl::string_view bytes, std::shared_ptr<const void> owner);
  absl::Status Decode(std::shared_ptr<const std::string> bytes);
  std::string Encode() const;
  // Encode()'s bytes in parts (SaveIndex writes them without joining them).
  EncodedIndex EncodeParts() const;

  // The saved note with this content, or nullptr.
  const IndexedNote* FindByContent(uint64_t content_hash) const;
  // The saved note at this vault-relative path, or nullptr.
  const IndexedNote* FindByPath(absl::string_view path) const;
  // Adds a note (a later note with the same content replaces the earlier in lookups).
  void Add(IndexedNote note);
  // Makes room for `notes` notes in all (Add then does not reallocate until there are more).
  void Reserve(size_t notes);

  const std::vector<IndexedNote>& notes() const { return notes_; }
  // Empties the index (notes, claims, line summaries, corpus state) and frees its memory; its
  // parameters stay.
  void Clear();
  const IndexParams& params() const { return params_; }

  // The conflict pass's summary of each fact (FindConflicts), keyed by ClaimKey.
  const ClaimCache& claims() const { return claims_; }
  void set_claims(ClaimCache claims) { claims_ = std::move(claims); }

  // The line summaries of the last pass over the whole vault's lines (FindConflicts without
  // a focus), keyed by note content: they need not be of notes().
  const LineSummaries& line_summaries() const { return lines_; }
  void set_line_summaries(LineSummaries lines) { lines_ = std::move(lines); }

  // The corpus state of the full pass that made this index (dedup::CorpusState): its items
  // are notes()' facts in order. Empty when the index comes from a pass around a change, or
  // when a loaded one does not match the notes (then it is dropped, never trusted).
  const dedup::CorpusState& corpus() const { return corpus_; }
  void set_corpus(dedup::CorpusState corpus) { corpus_ = std::move(corpus); }
  // The corpus state's item of a fact of notes()[note] (index into its facts).
  size_t Record(size_t note, size_t fact) const { return first_record_[note] + fact; }

 private:
  friend class IndexWriter;
  // The body's sections before the claims, as parts: the notes and the corpus state, each
  // after its size.
  void AppendNotesAndCorpus(EncodedIndex* out) const;

  IndexParams params_;
  int threads_ = 0;  // not a parameter: any count gives the same bytes
  std::vector<IndexedNote> notes_;
  ClaimCache claims_;
  LineSummaries lines_;
  dedup::CorpusState corpus_;
  std::vector<size_t> first_record_;  // per note: its first fact's place among all facts
  absl::flat_hash_map<uint64_t, size_t> by_content_;
  absl::flat_hash_map<std::string, size_t> by_path_;
};

// Reads <root>/.factdedup/index.bin. A missing file gives an empty index and no problem; an
// unreadable or invalid one gives an empty index and a one-line `problem` for the user.
FactIndex LoadIndex(FileSystem* fs, const std::string& root, const dedup::DedupOptions& options,
                    std::string* problem);

// Writes the index atomically (temp file in .factdedup/, rename; not flushed to disk, see
// FileSystem::WriteCacheFileAtomic): concurrent runs leave the last writer's complete file, and
// a file a power loss tore is rejected by LoadIndex's checks and rebuilt. Also writes
// .factdedup/.gitignore (index.bin and its temp files, itself) if there is none. Fails on a
// read-only vault; callers may ignore that.
absl::Status SaveIndex(FileSystem* fs, const std::string& root, const FactIndex& index);

// SaveIndex in two steps, for a run that has its notes and corpus state well before its claims
// (a scan: the conflict pass comes after deduplication). Begin writes the header's place, the
// notes and the corpus state to a temp file beside the index (after it, the caller may drop
// the corpus state: FactIndex::set_corpus); Finish appends the line summaries and the claims,
// fills in the header's size and checksum and puts the file in place. An IndexWriter destroyed
// before Finish succeeds leaves the old index as it was. SaveIndex(fs, root, index) is
// Begin(fs, root, index) then Finish(index.claims(), index.line_summaries()); the bytes are the
// same as FactIndex::Encode's. Fails as SaveIndex does.
class IndexWriter {
 public:
  static absl::StatusOr<std::unique_ptr<IndexWriter>> Begin(FileSystem* fs, const std::string& root,
                                                            const FactIndex& index);
  absl::Status Finish(const ClaimCache& claims, const LineSummaries& lines);
  ~IndexWriter();

 private:
  IndexWriter();
  struct Sum;
  std::unique_ptr<CacheFileWriter> file_;
  std::unique_ptr<Sum> sum_;
  std::string header_;
};

struct IndexStats {
  int64_t notes_reused = 0;      // notes whose content was in the previous index
  int64_t notes_indexed = 0;     // new or changed notes (unchanged facts still reused)
  int64_t facts_reused = 0;      // facts whose normalization came from the index
  int64_t facts_normalized = 0;  // facts normalized in this run
  int64_t facts_read = 0;        // facts whose features the engine extracted
  int64_t facts_sketched = 0;    // facts whose LSH and rare-word keys the engine computed
};

// ScanVault, taking each fact's normalization from the first of `previous` that has its
// note's content, else its note's path (a changed note), when the fact's text is there;
// normalizing the others. (A note found by content has the saved note's texts: a fact
// takes the saved text hash at its line instead of hashing its text.) Fills `next` (built
// with the same options; may be null) with every note of the vault and adds to `stats`; with
// `keep_corpus`, also with the pass's corpus state (about 200 bytes per fact). The result
// equals ScanVault(vault, options).
absl::StatusOr<ScanResult> ScanVaultIndexed(const Vault& vault, const dedup::DedupOptions& options,
                                            absl::Span<const FactIndex* const> previous,
                                            FactIndex* next, IndexStats* stats,
                                            bool keep_corpus = false);

// ScanVaultIndexed restricted to the facts `in_focus` accepts: result.dedup.clusters are the
// full scan's clusters in the duplicate components of those facts (dedup::DeduplicateAround),
// equal to the full scan's and in its order; `facts` is every compared fact, as always. The
// other clusters are absent, so a caller must only read clusters it knows to be covered.
// When previous[0] has a corpus state, the pass starts from it: a fact at the same path and
// line with the same text as one of its notes' facts is that item, and only the others, and
// the facts the search reaches, are read (stats->facts_read counts them).
absl::StatusOr<ScanResult> ScanVaultIndexedAround(
    const Vault& vault, const dedup::DedupOptions& options,
    absl::Span<const FactIndex* const> previous, FactIndex* next, IndexStats* stats,
    const std::function<bool(const Note&, const Fact&)>& in_focus);

// For ConflictOptions::normalized: compared fact i's display text, normalized (its `clean`,
// flags and `tokens`; `all_tokens` left empty, which the pass does not read), from `index`
// (the `next` of the scan that gave `scan` over `vault`) when the scan normalized exactly that
// text with the default NormalizeOptions (not when it compared less than the display: a log
// date or a sources suffix cut off). An empty function when `options` normalize otherwise or
// `index` is empty. A fact's entry is looked up when the function is called for it (the
// focused pass of a check asks for a few hundred of 100k facts). `index` must be that scan's
// `next` (a fact that compared its display as it is takes the entry at its note's path and
// line without checking its text hash); it, `vault` and `scan` must outlive the function and
// not change meanwhile.
std::function<const dedup::NormalizedText*(int, dedup::NormalizedText*)> NormalizedDisplays(
    const FactIndex& index, const Vault& vault, const ScanResult& scan,
    const dedup::DedupOptions& options);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_INDEX_H_
