#include "provenance/check.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dedup/hash.h"
#include "dedup/normalize.h"
#include "provenance/sources.h"

namespace factdedup::provenance {
namespace {

std::string XmlEscape(absl::string_view s) {
  return absl::StrReplaceAll(
      s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&apos;"}});
}

// GitHub workflow commands: data escapes %, CR, LF; properties also ':' and ','.
std::string GithubData(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"%", "%25"}, {"\r", "%0D"}, {"\n", "%0A"}});
}
std::string GithubProperty(absl::string_view s) {
  return absl::StrReplaceAll(GithubData(s), {{":", "%3A"}, {",", "%2C"}});
}

std::string Shorten(absl::string_view s, size_t n = 100) {
  if (s.size() <= n) return std::string(s);
  size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  return absl::StrCat(s.substr(0, cut), "...");
}

// Every rule a finding can have, with a one-line description.
nlohmann::json SarifRules() {
  static const std::pair<const char*, const char*> kRules[] = {
      {"duplicate", "A fact that duplicates another fact"},
      {"conflict/value",
       "Statements of one claim or subject disagree on a date, amount or qualifier"},
      {"conflict/polarity", "Statements about one subject state opposite states"},
      {"conflict/name", "A person or organization spelled two ways"},
      {"conflict/acronym", "An acronym expanded two ways"},
      {"conflict/frontmatter", "Versions of one note disagree on a frontmatter field"},
  };
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& [id, text] : kRules) {
    rules.push_back({{"id", id}, {"shortDescription", {{"text", text}}}});
  }
  return rules;
}

}  // namespace

std::string ClusterId(absl::string_view canonical_display) {
  return absl::StrFormat("c%012x", dedup::Hash64(canonical_display) & 0xFFFFFFFFFFFFULL);
}

namespace {

// DuplicateFindings, with the base's AddedFactTexts given (`added`, when there is a base).
std::vector<Finding> DuplicateFindingsOf(const Vault& vault, const ScanResult& scan,
                                         const Vault* base, const ScanResult* base_scan,
                                         const std::vector<std::string>& allowed_ids,
                                         const std::set<std::string>& added) {
  // At the base: which pairs of texts were already duplicates of each other.
  std::map<std::string, int> base_cluster;  // display text -> cluster
  if (base != nullptr && base_scan != nullptr) {
    for (size_t c = 0; c < base_scan->dedup.clusters.size(); ++c) {
      for (const dedup::Member& m : base_scan->dedup.clusters[c].members) {
        base_cluster[std::string(base_scan->display(*base, m.item))] = static_cast<int>(c);
      }
    }
  }
  std::set<std::string> allowed(allowed_ids.begin(), allowed_ids.end());
  std::vector<Finding> out;
  for (const dedup::Cluster& c : scan.dedup.clusters) {
    const Fact& canon = scan.fact(vault, c.canonical);
    const std::string canon_display(scan.display(vault, c.canonical));
    const std::string id = ClusterId(canon_display);
    if (allowed.count(id)) continue;
    for (const dedup::Member& m : c.members) {
      if (m.item == c.canonical) continue;
      const Fact& f = scan.fact(vault, m.item);
      const std::string display(scan.display(vault, m.item));
      if (base != nullptr) {
        if (!added.count(display) && !added.count(canon_display)) continue;
        auto a = base_cluster.find(display), b = base_cluster.find(canon_display);
        if (a != base_cluster.end() && b != base_cluster.end() && a->second == b->second) continue;
      }
      Finding finding;
      finding.rule = "duplicate";
      finding.cluster_id = id;
      const std::string& canon_path = scan.note(vault, c.canonical).path;
      finding.where = {scan.note(vault, m.item).path, f.line, display};
      finding.message =
          absl::StrFormat("%s duplicate (similarity %.2f) of %s:%d \"%s\" [cluster %s]",
                          dedup::RelationName(m.relation), m.similarity, canon_path, canon.line,
                          Shorten(canon_display), id);
      finding.related.push_back({canon_path, canon.line, canon_display});
      for (const dedup::Member& o : c.members) {
        if (o.item == c.canonical || o.item == m.item) continue;
        const Fact& of = scan.fact(vault, o.item);
        finding.related.push_back(
            {scan.note(vault, o.item).path, of.line, std::string(scan.display(vault, o.item))});
      }
      out.push_back(std::move(finding));
    }
  }
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.where.path, a.where.line) < std::tie(b.where.path, b.where.line);
  });
  return out;
}

}  // namespace

