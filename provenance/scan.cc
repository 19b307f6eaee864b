#include "provenance/scan.h"

#include "absl/strings/str_cat.h"
#include "provenance/config.h"

namespace factdedup::provenance {

std::vector<FactRef> DedupFacts(const Vault& vault) {
  std::vector<FactRef> out;
  for (size_t n = 0; n < vault.notes.size(); ++n) {
    const Note& note = vault.notes[n];
    for (size_t f = 0; f < note.facts.size(); ++f) {
      const Fact& fact = note.facts[f];
      if (fact.ignored || fact.display.empty()) continue;
      if (!IsFactSection(vault.config.vault, fact.section)) continue;
      out.push_back({static_cast<int>(n), static_cast<int>(f)});
    }
  }
  return out;
}

absl::StatusOr<ScanResult> ScanVault(const Vault& vault, const dedup::DedupOptions& options) {
  ScanResult result;
  result.facts = DedupFacts(vault);
  std::vector<dedup::Item> items;
  items.reserve(result.facts.size());
  for (const FactRef& r : result.facts) {
    const Fact& f = vault.notes[r.note].facts[r.fact];
    // Keys sort like the vault: path, then zero-padded line.
    items.push_back({f.display, absl::StrCat(f.path, "\x1f", absl::Dec(f.line, absl::kZeroPad10))});
  }
  absl::StatusOr<dedup::DedupResult> d = dedup::Deduplicate(items, options);
  if (!d.ok()) return d.status();
  result.dedup = std::move(*d);
  return result;
}

}  // namespace factdedup::provenance
