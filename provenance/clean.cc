#include "provenance/clean.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dedup/hash.h"

namespace factdedup::provenance {
namespace {

constexpr absl::string_view kSuffixOpen = " (sources: ";
constexpr absl::string_view kFootnoteOpen = " [^fd-";
constexpr absl::string_view kFootnoteMarker = "\n<!-- factdedup:sources -->\n";

// Six hex digits naming a set of source links; the same sources share one footnote.
std::string FootnoteId(absl::string_view links) {
  return absl::StrFormat("%06x", dedup::Hash64(links) & 0xFFFFFF);
}

std::string StripMd(absl::string_view p) {
  if (absl::EndsWith(p, ".md")) p.remove_suffix(3);
  return std::string(p);
}

std::string Basename(absl::string_view p) {
  size_t slash = p.rfind('/');
  return std::string(slash == absl::string_view::npos ? p : p.substr(slash + 1));
}

std::string HashHex(absl::string_view bytes) {
  return absl::StrFormat("%016x", dedup::Hash64(bytes));
}

std::string JournalPath(const std::string& root) {
  return JoinPath(JoinPath(root, kStateDir), "journal.jsonl");
}

constexpr absl::string_view kMarkerOpen = " \u26A0 <!-- factdedup:conflict ";
constexpr absl::string_view kMarkerClose = " -->";
constexpr size_t kMarkerTextBytes = 160;

// Pairs of compared facts that contradict each other, from FindConflicts' output.
class PairwiseConflicts {
 public:
  PairwiseConflicts(const Vault& vault, const ScanResult& scan,
                    const std::vector<Conflict>& conflicts) {
    std::map<std::pair<std::string, int>, int> item_at;
    for (size_t i = 0; i < scan.facts.size(); ++i) {
      const Fact& f = scan.fact(vault, static_cast<int>(i));
      item_at[{scan.note(vault, static_cast<int>(i)).path, f.line}] = static_cast<int>(i);
    }
    for (const Conflict& c : conflicts) {
      if (!IsContradiction(c) || c.type == "frontmatter") continue;
      for (const ConflictFact& f : c.facts) {
        auto it = item_at.find({f.path, f.line});
        if (it != item_at.end()) in_[it->second].push_back({&c, &f});
      }
    }
  }

  // A contradiction between compared facts `a` and `b` with each one's value, or nullopt.
  // Name and acronym conflicts hold when the two facts' spellings differ; value and polarity
  // conflicts must list the two facts as a disagreeing pair (Conflict::pairs: FindConflicts
  // groups pairs into connected sets, so sharing a set is not enough).
  absl::StatusOr<std::optional<Conflict>> Between(int a, int b) {
    auto ia = in_.find(a), ib = in_.find(b);
    if (ia == in_.end() || ib == in_.end()) return std::nullopt;
    for (const auto& [ca, fa] : ia->second) {
      for (const auto& [cb, fb] : ib->second) {
        if (ca != cb) continue;
        if (ca->type == "name" || ca->type == "acronym") {
          if (absl::AsciiStrToLower(fa->value) == absl::AsciiStrToLower(fb->value)) continue;
          return Conflict{ca->type, {*fa, *fb}, {{0, 1}}, ""};
        }
        const int xa = static_cast<int>(fa - ca->facts.data());
        const int xb = static_cast<int>(fb - ca->facts.data());
        for (const auto& [x, y] : ca->pairs) {
          if ((x == xa && y == xb) || (x == xb && y == xa)) {
            return Conflict{ca->type, {*fa, *fb}, {{0, 1}}, ""};
          }
        }
      }
    }
    return std::nullopt;
  }