std::vector<Finding> DuplicateFindings(const Vault& vault, const ScanResult& scan,
                                       const Vault* base, const ScanResult* base_scan,
                                       const std::vector<std::string>& allowed_ids) {
  return DuplicateFindingsOf(
      vault, scan, base, base_scan, allowed_ids,
      base != nullptr ? AddedFactTexts(vault, *base) : std::set<std::string>());
}

namespace {

// Whether the two versions read the same facts from the same bytes (their fact sections).
bool SameSections(const Vault& vault, const Vault& base) {
  const VaultOptions& a = vault.config.vault;
  const VaultOptions& b = base.config.vault;
  return a.fact_sections == b.fact_sections && a.skip_sections == b.skip_sections;
}

// Whether `base` left out the note at `path` (Vault::left_out: `vault` has its bytes).
bool LeftOut(const Vault& base, const std::string& path) {
  return std::binary_search(base.left_out.begin(), base.left_out.end(), path);
}

// `base` completed: its notes and copies of `vault`'s notes at the paths it left out, in
// path order.
Vault Completed(const Vault& vault, const Vault& base) {
  Vault out;
  out.root = base.root;
  out.config = base.config;
  out.diagnostics = base.diagnostics;
  out.root_info = base.root_info;
  out.temp_files = base.temp_files;
  out.notes.reserve(base.notes.size() + base.left_out.size());
  size_t b = 0, l = 0;
  while (b < base.notes.size() || l < base.left_out.size()) {
    if (l == base.left_out.size() ||
        (b < base.notes.size() && base.notes[b].path < base.left_out[l])) {
      out.notes.push_back(base.notes[b++]);
    } else {
      const int at = vault.FindNote(base.left_out[l++]);
      if (at >= 0) out.notes.push_back(vault.notes[at]);
    }
  }
  for (size_t n = 0; n < out.notes.size(); ++n)
    out.by_path[out.notes[n].path] = static_cast<int>(n);
  return out;
}

// The base as the functions below read it: `base` itself, unless it left notes out and reads
// facts otherwise than `vault` (then those notes are not unchanged): completed, in *storage.
const Vault& Readable(const Vault& vault, const Vault& base, std::optional<Vault>* storage) {
  if (base.left_out.empty() || SameSections(vault, base)) return base;
  storage->emplace(Completed(vault, base));
  return **storage;
}

// A set of texts that most texts looked up are not in: a text is hashed only when some text
// of the set has its length.
class TextSet {
 public:
  void insert(absl::string_view text) {
    if (text.size() >= lengths_.size()) lengths_.resize(text.size() + 1, 0);
    lengths_[text.size()] = 1;
    texts_.insert(text);
  }
  bool contains(absl::string_view text) const {
    return text.size() < lengths_.size() && lengths_[text.size()] && texts_.contains(text);
  }
  bool empty() const { return texts_.empty(); }

