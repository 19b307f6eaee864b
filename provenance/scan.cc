#include "provenance/scan.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "provenance/clean.h"
#include "provenance/config.h"

namespace factdedup::provenance {

namespace {

// Log-style bullets start with the date they were logged ("2025-11-12: ..."); that date says
// when the fact was noted, not what it claims, so it is not compared.
absl::string_view MatchText(absl::string_view display) {
  auto digit = [&](size_t i) { return display[i] >= '0' && display[i] <= '9'; };
  if (display.size() > 12 && digit(0) && digit(1) && digit(2) && digit(3) && display[4] == '-' &&
      digit(5) && digit(6) && display[7] == '-' && digit(8) && digit(9) && display[10] == ':' &&
      display[11] == ' ') {
    return display.substr(12);
  }
  return display;
}

}  // namespace

std::vector<FactRef> DedupFacts(const Vault& vault) {
  std::vector<FactRef> out;
  absl::flat_hash_map<absl::string_view, bool> is_fact_section;  // few distinct headings
  for (size_t n = 0; n < vault.notes.size(); ++n) {
    const Note& note = vault.notes[n];
    for (size_t f = 0; f < note.facts.size(); ++f) {
      const Fact& fact = note.facts[f];
      if (fact.ignored || fact.display.empty()) continue;
      auto [it, fresh] = is_fact_section.try_emplace(fact.section, false);
      if (fresh) it->second = IsFactSection(vault.config.vault, fact.section);
      if (!it->second) continue;
      out.push_back({static_cast<int>(n), static_cast<int>(f)});
    }
  }
  return out;
}

std::vector<dedup::Item> DedupItems(const Vault& vault, const std::vector<FactRef>& facts) {
  std::vector<dedup::Item> items;
  items.reserve(facts.size());
  for (const FactRef& r : facts) {
    const Fact& f = vault.notes[r.note].facts[r.fact];
    // A bullet `clean` kept carries its sources; they are not part of the claim.
    const size_t suffix = SourcesSuffixLength(f.raw);
    const std::string display =
        suffix == 0 ? f.display
                    : StripMarkdown(absl::string_view(f.raw).substr(0, f.raw.size() - suffix));
    items.push_back({std::string(MatchText(display)),
                     absl::StrCat(f.path, "\x1f", absl::Dec(f.line, absl::kZeroPad10))});
  }
  return items;
}

absl::StatusOr<ScanResult> ScanVault(const Vault& vault, const dedup::DedupOptions& options) {
  ScanResult result;
  result.facts = DedupFacts(vault);
  absl::StatusOr<dedup::DedupResult> d =
      dedup::Deduplicate(DedupItems(vault, result.facts), options);
  if (!d.ok()) return d.status();
  result.dedup = std::move(*d);
  return result;
}

}  // namespace factdedup::provenance
