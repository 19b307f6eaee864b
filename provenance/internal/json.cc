#include "provenance/internal/json.h"

#include <cmath>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "provenance/check.h"
#include "provenance/version.h"

namespace factdedup::provenance::internal {

bool JsonPlainAscii(absl::string_view s) {
  size_t i = 0;
#ifdef __SSE2__
  // 16 bytes at a time: a byte below 0x20 or from 0x80 on is below 0x20 as a signed byte.
  const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'),
                backslash = _mm_set1_epi8('\\');
  auto plain = [&](__m128i v) {
    const __m128i bad =
        _mm_or_si128(_mm_cmpgt_epi8(space, v),
                     _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    return _mm_movemask_epi8(bad) == 0;
  };
  __m128i v;
  if (s.size() < 16) {  // one block, padded with a plain byte
    char block[16];
    std::memset(block, 'a', sizeof block);
    if (!s.empty()) std::memcpy(block, s.data(), s.size());
    std::memcpy(&v, block, sizeof v);
    return plain(v);
  }
  for (; i + 16 <= s.size(); i += 16) {
    std::memcpy(&v, s.data() + i, sizeof v);
    if (!plain(v)) return false;
  }
  if (i == s.size()) return true;
  std::memcpy(&v, s.data() + s.size() - 16, sizeof v);  // the last 16 bytes, overlapping
  return plain(v);
#endif
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

size_t JsonThousandths(double v, char* out) {
  if (!(v >= 0 && v <= 1) || std::signbit(v)) return 0;  // -0.0 is written "-0.0"
  const double scaled = std::round(v * 1000);
  const auto k = static_cast<int>(scaled);
  if (static_cast<double>(k) / 1000 != v) return 0;  // not the double of a 3-decimal number
  if (k == 0 || k == 1000) {
    std::memcpy(out, k == 0 ? "0.0" : "1.0", 3);
    return 3;
  }
  char digits[3] = {static_cast<char>('0' + k / 100), static_cast<char>('0' + k / 10 % 10),
                    static_cast<char>('0' + k % 10)};
  size_t n = 3;
  while (digits[n - 1] == '0') --n;  // k > 0: some digit is not 0
  out[0] = '0';
  out[1] = '.';
  std::memcpy(out + 2, digits, n);
  return n + 2;
}

nlohmann::json FactJson(const Note& note, const Fact& f) {
  return {{"path", note.path}, {"line", f.line}, {"text", DisplayOf(note, f)}};
}

nlohmann::json ClusterJson(const Vault& vault, const ScanResult& scan, const dedup::Cluster& c) {
  const Fact& canon = scan.fact(vault, c.canonical);
  nlohmann::json members = nlohmann::json::array();
  for (const dedup::Member& m : c.members) {
    const Fact& f = scan.fact(vault, m.item);
    const Note& note = scan.note(vault, m.item);
    nlohmann::json j = FactJson(note, f);
    j["section"] = SectionOf(note, f);
    j["similarity"] = std::round(m.similarity * 1000) / 1000;
    j["relation"] = dedup::RelationName(m.relation);
    members.push_back(std::move(j));
  }
  return {{"id", ClusterId(scan.display(vault, c.canonical))},
          {"canonical", FactJson(scan.note(vault, c.canonical), canon)},
          {"members", std::move(members)},
          {"reason", c.reason}};
}

nlohmann::json ConflictJson(const Conflict& c) {
  nlohmann::json facts = nlohmann::json::array();
  for (const ConflictFact& f : c.facts) {
    nlohmann::json j = {{"path", f.path}, {"line", f.line}, {"text", f.text}, {"value", f.value}};
    if (!f.field.empty()) j["field"] = f.field;
    facts.push_back(std::move(j));
  }
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& [a, b] : c.pairs) pairs.push_back({a, b});
  return {{"type", c.type},
          {"facts", std::move(facts)},
          {"pairs", std::move(pairs)},
          {"suggestion", c.suggestion}};
}

nlohmann::json SourceJson(const Source& s) {
  return {{"path", s.path},         {"line", s.line},   {"section", s.section},
          {"date", s.date},         {"type", s.type},   {"source", s.source},
          {"evidence", s.evidence}, {"depth", s.depth}, {"via", s.via}};
}

nlohmann::json ScanJson(const Vault& vault, const ScanResult& scan,
                        const std::vector<Conflict>& found) {
  nlohmann::json clusters = nlohmann::json::array();
  for (const dedup::Cluster& c : scan.dedup.clusters) {
    clusters.push_back(ClusterJson(vault, scan, c));
  }
  nlohmann::json conflicts = nlohmann::json::array(), updates = nlohmann::json::array();
  for (const Conflict& c : found) {
    (IsContradiction(c) ? conflicts : updates).push_back(ConflictJson(c));
  }
  return {{"version", kJsonFormatVersion},   {"facts", scan.facts.size()},
          {"clusters", std::move(clusters)}, {"conflicts", std::move(conflicts)},
          {"updates", std::move(updates)},   {"stats", StatsJson(scan.dedup.stats)}};
}

nlohmann::json StatsJson(const dedup::DedupStats& s) {
  return {{"candidates", s.candidates},
          {"minhash_candidates", s.minhash_candidates},
          {"simhash_candidates", s.simhash_candidates},
          {"rare_word_candidates", s.rare_word_candidates},
          {"duplicate_pairs", s.duplicate_pairs},
          {"oversized_bucket_items", s.oversized_buckets_items}};
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace factdedup::provenance::internal