 private:
  std::vector<char> lengths_;
  absl::flat_hash_set<absl::string_view> texts_;
};

// Per note of `vault`: whether `base` has a note at its path with the same bytes, read with
// the same fact sections (then the two notes state the same facts and lines). A note `base`
// left out is one (`base` is Readable).
std::vector<char> UnchangedNotes(const Vault& vault, const Vault& base) {
  std::vector<char> out(vault.notes.size(), 0);
  if (!SameSections(vault, base)) return out;
  for (size_t n = 0; n < vault.notes.size(); ++n) {
    const int at = base.FindNote(vault.notes[n].path);
    out[n] = at >= 0 ? base.notes[at].content == vault.notes[n].content
                     : LeftOut(base, vault.notes[n].path);
  }
  return out;
}

// Copies now minus copies at the base of each fact text, over the notes that differ.
absl::flat_hash_map<absl::string_view, int> AddedCounts(const Vault& vault, const Vault& base) {
  const std::vector<char> unchanged = UnchangedNotes(vault, base);
  std::vector<char> base_unchanged(base.notes.size(), 0);
  for (size_t n = 0; n < vault.notes.size(); ++n) {
    if (!unchanged[n]) continue;
    if (const int at = base.FindNote(vault.notes[n].path); at >= 0) base_unchanged[at] = 1;
  }
  // Unchanged notes add as many copies on both sides: only the others are read.
  auto changed = [](const std::vector<char>& same) {
    std::vector<int> out;
    for (size_t n = 0; n < same.size(); ++n) {
      if (!same[n]) out.push_back(static_cast<int>(n));
    }
    return out;
  };
  absl::flat_hash_map<absl::string_view, int> count;
  for (const FactRef& r : DedupFactsOf(vault, changed(unchanged))) {
    ++count[DisplayOf(vault.notes[r.note], vault.notes[r.note].facts[r.fact])];
  }
  for (const FactRef& r : DedupFactsOf(base, changed(base_unchanged))) {
    --count[DisplayOf(base.notes[r.note], base.notes[r.note].facts[r.fact])];
  }
  return count;
}

}  // namespace

std::set<std::string> AddedFactTexts(const Vault& vault, const Vault& base_given) {
  std::optional<Vault> storage;
  const Vault& base = Readable(vault, base_given, &storage);
  std::set<std::string> added;
  for (const auto& [text, n] : AddedCounts(vault, base)) {
    if (n > 0) added.insert(std::string(text));
  }
  return added;
}

absl::StatusOr<std::vector<Finding>> ChangeDuplicateFindings(
    const Vault& vault, const Vault& base, const dedup::DedupOptions& options,
    absl::Span<const FactIndex* const> previous, const std::vector<std::string>& allowed_ids,
    ScanResult* now_out, FactIndex* next, IndexStats* stats_out) {
  const std::set<std::string> added_texts = AddedFactTexts(vault, base);
  TextSet added;
  for (const std::string& text : added_texts) added.insert(text);
  IndexStats own;
  IndexStats& stats = stats_out != nullptr ? *stats_out : own;
  absl::StatusOr<ScanResult> now = ScanVaultIndexedAround(
      vault, options, previous, next, &stats,
      [&](const Note& n, const Fact& f) { return added.contains(DisplayOf(n, f)); });
  if (!now.ok()) return now.status();
  // Every cluster that can give a finding holds an added fact, so it is in `now`. At the base,
  // DuplicateFindings reads the clusters of the texts such findings pair: all of them are in
  // the components of the base's facts with those texts.
  std::set<std::pair<absl::string_view, absl::string_view>> pairs;
  for (const dedup::Cluster& c : now->dedup.clusters) {
    const absl::string_view canon = now->display(vault, c.canonical);
    for (const dedup::Member& m : c.members) {
      const absl::string_view f = now->display(vault, m.item);
      if (m.item == c.canonical || (!added.contains(f) && !added.contains(canon))) continue;
      pairs.insert({f, canon});
    }
  }
  // Only a pair whose two texts are both at the base can have been clustered there. (Without
  // such a pair the base's scan has no cluster, and DuplicateFindings reads nothing of it.)
  ScanResult then;
  absl::flat_hash_set<absl::string_view> at_base;  // the pairs' texts the base has
  if (!pairs.empty()) {
    TextSet wanted;
    for (const auto& [a, b] : pairs) {
      wanted.insert(a);
      wanted.insert(b);
    }
    auto read = [&](const Note& note) {
      for (const Fact& f : note.facts) {
        const absl::string_view display = DisplayOf(note, f);
        if (wanted.contains(display) && IsDedupFact(base, note, f)) at_base.insert(display);
      }
    };
    for (const Note& note : base.notes) read(note);
    for (const std::string& path : base.left_out) {  // as `vault` has them
      if (const int at = vault.FindNote(path); at >= 0) read(vault.notes[at]);
    }
  }
  std::set<std::string> paired;
  for (const auto& [a, b] : pairs) {
    if (at_base.contains(a) && at_base.contains(b)) {
      paired.insert(std::string(a));
      paired.insert(std::string(b));
    }
  }
  // The base's scan is of all its notes: those it left out, if any, are copied in.
  std::optional<Vault> completed;
  if (!paired.empty()) {
    if (!base.left_out.empty()) completed.emplace(Completed(vault, base));
    absl::StatusOr<ScanResult> s =
        ScanVaultIndexedAround(completed ? *completed : base, options, previous, nullptr, &stats,
                               [&](const Note& n, const Fact& f) {
                                 return paired.count(std::string(DisplayOf(n, f))) > 0;
                               });
    if (!s.ok()) return s.status();
    then = *std::move(s);
  }
  std::vector<Finding> findings = DuplicateFindingsOf(vault, *now, completed ? &*completed : &base,
                                                      &then, allowed_ids, added_texts);
  if (now_out != nullptr) *now_out = *std::move(now);
  return findings;
}