 private:
  std::map<int, std::vector<std::pair<const Conflict*, const ConflictFact*>>> in_;
};

// `text` cut to at most `max` bytes at a UTF-8 boundary, with "..." when cut.
std::string Truncate(absl::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat(absl::StripTrailingAsciiWhitespace(text.substr(0, end)), "...");
}

// A bullet's display text without a sources suffix or conflict marker, from its text as
// written (RawText).
std::string BareText(absl::string_view raw) {
  raw.remove_suffix(ConflictMarkerLength(raw));
  raw.remove_suffix(SourcesSuffixLength(raw));
  return StripMarkdown(raw);
}

}  // namespace

std::string ConflictMarker(absl::string_view type, absl::string_view other_text) {
  std::string text = Truncate(other_text, kMarkerTextBytes);
  // Nothing inside may end the comment early.
  while (absl::StrContains(text, "--")) text = absl::StrReplaceAll(text, {{"--", "- -"}});
  return absl::StrCat(kMarkerOpen, type, " with: ", text, kMarkerClose);
}

size_t ConflictMarkerLength(absl::string_view raw) {
  if (!absl::EndsWith(raw, kMarkerClose)) return 0;
  size_t pos = raw.rfind(kMarkerOpen);
  if (pos == absl::string_view::npos) return 0;
  absl::string_view inner = raw.substr(pos + kMarkerOpen.size());
  inner.remove_suffix(kMarkerClose.size());
  if (absl::StrContains(inner, "--")) return 0;
  return raw.size() - pos;
}

absl::StatusOr<CleanOptions::LinkStyle> ParseLinkStyle(absl::string_view name) {
  if (name == "wikilink") return CleanOptions::LinkStyle::kWikilink;
  if (name == "footnote") return CleanOptions::LinkStyle::kFootnote;
  if (name == "none") return CleanOptions::LinkStyle::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("link style '", name, "' is not one of wikilink, footnote, none"));
}

std::string SourcesLinks(const std::vector<Source>& sources, absl::string_view page_path) {
  const std::string base = BaseNotePath(page_path);
  std::vector<std::string> links;
  for (const Source& s : sources) {
    if (BaseNotePath(s.path) == base) continue;
    std::string target = StripMd(s.path);
    links.push_back(absl::StrCat("[[", target, "|", Basename(target), "]]"));
  }
  return absl::StrJoin(links, ", ");
}

std::string SourcesSuffix(const std::vector<Source>& sources, absl::string_view page_path,
                          CleanOptions::LinkStyle style) {
  if (style == CleanOptions::LinkStyle::kNone) return "";
  std::string links = SourcesLinks(sources, page_path);
  if (links.empty()) return "";
  if (style == CleanOptions::LinkStyle::kFootnote) {
    return absl::StrCat(kFootnoteOpen, FootnoteId(links), "]");
  }
  return absl::StrCat(kSuffixOpen, links, ")");
}

