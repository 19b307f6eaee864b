// Deduplication over a whole vault: the facts of deduplicated sections, across notes, through
// the dedup engine, with clusters mapped back to notes and lines.
//
//   absl::StatusOr<ScanResult> r = ScanVault(vault, config.dedup);
//   for (const dedup::Cluster& c : r->dedup.clusters) {
//     const Fact& canonical = r->fact(vault, c.canonical);  ...
//   }
#ifndef FACTDEDUP_PROVENANCE_SCAN_H_
#define FACTDEDUP_PROVENANCE_SCAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dedup/engine.h"
#include "provenance/vault.h"

namespace factdedup::provenance {

struct FactRef {
  int note = 0;  // index into Vault::notes
  int fact = 0;  // index into Note::facts
};

struct ScanResult {
  std::vector<FactRef> facts;  // the facts compared, in vault order; item i of `dedup`
  dedup::DedupResult dedup;

  const Fact& fact(const Vault& vault, int item) const {
    return vault.notes[facts[item].note].facts[facts[item].fact];
  }
  // The note holding item `item` (its path: Note::path; its section: SectionOf).
  const Note& note(const Vault& vault, int item) const { return vault.notes[facts[item].note]; }
  // Its display text (DisplayOf).
  absl::string_view display(const Vault& vault, int item) const {
    return DisplayOf(note(vault, item), fact(vault, item));
  }
};

// Facts that take part in deduplication: in a fact section (see VaultOptions), not marked
// `<!-- factdedup:ignore -->`, with some text.
std::vector<FactRef> DedupFacts(const Vault& vault);
// Whether DedupFacts lists `fact`, one of the facts of `note`, one of `vault`'s notes.
bool IsDedupFact(const Vault& vault, const Note& note, const Fact& fact);
// The same, for the notes `notes` (indexes into vault.notes, ascending) only.
std::vector<FactRef> DedupFactsOf(const Vault& vault, absl::Span<const int> notes);

// The engine's input for `facts`: the text compared (Markdown, kept sources and a leading
// log date stripped) and a key that sorts like the vault (path, then line): 8 bytes, the
// note's rank among the vault's paths and the line, big-endian. An item whose text is its
// fact's display (or a part of it) views it (dedup::Item::text_view) instead of copying it:
// the items must not outlive `vault`, nor be used after it changes.
std::vector<dedup::Item> DedupItems(const Vault& vault, const std::vector<FactRef>& facts);

// The version of the texts a note's bytes give its facts (the note parser, and the text
// DedupItems compares for each). The index records it (IndexParams::fact_text_version): a note
// found there by its content takes its facts' saved text hashes and line summaries without
// parsing them out again, so a change to those texts must bump this, and an index of another
// version is rebuilt.
inline constexpr uint32_t kFactTextVersion = 1;

// Whether the text DedupItems compares for `fact` (one of `note`'s facts) is its display text
// as it is: no sources suffix and no leading log date cut off.
bool ComparesDisplay(const Note& note, const Fact& fact);

absl::StatusOr<ScanResult> ScanVault(const Vault& vault, const dedup::DedupOptions& options);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_SCAN_H_