LineSet AddedLocations(const Vault& vault, const Vault& base_given) {
  std::optional<Vault> storage;
  const Vault& base = Readable(vault, base_given, &storage);
  LineSet out;
  TextSet added;
  for (const auto& [text, n] : AddedCounts(vault, base)) {
    if (n > 0) added.insert(text);
  }
  if (!added.empty()) {
    for (const Note& note : vault.notes) {
      for (const Fact& f : note.facts) {
        if (added.contains(DisplayOf(note, f)) && IsDedupFact(vault, note, f))
          out.insert({note.path, f.line});
      }
    }
  }
  const std::vector<char> unchanged = UnchangedNotes(vault, base);
  for (size_t n = 0; n < vault.notes.size(); ++n) {
    if (unchanged[n]) continue;  // every line is at the base
    const Note& note = vault.notes[n];
    std::set<int> fact_lines;
    for (const Fact& f : note.facts) fact_lines.insert(f.line);
    std::map<absl::string_view, int> at_base;  // copies of each line in the base's note
    const int b = base.FindNote(note.path);
    if (b >= 0) {
      for (absl::string_view l : absl::StrSplit(base.notes[b].content, '\n')) {
        ++at_base[absl::StripSuffix(l, "\r")];
      }
    }
    int line = 0;
    for (absl::string_view l : absl::StrSplit(note.content, '\n')) {
      ++line;
      l = absl::StripSuffix(l, "\r");
      if (fact_lines.count(line) || absl::StripAsciiWhitespace(l).empty()) continue;
      if (--at_base[l] < 0) out.insert({note.path, line});
    }
  }
  return out;
}

std::string ConflictFactKey(const ConflictFact& fact) {
  static const dedup::Normalizer* normalizer = new dedup::Normalizer();
  std::string key;
  absl::StatusOr<dedup::NormalizedText> t = normalizer->Normalize(fact.text);
  if (t.ok()) {
    for (const dedup::Token& tok : t->tokens)
      absl::StrAppend(&key, key.empty() ? "" : " ", tok.text);
  }
  if (key.empty()) key = fact.text;
  if (!fact.field.empty()) key = absl::StrCat(BaseNotePath(fact.path), "#", fact.field, "=", key);
  return key;
}

std::string ConflictId(const Conflict& conflict) {
  std::vector<std::string> keys;
  for (const ConflictFact& f : conflict.facts) keys.push_back(ConflictFactKey(f));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const std::string all = absl::StrCat(conflict.type, "\x1f", absl::StrJoin(keys, "\x1f"));
  return absl::StrFormat("k%012x", dedup::Hash64(all) & 0xFFFFFFFFFFFFULL);
}