size_t SourcesSuffixLength(absl::string_view raw) {
  // " [^fd-xxxxxx]"
  const size_t footnote = kFootnoteOpen.size() + 7;
  if (raw.size() >= footnote &&
      raw.substr(raw.size() - footnote, kFootnoteOpen.size()) == kFootnoteOpen &&
      raw.back() == ']') {
    absl::string_view hex = raw.substr(raw.size() - 7, 6);
    if (std::all_of(hex.begin(), hex.end(),
                    [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
      return footnote;
    }
  }
  if (!absl::EndsWith(raw, "]])")) return 0;
  size_t pos = raw.rfind(kSuffixOpen);
  if (pos == absl::string_view::npos) return 0;
  absl::string_view inner = raw.substr(pos + kSuffixOpen.size());
  inner.remove_suffix(1);
  // Only "[[...]], [[...]]": no other text inside.
  for (absl::string_view part : absl::StrSplit(inner, ", ")) {
    if (!absl::StartsWith(part, "[[") || !absl::EndsWith(part, "]]") ||
        part.substr(2, part.size() - 4).find("]]") != absl::string_view::npos) {
      return 0;
    }
  }
  return raw.size() - pos;
}

absl::StatusOr<CleanPlan> PlanClean(const Vault& vault, const ScanResult& scan,
                                    const CleanOptions& options) {
  LinkResolver resolver(vault);
  std::set<std::string> only(options.paths.begin(), options.paths.end());
  for (const std::string& p : only) {
    if (vault.FindNote(p) < 0) {
      return absl::NotFoundError(absl::StrCat(p, ": no such note in the vault"));
    }
  }
  auto cleanable = [&](int n) {
    const Note& note = vault.notes[n];
    if (!note.fully_parsed) return false;
    if (BaseNotePath(note.path) != note.path) return false;
    if (!options.include_evidence && IsEvidenceNote(note, options.sources)) return false;
    return only.empty() || only.count(note.path) > 0;
  };
  std::vector<Conflict> found;
  if (options.conflicts == nullptr) {
    absl::StatusOr<std::vector<Conflict>> f = FindConflicts(vault, scan);
    if (!f.ok()) return f.status();
    found = *std::move(f);
  }
  PairwiseConflicts pairwise(vault, scan, options.conflicts ? *options.conflicts : found);
  // Per page: facts to remove (index -> record), kept facts' new suffix, conflicting
  // variants' marker.
  struct PageEdits {
    std::map<int, RemovedVariant> removed;
    std::map<int, std::string> suffix;
    std::map<int, std::string> marker;
    std::map<int, KeptConflict> conflicting;
    std::map<std::string, std::string> footnotes;  // id -> links
    int clusters = 0;
  };
  std::map<int, PageEdits> pages;
  for (const dedup::Cluster& c : scan.dedup.clusters) {
    std::map<int, std::vector<const dedup::Member*>> by_note;
    for (const dedup::Member& m : c.members) by_note[scan.facts[m.item].note].push_back(&m);
    std::vector<Source> sources;
    bool have_sources = false;
    for (auto& [n, members] : by_note) {
      if (!cleanable(n)) continue;
      const Note& note = vault.notes[n];
      // Keep the first member on this page (the canonical if it is here), unless a later one
      // has nested children and the first does not: never orphan a child bullet.
      const int kept_item = members[0]->item;
      const Fact& kept = note.facts[scan.facts[kept_item].fact];
      if (!have_sources) {
        sources = ClusterSources(vault, resolver, scan, c, options.sources);
        have_sources = true;
      }
      PageEdits& edits = pages[n];
      edits.suffix[kept.index] = SourcesSuffix(sources, note.path, options.link_style);
      if (options.link_style == CleanOptions::LinkStyle::kFootnote) {
        std::string links = SourcesLinks(sources, note.path);
        if (!links.empty()) edits.footnotes[FootnoteId(links)] = links;
      }
      bool merged = false;
      for (size_t k = 1; k < members.size(); ++k) {
        const Fact& f = note.facts[scan.facts[members[k]->item].fact];
        bool has_children = f.index + 1 < static_cast<int>(note.facts.size()) &&
                            note.facts[f.index + 1].parent == f.index;
        if (has_children) continue;
        // A variant that contradicts the kept bullet or the canonical stays, marked.
        std::optional<Conflict> conflict;
        int other = kept_item;
        for (int candidate : {kept_item, c.canonical}) {
          absl::StatusOr<std::optional<Conflict>> x = pairwise.Between(members[k]->item, candidate);
          if (!x.ok()) return x.status();
          if (x->has_value()) {
            conflict = std::move(*x);
            other = candidate;
            break;
          }
        }
        if (conflict.has_value()) {
          const Fact& o = scan.fact(vault, other);
          KeptConflict kc;
          kc.line = f.line;
          kc.text = std::string(DisplayOf(note, f));
          kc.value = conflict->facts[0].value;
          kc.kept_line = o.line;
          kc.kept_path = scan.note(vault, other).path;
          kc.kept_text = BareText(RawText(vault.notes[scan.facts[other].note], o));
          kc.kept_value = conflict->facts[1].value;
          kc.type = conflict->type;
          edits.marker[f.index] = ConflictMarker(kc.type, kc.kept_text);
          edits.conflicting[f.index] = std::move(kc);
          continue;
        }
        RemovedVariant r;
        r.line = f.line;
        r.raw = note.content.substr(f.span.begin, f.span.size());
        r.text = std::string(DisplayOf(note, f));
        r.canonical_line = kept.line;
        r.canonical_text = std::string(DisplayOf(note, kept));
        r.similarity = members[k]->similarity;
        r.relation = dedup::RelationName(members[k]->relation);
        edits.removed[f.index] = std::move(r);
        merged = true;
      }
      if (merged) edits.clusters++;
    }
  }
  CleanPlan plan;
  for (auto& [n, edits] : pages) {
    const Note& note = vault.notes[n];
    PagePlan page;
    page.note = n;
    page.path = note.path;
    page.before = note.content;
    std::string& out = page.after;
    // Rebuild from the blocks. A removed bullet takes one neighbouring blank block with it so
    // the list keeps its spacing: the blank after it when both sides are blank, else the blank
    // before it when the next block is not blank.
    const std::vector<Block>& blocks = note.blocks;
    std::vector<char> drop(blocks.size(), 0);
    for (size_t b = 0; b < blocks.size(); ++b) {
      if (blocks[b].kind != BlockKind::kListItem || !edits.removed.count(blocks[b].fact)) continue;
      drop[b] = 1;
    }
    for (size_t b = 0; b < blocks.size(); ++b) {
      if (!drop[b] || blocks[b].kind != BlockKind::kListItem) continue;
      size_t prev = b, next = b + 1;
      while (prev > 0 && drop[prev - 1]) --prev;  // the nearest block that stays
      bool prev_blank = prev > 0 && blocks[prev - 1].kind == BlockKind::kBlank && !drop[prev - 1];
      bool next_blank = next < blocks.size() && blocks[next].kind == BlockKind::kBlank;
      if (prev_blank && next_blank) {
        drop[next] = 1;
      } else if (prev_blank && (next >= blocks.size() || !next_blank)) {
        drop[prev - 1] = 1;
      }
    }
    for (size_t b = 0; b < blocks.size(); ++b) {
      if (drop[b]) continue;
      const Block& blk = blocks[b];
      // A kept bullet gets its sources suffix, a conflicting variant its marker; either
      // replaces an earlier run's.
      const std::string* tail = nullptr;
      size_t old_tail = 0;
      if (blk.kind == BlockKind::kListItem) {
        const Fact& f = note.facts[blk.fact];
        if (auto it = edits.suffix.find(blk.fact); it != edits.suffix.end()) {
          tail = &it->second;
          old_tail = SourcesSuffixLength(RawText(note, f));
        } else if (auto m = edits.marker.find(blk.fact); m != edits.marker.end()) {
          tail = &m->second;
          old_tail = ConflictMarkerLength(RawText(note, f));
        }
      }
      if (tail == nullptr) {
        out.append(note.content, blk.span.begin, blk.span.size());
        continue;
      }
      const Fact& f = note.facts[blk.fact];
      out.append(note.content, blk.span.begin, f.text_span.end - old_tail - blk.span.begin);
      out.append(*tail);
      out.append(note.content, f.text_span.end, blk.span.end - f.text_span.end);
    }
    // Footnote definitions live in one block at the end of the page, after a marker comment;
    // an earlier run's block is read back (its definitions kept) and written anew.
    if (size_t mark = out.find(kFootnoteMarker.data(), 0, kFootnoteMarker.size());
        mark != std::string::npos) {
      for (absl::string_view line :
           absl::StrSplit(absl::string_view(out).substr(mark + kFootnoteMarker.size()), '\n')) {
        if (absl::StartsWith(line, "[^fd-") && line.size() > 13 && line.substr(11, 3) == "]: ") {
          absl::string_view links = line.substr(14);
          absl::ConsumePrefix(&links, "sources: ");
          edits.footnotes.emplace(std::string(line.substr(5, 6)), std::string(links));
        }
      }
      out.resize(mark);
    }
    if (!edits.footnotes.empty()) {
      if (!out.empty() && out.back() != '\n') out.push_back('\n');
      out.append(kFootnoteMarker.data(), kFootnoteMarker.size());
      for (const auto& [id, links] : edits.footnotes) {
        absl::StrAppend(&out, "[^fd-", id, "]: sources: ", links, "\n");
      }
    }
    if (!page.changed()) continue;
    for (auto& [idx, r] : edits.removed) page.removed.push_back(std::move(r));
    for (auto& [idx, k] : edits.conflicting) page.conflicting.push_back(std::move(k));
    page.facts_before = static_cast<int>(note.facts.size());
    page.facts_after = page.facts_before - static_cast<int>(page.removed.size());
    page.clusters_merged = edits.clusters;
    plan.pages.push_back(std::move(page));
  }
  return plan;
}

std::string UnifiedDiff(absl::string_view path, absl::string_view before, absl::string_view after) {
  if (before == after) return "";
  auto split = [](absl::string_view s) {
    std::vector<absl::string_view> lines;
    size_t pos = 0;
    while (pos < s.size()) {
      size_t nl = s.find('\n', pos);
      size_t end = nl == absl::string_view::npos ? s.size() : nl + 1;
      lines.push_back(s.substr(pos, end - pos));
      pos = end;
    }
    return lines;
  };
  std::vector<absl::string_view> a = split(before), b = split(after);
  // Trim the common prefix and suffix, then LCS on the middle.
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  const size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  // ops over the whole files: ' ' keep, '-' delete, '+' insert
  std::vector<std::pair<char, absl::string_view>> ops;
  for (size_t i = 0; i < pre; ++i) ops.emplace_back(' ', a[i]);
  if (n * m <= 25'000'000) {
    std::vector<std::vector<uint32_t>> L(n + 1, std::vector<uint32_t>(m + 1, 0));
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        L[i][j] =
            a[pre + i] == b[pre + j] ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
      }
    }
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[pre + i] == b[pre + j]) {
        ops.emplace_back(' ', a[pre + i]);
        ++i, ++j;
      } else if (i < n && (j >= m || L[i + 1][j] >= L[i][j + 1])) {
        ops.emplace_back('-', a[pre + i++]);
      } else {
        ops.emplace_back('+', b[pre + j++]);
      }
    }
  } else {
    for (size_t i = 0; i < n; ++i) ops.emplace_back('-', a[pre + i]);
    for (size_t j = 0; j < m; ++j) ops.emplace_back('+', b[pre + j]);
  }
  for (size_t i = a.size() - suf; i < a.size(); ++i) ops.emplace_back(' ', a[i]);

  std::string out = absl::StrCat("--- a/", path, "\n+++ b/", path, "\n");
  constexpr size_t kContext = 3;
  size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].first == ' ') ++k;
    if (k >= ops.size()) break;
    size_t start = k >= kContext ? k - kContext : 0;
    size_t end = k;
    // Extend while changes are within 2*context of each other.
    while (true) {
      while (end < ops.size() && ops[end].first != ' ') ++end;
      size_t look = end;
      while (look < ops.size() && ops[look].first == ' ' && look - end < 2 * kContext) ++look;
      if (look < ops.size() && ops[look].first != ' ') {
        end = look;
        continue;
      }
      break;
    }
    size_t stop = std::min(ops.size(), end + kContext);
    size_t a_line = 1, b_line = 1;
    for (size_t q = 0; q < start; ++q) {
      if (ops[q].first != '+') ++a_line;
      if (ops[q].first != '-') ++b_line;
    }
    size_t a_count = 0, b_count = 0;
    for (size_t q = start; q < stop; ++q) {
      if (ops[q].first != '+') ++a_count;
      if (ops[q].first != '-') ++b_count;
    }
    absl::StrAppend(&out, "@@ -", a_count ? a_line : a_line - 1, ",", a_count, " +",
                    b_count ? b_line : b_line - 1, ",", b_count, " @@\n");
    for (size_t q = start; q < stop; ++q) {
      out.push_back(ops[q].first);
      out.append(ops[q].second.data(), ops[q].second.size());
      if (ops[q].second.empty() || ops[q].second.back() != '\n') {
        out.append("\n\\ No newline at end of file\n");
      }
    }
    k = stop;
  }
  return out;
}

namespace {

std::string StatePath(const std::string& root) { return JoinPath(root, kStateDir); }

// The journal's bytes, "" when there is none yet. Any other read error is returned: a journal
// that cannot be read must never be replaced by a shorter one.
absl::StatusOr<std::string> ReadJournal(FileSystem* fs, const std::string& root) {
  absl::StatusOr<std::string> text = fs->ReadFile(JournalPath(root), kMaxJournalSize);
  if (absl::IsNotFound(text.status())) return std::string();
  return text;
}

// Removes temp files an interrupted write left in the vault and in `.factdedup/`. They are
// never read; removing them only tidies up, so failures are ignored.
void RemoveTempFiles(FileSystem* fs, const Vault& vault) {
  for (const std::string& rel : vault.temp_files) {
    if (IsTempFileName(rel)) (void)fs->Remove(JoinPath(vault.root, rel));
  }
  const std::string state = StatePath(vault.root);
  for (const std::string& dir : {state, JoinPath(state, "backups")}) {
    absl::StatusOr<std::vector<DirEntry>> entries = fs->ListDir(dir);
    if (!entries.ok()) continue;
    for (const DirEntry& e : *entries) {
      if (e.type == FileInfo::Type::kFile && IsTempFileName(e.name)) {
        (void)fs->Remove(JoinPath(dir, e.name));
      }
    }
  }
}

// Saves `bytes` as a content-addressed backup, unless an identical one exists.
absl::Status SaveBackup(FileSystem* fs, const std::string& state, absl::string_view bytes) {
  const std::string backup = JoinPath(state, absl::StrCat("backups/", HashHex(bytes), ".md"));
  absl::StatusOr<std::string> existing = fs->ReadFile(backup, bytes.size());
  if (existing.ok() && *existing == bytes) return absl::OkStatus();
  return fs->WriteFileAtomic(backup, bytes, std::nullopt);
}

// kAborted unless the file at `path` still holds exactly `bytes`.
absl::Status StillAsRead(FileSystem* fs, const std::string& path, absl::string_view bytes) {
  absl::StatusOr<std::string> now = fs->ReadFile(path, bytes.size());
  if (absl::IsNotFound(now.status())) {
    return absl::AbortedError(
        absl::StrCat(path, ": file was removed since it was read; not written"));
  }
  if (absl::IsOutOfRange(now.status()) || (now.ok() && *now != bytes)) {
    return absl::AbortedError(absl::StrCat(path, ": file changed since it was read; not written"));
  }
  return now.status();
}

std::string CleanRecord(const PagePlan& page, absl::string_view timestamp) {
  nlohmann::json removed = nlohmann::json::array();
  for (const RemovedVariant& r : page.removed) {
    removed.push_back({{"line", r.line},
                       {"raw", r.raw},
                       {"text", r.text},
                       {"canonical", {{"line", r.canonical_line}, {"text", r.canonical_text}}},
                       {"similarity", r.similarity},
                       {"relation", r.relation}});
  }
  nlohmann::json conflicting = nlohmann::json::array();
  for (const KeptConflict& k : page.conflicting) {
    conflicting.push_back({{"line", k.line},
                           {"text", k.text},
                           {"value", k.value},
                           {"type", k.type},
                           {"other",
                            {{"path", k.kept_path},
                             {"line", k.kept_line},
                             {"text", k.kept_text},
                             {"value", k.kept_value}}}});
  }
  nlohmann::json record = {
      {"format", "factdedup-clean"},
      {"version", kJournalVersion},
      {"action", "clean"},
      {"time", std::string(timestamp)},
      {"path", page.path},
      {"before", {{"xxh3", HashHex(page.before)}, {"size", page.before.size()}}},
      {"after", {{"xxh3", HashHex(page.after)}, {"size", page.after.size()}}},
      {"backup", absl::StrCat("backups/", HashHex(page.before), ".md")},
      {"removed", std::move(removed)},
      {"conflicting", std::move(conflicting)}};
  return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// The fields of a journal record that restore relies on, checked.
struct JournalRecord {
  int line = 0;
  std::string action, path, before, after, backup;
  nlohmann::json before_json, after_json;
};

bool IsHashHex(const std::string& s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

absl::StatusOr<JournalRecord> ParseRecord(const std::string& journal, int line_no,
                                          absl::string_view line) {
  auto bad = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat(journal, ":", line_no, ": not a journal record (", why, ")"));
  };
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto str = [&](const nlohmann::json& o, const char* key) -> const std::string* {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  const std::string* format = str(j, "format");
  if (format == nullptr || *format != "factdedup-clean") return bad("no format factdedup-clean");
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() || *version != kJournalVersion) {
    return absl::FailedPreconditionError(absl::StrCat(journal, ":", line_no, ": journal version ",
                                                      version == j.end() ? "?" : version->dump(),
                                                      " is not ", kJournalVersion));
  }
  JournalRecord r;
  r.line = line_no;
  const std::pair<std::string*, const char*> strings[] = {
      {&r.action, "action"}, {&r.path, "path"}, {&r.backup, "backup"}};
  for (const auto& [field, key] : strings) {
    const std::string* v = str(j, key);
    if (v == nullptr) return bad(absl::StrCat("no '", key, "'"));
    *field = *v;
  }
  const std::tuple<std::string*, nlohmann::json*, const char*> states[] = {
      {&r.before, &r.before_json, "before"}, {&r.after, &r.after_json, "after"}};
  for (const auto& [field, json, key] : states) {
    auto it = j.find(key);
    const std::string* hash = it != j.end() && it->is_object() ? str(*it, "xxh3") : nullptr;
    if (hash == nullptr || !IsHashHex(*hash)) return bad(absl::StrCat("no '", key, ".xxh3'"));
    *field = *hash;
    *json = *it;
  }
  if (r.action != "clean" && r.action != "restore") return bad("unknown action");
  // Backups are content-addressed files under backups/, never a path of the record's choosing.
  if (r.backup != absl::StrCat("backups/", r.before, ".md") &&
      r.backup != absl::StrCat("backups/", r.after, ".md")) {
    return bad("backup is not backups/<xxh3>.md");
  }
  return r;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FileLock>> LockVault(FileSystem* fs, const std::string& vault_root,
                                                    double wait_seconds) {
  const std::string state = StatePath(vault_root);
  if (absl::Status s = fs->MakeDirs(state); !s.ok()) return s;
  const std::string path = JoinPath(state, "lock");
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(wait_seconds * 1000));
  while (true) {
    absl::StatusOr<std::unique_ptr<FileLock>> lock = fs->TryLock(path);
    if (lock.ok() || !absl::IsUnavailable(lock.status())) return lock;
    if (std::chrono::steady_clock::now() >= deadline) {
      absl::string_view msg = lock.status().message();
      size_t pid = msg.rfind("(pid ");
      return absl::UnavailableError(absl::StrCat(
          vault_root, ": another factdedup is writing this vault ",
          pid == absl::string_view::npos ? "" : msg.substr(pid),
          wait_seconds > 0 ? absl::StrCat("; gave up after ", wait_seconds, " s") : ""));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

absl::Status ApplyClean(FileSystem* fs, const Vault& vault, const CleanPlan& plan,
                        absl::string_view timestamp) {
  const std::string state = StatePath(vault.root);
  if (absl::Status s = fs->MakeDirs(JoinPath(state, "backups")); !s.ok()) return s;
  RemoveTempFiles(fs, vault);
  absl::Status first_error;
  auto note = [&](absl::Status s) {
    if (first_error.ok()) first_error = std::move(s);
  };
  // 1. Every page's old bytes, content-addressed. A page whose backup fails is not written.
  std::vector<const PagePlan*> saved;
  for (const PagePlan& page : plan.pages) {
    // Renaming over a symlink would replace the link, not its target (itself a note).
    absl::StatusOr<FileInfo> link = fs->Stat(JoinPath(vault.root, page.path), /*follow=*/false);
    if (link.ok() && link->type == FileInfo::Type::kSymlink) {
      note(absl::FailedPreconditionError(absl::StrCat(
          page.path, ": a symlink; not rewritten (the note it points to is cleaned itself)")));
      continue;
    }
    absl::Status s = SaveBackup(fs, state, page.before);
    if (s.ok()) {
      saved.push_back(&page);
    } else {
      note(s);
    }
  }
  if (saved.empty()) return first_error;
  // 2. One record per page, in one atomic rewrite of the journal, before any page changes.
  absl::StatusOr<std::string> journal = ReadJournal(fs, vault.root);
  if (!journal.ok()) return journal.status();
  for (const PagePlan* page : saved) journal->append(CleanRecord(*page, timestamp));
  if (absl::Status s = fs->WriteFileAtomic(JournalPath(vault.root), *journal, std::nullopt);
      !s.ok()) {
    return s;
  }
  // 3. Each page, only if it is still what was read: the same bytes now (an edit that kept
  // the size within one mtime tick shows only there), and the same size, mtime and inode
  // just before the rename.
  for (const PagePlan* page : saved) {
    const std::string full = JoinPath(vault.root, page->path);
    if (absl::Status s = StillAsRead(fs, full, page->before); !s.ok()) {
      note(s);
      continue;
    }
    const Note& n = vault.notes[page->note];
    FileInfo expected;
    expected.size = n.read_size;
    expected.mtime_ns = n.read_mtime_ns;
    expected.inode = n.read_inode;
    note(fs->WriteFileAtomic(full, page->after, expected));
  }
  return first_error;
}

absl::Status RestorePage(FileSystem* fs, const std::string& vault_root, absl::string_view path,
                         absl::string_view timestamp) {
  std::string rel;
  if (absl::StartsWith(path, "/") || !NormalizeRelativePath(path, &rel) || rel.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a path inside the vault (give it relative to the vault)"));
  }
  const std::string journal = JournalPath(vault_root);
  absl::StatusOr<std::string> text = ReadJournal(fs, vault_root);
  if (!text.ok()) return text.status();
  if (text->empty()) {
    return absl::NotFoundError(absl::StrCat(path, ": no clean has been recorded for this vault"));
  }
  std::vector<JournalRecord> records;  // this page's, oldest first
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    absl::StatusOr<JournalRecord> r = ParseRecord(journal, line_no, line);
    if (!r.ok()) return r.status();
    if (r->path == rel) records.push_back(*std::move(r));
  }
  if (records.empty()) return absl::NotFoundError(absl::StrCat(path, ": no clean to undo"));
  const std::string full = JoinPath(vault_root, rel);
  absl::StatusOr<std::string> current = fs->ReadFile(full, kMaxJournalSize);
  if (!current.ok()) return current.status();
  absl::StatusOr<FileInfo> info = fs->Stat(full, true);
  if (!info.ok()) return info.status();
  // The newest clean that produced the page's current bytes is the one to undo. A clean
  // record whose page write never happened (refused, or the run died after writing the
  // journal) has an `after` the page never had and is passed over; after a restore, the page
  // is what an older clean produced, so restoring again undoes that one.
  const std::string hash = HashHex(*current);
  auto produced = [&](const JournalRecord& r) { return r.after == hash; };
  auto last = std::find_if(records.rbegin(), records.rend(), [&](const JournalRecord& r) {
    return produced(r) && r.action == "clean";
  });
  if (last == records.rend()) {
    if (std::any_of(records.begin(), records.end(), produced)) {
      return absl::NotFoundError(absl::StrCat(path, ": no clean to undo (already restored)"));
    }
    if (records.back().before == hash) {
      return absl::NotFoundError(
          absl::StrCat(path, ": no clean to undo (the last clean did not write this page)"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        path,
        ": the page changed since the last clean wrote it; not restored (the old page is "
        "kept at .factdedup/",
        records.back().backup, ")"));
  }
  const std::string backup = JoinPath(StatePath(vault_root), last->backup);
  absl::StatusOr<std::string> old = fs->ReadFile(backup, kMaxJournalSize);
  if (!old.ok()) return old.status();
  if (HashHex(*old) != last->before) {
    return absl::DataLossError(absl::StrCat(backup, ": backup does not match its recorded hash"));
  }
  nlohmann::json record = {{"format", "factdedup-clean"},
                           {"version", kJournalVersion},
                           {"action", "restore"},
                           {"time", std::string(timestamp)},
                           {"path", rel},
                           {"before", last->after_json},
                           {"after", last->before_json},
                           {"backup", last->backup}};
  *text += record.dump() + "\n";
  if (absl::Status s = fs->WriteFileAtomic(journal, *text, std::nullopt); !s.ok()) return s;
  return fs->WriteFileAtomic(full, *old, *info);
}

}  // namespace factdedup::provenance