void SortFindings(std::vector<Finding>* findings) {
  std::stable_sort(findings->begin(), findings->end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.where.path, a.where.line) < std::tie(b.where.path, b.where.line);
  });
}

bool IsConflictFinding(const Finding& f) { return absl::StartsWith(f.rule, "conflict/"); }

namespace {

std::string ConflictMessage(const Conflict& c, int x, int y) {
  const ConflictFact& a = c.facts[x];
  const ConflictFact& b = c.facts[y];
  std::string msg =
      absl::StrFormat("%s conflict: '%s' (%s:%d) vs '%s' (%s:%d)", c.type, Shorten(a.value, 80),
                      a.path, a.line, Shorten(b.value, 80), b.path, b.line);
  if (!a.field.empty()) absl::StrAppend(&msg, " in field '", a.field, "'");
  if (c.facts.size() > 2) absl::StrAppend(&msg, "; ", c.facts.size(), " facts in all");
  if (!c.suggestion.empty()) absl::StrAppend(&msg, "; ", c.suggestion);
  return absl::StrCat(msg, " [conflict ", ConflictId(c), "]");
}

}  // namespace

std::vector<Finding> ConflictFindings(const std::vector<Conflict>& conflicts, const LineSet* added,
                                      const std::vector<std::string>& allowed_ids) {
  auto is_added = [&](const ConflictFact& f) {
    return added == nullptr || added->count({f.path, f.line}) > 0;
  };
  const std::set<std::string> allowed(allowed_ids.begin(), allowed_ids.end());
  std::vector<Finding> out;
  for (const Conflict& c : conflicts) {
    if (!IsContradiction(c) || c.pairs.empty()) continue;
    const std::string id = ConflictId(c);
    if (allowed.count(id)) continue;
    // The first disagreement with an added fact (without a base: the first one).
    int reported = -1;
    for (size_t p = 0; p < c.pairs.size() && reported < 0; ++p) {
      if (is_added(c.facts[c.pairs[p].first]) || is_added(c.facts[c.pairs[p].second])) {
        reported = static_cast<int>(p);
      }
    }
    if (reported < 0) continue;
    auto [x, y] = c.pairs[reported];
    if (!is_added(c.facts[x])) std::swap(x, y);  // report on the fact the change added
    Finding f;
    f.rule = absl::StrCat("conflict/", c.type);
    f.cluster_id = id;
    f.where = {c.facts[x].path, c.facts[x].line, c.facts[x].text};
    f.message = ConflictMessage(c, x, y);
    f.related.push_back({c.facts[y].path, c.facts[y].line, c.facts[y].text});
    for (int i = 0; i < static_cast<int>(c.facts.size()); ++i) {
      if (i != x && i != y)
        f.related.push_back({c.facts[i].path, c.facts[i].line, c.facts[i].text});
    }
    out.push_back(std::move(f));
  }
  SortFindings(&out);
  return out;
}

absl::StatusOr<FindingFormat> ParseFindingFormat(absl::string_view name) {
  if (name == "text") return FindingFormat::kText;
  if (name == "json") return FindingFormat::kJson;
  if (name == "github") return FindingFormat::kGithub;
  if (name == "sarif") return FindingFormat::kSarif;
  if (name == "junit") return FindingFormat::kJunit;
  return absl::InvalidArgumentError(
      absl::StrCat("format '", name, "' is not one of text, json, github, sarif, junit"));
}

std::string FormatFindings(const std::vector<Finding>& findings, FindingFormat format,
                           const std::vector<std::string>& notes, absl::string_view version) {
  auto dump = [](const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  };
  switch (format) {
    case FindingFormat::kText: {
      std::string out;
      for (const Finding& f : findings) {
        absl::StrAppend(&out, f.where.path, ":", f.where.line, ": ", f.rule, ": ", f.message, "\n");
      }
      absl::StrAppend(&out, findings.size(), " finding(s)\n");
      return out;
    }
    case FindingFormat::kJson: {
      nlohmann::json arr = nlohmann::json::array();
      for (const Finding& f : findings) {
        nlohmann::json related = nlohmann::json::array();
        for (const auto& r : f.related) {
          related.push_back({{"path", r.path}, {"line", r.line}, {"text", r.text}});
        }
        arr.push_back({{"path", f.where.path},
                       {"line", f.where.line},
                       {"rule", f.rule},
                       {IsConflictFinding(f) ? "conflict" : "cluster", f.cluster_id},
                       {"message", f.message},
                       {"text", f.where.text},
                       {"related", std::move(related)}});
      }
      return dump({{"version", 1}, {"findings", std::move(arr)}});
    }
    case FindingFormat::kGithub: {
      std::string out;
      for (const Finding& f : findings) {
        absl::StrAppend(&out, "::warning file=", GithubProperty(f.where.path),
                        ",line=", f.where.line, ",title=", GithubProperty("factdedup " + f.rule),
                        "::", GithubData(f.message), "\n");
      }
      return out;
    }
    case FindingFormat::kSarif: {
      nlohmann::json results = nlohmann::json::array();
      for (const Finding& f : findings) {
        nlohmann::json related = nlohmann::json::array();
        int id = 1;
        for (const auto& r : f.related) {
          related.push_back(
              {{"id", id++},
               {"physicalLocation",
                {{"artifactLocation", {{"uri", r.path}}}, {"region", {{"startLine", r.line}}}}},
               {"message", {{"text", Shorten(r.text)}}}});
        }
        results.push_back({{"ruleId", f.rule},
                           {"level", "warning"},
                           {"message", {{"text", f.message}}},
                           {"locations",
                            {{{"physicalLocation",
                               {{"artifactLocation", {{"uri", f.where.path}}},
                                {"region", {{"startLine", f.where.line}}}}}}}},
                           {"relatedLocations", std::move(related)},
                           {"partialFingerprints",
                            {{IsConflictFinding(f) ? "factdedupConflict/v1" : "factdedupCluster/v1",
                              f.cluster_id}}}});
      }
      nlohmann::json sarif = {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
                              {"version", "2.1.0"},
                              {"runs",
                               {{{"tool",
                                  {{"driver",
                                    {{"name", "factdedup"},
                                     {"version", std::string(version)},
                                     {"rules", SarifRules()}}}}},
                                 {"results", std::move(results)}}}}};
      return dump(sarif);
    }
    case FindingFormat::kJunit: {
      std::map<std::string, std::vector<const Finding*>> by_note;
      for (const Finding& f : findings) by_note[f.where.path].push_back(&f);
      std::string cases;
      for (const std::string& note : notes) {
        auto it = by_note.find(note);
        if (it == by_note.end()) {
          absl::StrAppend(&cases, "    <testcase classname=\"factdedup\" name=\"", XmlEscape(note),
                          "\"/>\n");
          continue;
        }
        std::string body;
        std::set<std::string> rules;
        for (const Finding* f : it->second) {
          absl::StrAppend(&body, f->where.path, ":", f->where.line, ": ", f->message, "\n");
          rules.insert(f->rule);
        }
        absl::StrAppend(&cases, "    <testcase classname=\"factdedup\" name=\"", XmlEscape(note),
                        "\">\n      <failure message=\"", it->second.size(),
                        " finding(s)\" type=\"", XmlEscape(absl::StrJoin(rules, " ")), "\">",
                        XmlEscape(body), "</failure>\n    </testcase>\n");
      }
      return absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n",
                          "  <testsuite name=\"factdedup\" tests=\"", notes.size(),
                          "\" failures=\"", by_note.size(), "\">\n", cases,
                          "  </testsuite>\n</testsuites>\n");
    }
  }
  return "";
}

}  // namespace factdedup::provenance
