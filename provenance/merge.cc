#include "provenance/merge.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "provenance/clean.h"
#include "provenance/internal/diff3.h"
#include "provenance/note.h"

namespace factdedup::provenance {
namespace {

using internal::Chunk;
using internal::Diff3;
using internal::Interner;
using Lines = std::vector<std::string>;

constexpr int kBase = 0, kOurs = 1, kTheirs = 2;
constexpr absl::string_view kBom = "\xEF\xBB\xBF";
// Bound on the pairs a fact-section run compares when it looks for bullets both sides edited.
constexpr int64_t kMaxEditPairs = 20000;

// A keyed piece of a note: one frontmatter key with its lines, or one section (heading line
// and everything up to the next heading).
struct Part {
  std::string key;   // identity across versions
  std::string name;  // the frontmatter key or the heading's text
  int begin = 0;     // line range [begin, end) in Version::lines
  int end = 0;
  bool set_list = false;  // a block list of one-line scalars ("tags:\n- a\n- b")
};

// One version of the note, cut into lines and keyed parts.
struct Version {
  bool exists = false;  // false for the empty base of a note added on both sides
  Note note;
  Lines lines;  // without terminators; the BOM is not part of the first line
  bool final_newline = false, bom = false, crlf = false;
  bool structured = true;  // valid UTF-8 and fully parsed: parts are meaningful
  bool has_frontmatter = false;
  std::string fm_open = "---", fm_close = "---";
  std::vector<Part> keys;      // frontmatter
  std::vector<Part> sections;  // body; the first is the preamble (key "")
};

Lines SplitLines(absl::string_view s) {
  Lines lines;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t nl = s.find('\n', pos);
    size_t end = nl == absl::string_view::npos ? s.size() : nl;
    absl::string_view line = s.substr(pos, end - pos);
    if (nl != absl::string_view::npos) absl::ConsumeSuffix(&line, "\r");
    lines.emplace_back(line);
    pos = nl == absl::string_view::npos ? s.size() : nl + 1;
  }
  return lines;
}

Lines Slice(const Lines& lines, int begin, int end) {
  return Lines(lines.begin() + begin, lines.begin() + end);
}

Lines PartLines(const Version& v, const Part* p) {
  return p == nullptr ? Lines{} : Slice(v.lines, p->begin, p->end);
}

std::string Trimmed(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

// Whether a frontmatter key's lines are "key:" followed by one-line "- item"s only.
bool IsSetList(const Lines& lines, int begin, int end) {
  if (!absl::EndsWith(Trimmed(lines[begin]), ":")) return false;
  for (int i = begin + 1; i < end; ++i) {
    std::string t = Trimmed(lines[i]);
    if (!t.empty() && !absl::StartsWith(t, "- ")) return false;
  }
  return true;
}

void CutFrontmatter(Version* v) {
  const Note& note = v->note;
  if (!note.frontmatter.present) return;
  v->has_frontmatter = true;
  const int close = note.blocks[0].line_end - 1;
  v->fm_open = v->lines[0];
  v->fm_close = v->lines[close];
  std::vector<int> starts;
  for (const FrontmatterKey& k : note.frontmatter.keys) starts.push_back(k.line - 1);
  std::map<std::string, int> seen;
  if (starts.empty() || starts[0] > 1) {
    v->keys.push_back({"\x01", "", 1, starts.empty() ? close : starts[0]});
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    const std::string& name = note.frontmatter.keys[i].key;
    Part p{absl::StrCat(name, "\x1f", seen[name]++), name, starts[i],
           i + 1 < starts.size() ? starts[i + 1] : close};
    p.set_list = note.frontmatter.keys[i].is_list && IsSetList(v->lines, p.begin, p.end);
    v->keys.push_back(p);
  }
}

void CutSections(Version* v) {
  const int n = static_cast<int>(v->lines.size());
  const int body = v->has_frontmatter ? v->note.blocks[0].line_end : 0;
  const std::vector<Heading>& hs = v->note.headings;
  v->sections.push_back({"", "", body, hs.empty() ? n : hs[0].line - 1});
  std::map<std::string, int> seen;
  for (size_t i = 0; i < hs.size(); ++i) {
    std::string line = Trimmed(v->lines[hs[i].line - 1]);
    v->sections.push_back({absl::StrCat(line, "\x1f", seen[line]++), hs[i].text, hs[i].line - 1,
                           i + 1 < hs.size() ? hs[i + 1].line - 1 : n});
  }
}

Version ReadVersion(absl::string_view path, absl::string_view bytes, bool exists) {
  Version v;
  v.exists = exists;
  v.bom = absl::StartsWith(bytes, kBom);
  v.final_newline = absl::EndsWith(bytes, "\n");
  v.lines = SplitLines(bytes);
  if (v.bom) v.lines[0].erase(0, kBom.size());
  v.crlf =
      bytes.find("\r\n") != absl::string_view::npos && bytes.find("\r\n") + 1 == bytes.find('\n');
  int line, column;
  v.structured = ValidateUtf8(bytes, &line, &column);
  if (!v.structured) return v;
  v.note = ParseNote(path, bytes);
  v.structured = v.note.fully_parsed;
  if (!v.structured) return v;
  CutFrontmatter(&v);
  CutSections(&v);
  return v;
}

// Takes the side that changed a property; theirs when neither did.
bool Merge3Flag(bool base, bool ours, bool theirs) { return ours != base ? ours : theirs; }

// The merged note's lines, with the conflict count and the messages.
class Output {
 public:
  Output(const MergeOptions& options, int first_line)
      : options_(options), first_line_(first_line) {}

  int next_line() const { return first_line_ + static_cast<int>(lines_.size()); }
  const Lines& lines() const { return lines_; }
  int conflicts() const { return conflicts_; }
  const std::vector<std::string>& messages() const { return messages_; }
  bool ends_with_marker() const { return ends_with_marker_; }

  void Add(std::string line) {
    lines_.push_back(std::move(line));
    ends_with_marker_ = false;
  }
  void AddAll(const Lines& lines) {
    for (const std::string& l : lines) Add(l);
  }
  void Message(absl::string_view kind, absl::string_view text) {
    messages_.push_back(absl::StrCat(options_.path, ":", next_line(), ": ", kind, ": ", text));
  }
  // Writes a conflict region. Lines both sides share at its edges stay outside the markers.
  void Conflict(const Lines& ours, const Lines& theirs, absl::string_view what) {
    size_t pre = 0;
    while (pre < ours.size() && pre < theirs.size() && ours[pre] == theirs[pre]) ++pre;
    size_t suf = 0;
    while (suf < ours.size() - pre && suf < theirs.size() - pre &&
           ours[ours.size() - 1 - suf] == theirs[theirs.size() - 1 - suf]) {
      ++suf;
    }
    for (size_t i = 0; i < pre; ++i) Add(ours[i]);
    Message("conflict", what);
    const int size = std::clamp(options_.marker_size, 1, 100);
    Add(absl::StrCat(std::string(size, '<'), " ", options_.ours_label));
    for (size_t i = pre; i < ours.size() - suf; ++i) Add(ours[i]);
    Add(std::string(size, '='));
    for (size_t i = pre; i < theirs.size() - suf; ++i) Add(theirs[i]);
    Add(absl::StrCat(std::string(size, '>'), " ", options_.theirs_label));
    ends_with_marker_ = suf == 0;
    for (size_t i = ours.size() - suf; i < ours.size(); ++i) Add(ours[i]);
    ++conflicts_;
  }
  void Append(const Output& other) {
    lines_.insert(lines_.end(), other.lines_.begin(), other.lines_.end());
    messages_.insert(messages_.end(), other.messages_.begin(), other.messages_.end());
    conflicts_ += other.conflicts_;
    if (!other.lines_.empty()) ends_with_marker_ = other.ends_with_marker_;
  }

 private:
  const MergeOptions& options_;
  int first_line_;
  Lines lines_;
  std::vector<std::string> messages_;
  int conflicts_ = 0;
  bool ends_with_marker_ = false;
};

std::vector<int> Tokens(Interner* interner, const Lines& lines) {
  std::vector<int> tokens;
  tokens.reserve(lines.size());
  for (const std::string& l : lines) tokens.push_back(interner->Intern(l));
  return tokens;
}

// Ordinary three-way merge of lines.
void MergeLines(const Lines& base, const Lines& ours, const Lines& theirs, absl::string_view what,
                const MergeOptions& options, Output* out) {
  Interner interner;
  std::vector<int> tb = Tokens(&interner, base), to = Tokens(&interner, ours),
                   tt = Tokens(&interner, theirs);
  for (const Chunk& c : Diff3(tb, to, tt, options.max_diff_cost)) {
    switch (c.kind) {
      case Chunk::Kind::kStable:
      case Chunk::Kind::kOurs:
      case Chunk::Kind::kSame:
        out->AddAll(Slice(ours, c.ours_begin, c.ours_end));
        break;
      case Chunk::Kind::kTheirs:
        out->AddAll(Slice(theirs, c.theirs_begin, c.theirs_end));
        break;
      case Chunk::Kind::kConflict:
        out->Conflict(Slice(ours, c.ours_begin, c.ours_end),
                      Slice(theirs, c.theirs_begin, c.theirs_end),
                      absl::StrCat(what, ": both sides changed these lines differently"));
        break;
    }
  }
}

// The order of the merged parts: a diff3 of the three key sequences, where a run changed on
// both sides lists ours' keys, then theirs', then base's (each key once). Keys that end up
// deleted are filtered later.
std::vector<std::string> MergeOrder(const std::array<const std::vector<Part>*, 3>& parts,
                                    int max_cost) {
  Interner interner;
  std::array<std::vector<int>, 3> tokens;
  for (int v = 0; v < 3; ++v) {
    for (const Part& p : *parts[v]) tokens[v].push_back(interner.Intern(p.key));
  }
  std::vector<std::string> order;
  std::set<std::string> emitted;
  auto add = [&](int v, int begin, int end) {
    for (int i = begin; i < end; ++i) {
      const std::string& key = (*parts[v])[i].key;
      if (emitted.insert(key).second) order.push_back(key);
    }
  };
  for (const Chunk& c : Diff3(tokens[kBase], tokens[kOurs], tokens[kTheirs], max_cost)) {
    if (c.kind == Chunk::Kind::kTheirs) {
      add(kTheirs, c.theirs_begin, c.theirs_end);
    } else {
      add(kOurs, c.ours_begin, c.ours_end);
      add(kTheirs, c.theirs_begin, c.theirs_end);
    }
    add(kBase, c.base_begin, c.base_end);
  }
  return order;
}

const Part* FindPart(const std::vector<Part>& parts, absl::string_view key) {
  for (const Part& p : parts) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

// Merges the parts present in some of the versions: deleted on one side and unchanged on the
// other is deleted; deleted on one side and changed on the other is a conflict; otherwise
// `merge_content` merges the part (its base is nullptr when both sides added it).
template <typename MergeContent>
void MergePart(const std::array<const Version*, 3>& v, const std::array<const Part*, 3>& p,
               absl::string_view what, Output* out, MergeContent merge_content) {
  const Part *b = p[kBase], *o = p[kOurs], *t = p[kTheirs];
  if (o != nullptr && t != nullptr) {
    merge_content(b, o, t);
  } else if (o != nullptr || t != nullptr) {
    const int side = o != nullptr ? kOurs : kTheirs;
    Lines kept = PartLines(*v[side], p[side]);
    if (b == nullptr) {
      out->AddAll(kept);  // added on one side
    } else if (kept != PartLines(*v[kBase], b)) {
      out->Conflict(side == kOurs ? kept : Lines{}, side == kOurs ? Lines{} : kept,
                    absl::StrCat(what, ": deleted on one side and changed on the other"));
    }
  }
}

// Set union of "- item" lines: base's items less those either side deleted, then ours' new
// items, then theirs'.
Lines MergeSetList(const Lines& base, const Lines& ours, const Lines& theirs) {
  auto items = [](const Lines& l) {
    std::set<std::string> s;
    for (size_t i = 1; i < l.size(); ++i) s.insert(Trimmed(l[i]));
    return s;
  };
  std::set<std::string> in_base = items(base), in_ours = items(ours), in_theirs = items(theirs);
  Lines out = {ours[0]};
  std::set<std::string> done;
  auto keep = [&](const std::string& line) {
    std::string t = Trimmed(line);
    if (t.empty() || !done.insert(t).second) return;
    out.push_back(line);
  };
  for (size_t i = 1; i < base.size(); ++i) {
    std::string t = Trimmed(base[i]);
    if (in_ours.count(t) && in_theirs.count(t)) keep(base[i]);
  }
  for (size_t i = 1; i < ours.size(); ++i) {
    if (!in_base.count(Trimmed(ours[i]))) keep(ours[i]);
  }
  for (size_t i = 1; i < theirs.size(); ++i) {
    if (!in_base.count(Trimmed(theirs[i]))) keep(theirs[i]);
  }
  return out;
}

void MergeFrontmatterKey(const std::array<const Version*, 3>& v, const Part* b, const Part* o,
                         const Part* t, Output* out) {
  Lines lb = PartLines(*v[kBase], b), lo = PartLines(*v[kOurs], o), lt = PartLines(*v[kTheirs], t);
  if (lo == lt || (b != nullptr && lt == lb)) {
    out->AddAll(lo);
  } else if (b != nullptr && lo == lb) {
    out->AddAll(lt);
  } else if (o->set_list && t->set_list && (b == nullptr || b->set_list) &&
             Trimmed(lo[0]) == Trimmed(lt[0])) {
    out->AddAll(MergeSetList(b != nullptr ? lb : Lines{lo[0]}, lo, lt));
  } else {
    out->Conflict(lo, lt,
                  o->name.empty()
                      ? std::string("frontmatter: both sides changed the lines before the keys")
                      : absl::StrCat("frontmatter key '", o->name,
                                     "' changed on both sides to different values"));
  }
}

void MergeFrontmatter(const std::array<const Version*, 3>& v, const MergeOptions& options,
                      Output* out) {
  Output keys(options, out->next_line() + 1);
  std::array<const std::vector<Part>*, 3> parts = {&v[kBase]->keys, &v[kOurs]->keys,
                                                   &v[kTheirs]->keys};
  for (const std::string& key : MergeOrder(parts, options.max_diff_cost)) {
    std::array<const Part*, 3> p;
    for (int i = 0; i < 3; ++i) p[i] = FindPart(*parts[i], key);
    const Part* any = p[kOurs] != nullptr     ? p[kOurs]
                      : p[kTheirs] != nullptr ? p[kTheirs]
                                              : p[kBase];
    std::string what = any->name.empty() ? std::string("frontmatter")
                                         : absl::StrCat("frontmatter key '", any->name, "'");
    MergePart(v, p, what, &keys, [&](const Part* b, const Part* o, const Part* t) {
      MergeFrontmatterKey(v, b, o, t, &keys);
    });
  }
  const bool present =
      Merge3Flag(v[kBase]->has_frontmatter, v[kOurs]->has_frontmatter, v[kTheirs]->has_frontmatter);
  if (!present && keys.lines().empty()) return;
  const Version& style = v[kOurs]->has_frontmatter ? *v[kOurs] : *v[kTheirs];
  out->Add(style.fm_open);
  out->Append(keys);
  out->Add(style.fm_close);
}

// ---- Fact sections ----

// A bullet with its nested items, or another block, inside a fact section.
struct Unit {
  int begin = 0, end = 0;  // line range
  Lines gap;               // blank lines before it
  int fact = -1;           // the top bullet's index in Note::facts; -1 for other blocks
  bool has_children = false;
};

struct SectionUnits {
  std::vector<Unit> units;
  Lines trail;  // blank lines after the last unit
};

bool StartsIndented(absl::string_view line) {
  return !line.empty() && (line[0] == ' ' || line[0] == '\t');
}

SectionUnits CutUnits(const Version& v, const Part* part) {
  SectionUnits su;
  if (part == nullptr) return su;
  Lines pending;
  for (const Block& b : v.note.blocks) {
    const int first = b.line_begin - 1;
    if (first <= part->begin || first >= part->end) continue;
    if (b.kind == BlockKind::kBlank) {
      for (int i = first; i < b.line_end; ++i) pending.push_back(v.lines[i]);
      continue;
    }
    const bool child = b.kind == BlockKind::kListItem ? v.note.facts[b.fact].depth > 0
                                                      : StartsIndented(v.lines[first]);
    if (child && !su.units.empty()) {
      su.units.back().end = b.line_end;
      su.units.back().has_children |= b.kind == BlockKind::kListItem;
      pending.clear();
      continue;
    }
    Unit u;
    u.begin = first;
    u.end = b.line_end;
    u.gap = std::move(pending);
    pending.clear();
    u.fact = b.kind == BlockKind::kListItem ? b.fact : -1;
    su.units.push_back(std::move(u));
  }
  su.trail = std::move(pending);
  return su;
}

std::string UnitText(const Version& v, const Unit& u) {
  return absl::StrJoin(v.lines.begin() + u.begin, v.lines.begin() + u.end, "\n");
}

// A unit of the merged section, or a conflict region.
struct Piece {
  int version = -1;
  int unit = -1;
  Lines gap;
  Lines lines;
  bool in_base = false, in_ours = false, in_theirs = false;
  bool dropped = false;
  bool conflict = false;
  Lines conflict_ours, conflict_theirs;
  std::string message;  // written at the piece's first line
};

// The sources suffix of a bullet's text and its links.
struct FactSources {
  size_t suffix_length = 0;
  bool footnote = false;
  std::vector<std::string> suffix_links;  // "[[target|alias]]" as written
  std::vector<std::string> body_links;    // wikilinks in the text before the suffix
};

std::string LinkTarget(absl::string_view link) {
  std::vector<Link> links = ExtractLinks(link, 0, 1);
  return links.empty() ? std::string(link) : links[0].target;
}

// The sources of a fact whose text as written (RawText) is `raw`.
FactSources SourcesOf(absl::string_view raw) {
  FactSources s;
  s.suffix_length = SourcesSuffixLength(raw);
  absl::string_view suffix = raw.substr(raw.size() - s.suffix_length);
  s.footnote = absl::StartsWith(suffix, " [^");
  if (s.suffix_length > 0 && !s.footnote) {
    absl::string_view inner = suffix.substr(suffix.find(": ") + 2);
    inner.remove_suffix(1);
    for (absl::string_view l : absl::StrSplit(inner, ", ")) s.suffix_links.emplace_back(l);
  }
  const absl::string_view body = raw.substr(0, raw.size() - s.suffix_length);
  for (const Link& l : ExtractLinks(body, 0, 1)) {
    if (l.kind == Link::Kind::kWikilink) {
      s.body_links.emplace_back(body.substr(l.span.begin, l.span.size()));
    }
  }
  return s;
}

class FactSectionMerger {
 public:
  FactSectionMerger(const std::array<const Version*, 3>& v, const std::array<const Part*, 3>& p,
                    const MergeOptions& options)
      : v_(v), p_(p), options_(options) {
    for (int i = 0; i < 3; ++i) {
      su_[i] = CutUnits(*v[i], p[i]);
      for (const Unit& u : su_[i].units) {
        tokens_[i].push_back(interner_.Intern(UnitText(*v[i], u)));
        count_[i][tokens_[i].back()]++;
      }
    }
    sep_ = DefaultGap();
  }

  absl::Status Merge(Output* out) {
    for (const Chunk& c :
         Diff3(tokens_[kBase], tokens_[kOurs], tokens_[kTheirs], options_.max_diff_cost)) {
      switch (c.kind) {
        case Chunk::Kind::kStable:
        case Chunk::Kind::kOurs:
        case Chunk::Kind::kSame:
          for (int i = c.ours_begin; i < c.ours_end; ++i) AddUnit(kOurs, i);
          break;
        case Chunk::Kind::kTheirs:
          for (int i = c.theirs_begin; i < c.theirs_end; ++i) AddUnit(kTheirs, i);
          break;
        case Chunk::Kind::kConflict:
          if (absl::Status s = Resolve(c); !s.ok()) return s;
          break;
      }
    }
    if (absl::Status s = CollapseDuplicates(); !s.ok()) return s;
    Render(out);
    return absl::OkStatus();
  }

 private:
  // The most common gap between ours' units (else theirs', else base's); none if no version
  // has two units.
  Lines DefaultGap() const {
    for (int i : {kOurs, kTheirs, kBase}) {
      std::map<Lines, int> counts;
      for (size_t k = 1; k < su_[i].units.size(); ++k) counts[su_[i].units[k].gap]++;
      if (counts.empty()) continue;
      auto best = std::max_element(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
        return a.second < b.second || (a.second == b.second && a.first.size() > b.first.size());
      });
      return best->first;
    }
    return {};
  }

  bool Has(int version, int token) const { return count_[version].count(token) > 0; }

  void AddUnit(int version, int index) {
    const int token = tokens_[version][index];
    // The same bullet may come from both sides' runs when it moved: write it as often as the
    // side with the most copies has it.
    int& written = written_[token];
    if (written >= std::max(Count(kOurs, token), Count(kTheirs, token))) return;
    ++written;
    const Unit& u = su_[version].units[index];
    Piece piece;
    piece.version = version;
    piece.unit = index;
    piece.lines = Slice(v_[version]->lines, u.begin, u.end);
    piece.gap = version == kOurs && index > 0 ? u.gap : sep_;
    piece.in_base = Has(kBase, token);
    piece.in_ours = Has(kOurs, token);
    piece.in_theirs = Has(kTheirs, token);
    pieces_.push_back(std::move(piece));
  }

  int Count(int version, int token) const {
    auto it = count_[version].find(token);
    return it == count_[version].end() ? 0 : it->second;
  }

  std::string Display(int version, int index) const {
    const Unit& u = su_[version].units[index];
    if (u.fact < 0) return StripMarkdown(UnitText(*v_[version], u));
    const absl::string_view raw = RawText(v_[version]->note, v_[version]->note.facts[u.fact]);
    return StripMarkdown(raw.substr(0, raw.size() - SourcesOf(raw).suffix_length));
  }

  // The unit of `side` in [begin, end) most similar to base unit `bi`, if it is similar
  // enough to be an edit of it; -1 otherwise.
  absl::StatusOr<int> EditOf(int bi, int side, int begin, int end) {
    int best = -1;
    double best_score = 0;
    for (int i = begin; i < end; ++i) {
      if (Has(kBase, tokens_[side][i])) continue;
      absl::StatusOr<dedup::PairScore> s = Score(Display(kBase, bi), Display(side, i));
      if (!s.ok()) return s.status();
      if (s->similarity >= options_.dedup.threshold && s->similarity > best_score) {
        best = i;
        best_score = s->similarity;
      }
    }
    return best;
  }

  absl::StatusOr<dedup::PairScore> Score(absl::string_view a, absl::string_view b) {
    if (normalizer_ == nullptr) {
      normalizer_ = std::make_unique<dedup::Normalizer>(options_.dedup.normalize);
    }
    return dedup::ScorePair(*normalizer_, a, b, options_.dedup);
  }

  // Both sides changed the same run of bullets. Bullets deleted on either side are deleted and
  // both sides' new bullets are kept, unless both sides edited one base bullet into texts that
  // are not duplicates of each other: then the run is a conflict.
  absl::Status Resolve(const Chunk& c) {
    // Looking for edits compares every base bullet of the run with every new one; a run too
    // large for that is merged as a union.
    const int64_t pairs = int64_t{c.base_end - c.base_begin} *
                          (c.ours_end - c.ours_begin + c.theirs_end - c.theirs_begin);
    for (int bi = c.base_begin; pairs <= kMaxEditPairs && bi < c.base_end; ++bi) {
      const int token = tokens_[kBase][bi];
      if (Has(kOurs, token) || Has(kTheirs, token)) continue;
      absl::StatusOr<int> eo = EditOf(bi, kOurs, c.ours_begin, c.ours_end);
      if (!eo.ok()) return eo.status();
      absl::StatusOr<int> et = EditOf(bi, kTheirs, c.theirs_begin, c.theirs_end);
      if (!et.ok()) return et.status();
      if (*eo < 0 || *et < 0 || tokens_[kOurs][*eo] == tokens_[kTheirs][*et]) continue;
      absl::StatusOr<dedup::PairScore> s = Score(Display(kOurs, *eo), Display(kTheirs, *et));
      if (!s.ok()) return s.status();
      if (s->IsDuplicate(options_.dedup)) continue;
      Piece piece;
      piece.conflict = true;
      piece.gap = sep_;
      piece.conflict_ours = Slice(v_[kOurs]->lines, RunBegin(kOurs, c.ours_begin, c.ours_end),
                                  RunEnd(kOurs, c.ours_begin, c.ours_end));
      piece.conflict_theirs =
          Slice(v_[kTheirs]->lines, RunBegin(kTheirs, c.theirs_begin, c.theirs_end),
                RunEnd(kTheirs, c.theirs_begin, c.theirs_end));
      piece.message = absl::StrCat("section '", p_[kOurs]->name,
                                   "': a bullet was edited on both sides into different facts");
      pieces_.push_back(std::move(piece));
      return absl::OkStatus();
    }
    // What each side keeps of the run: its new bullets and the base bullets the other side
    // kept too. Interleaved along their common subsequence, so an order both sides agree on
    // stays; elsewhere ours' bullets come before theirs'.
    std::vector<int> kept_ours = KeptInRun(kOurs, kTheirs, c.ours_begin, c.ours_end);
    std::vector<int> kept_theirs = KeptInRun(kTheirs, kOurs, c.theirs_begin, c.theirs_end);
    std::vector<int> to, tt;
    for (int i : kept_ours) to.push_back(tokens_[kOurs][i]);
    for (int i : kept_theirs) tt.push_back(tokens_[kTheirs][i]);
    size_t o = 0, t = 0;
    for (auto [mo, mt] : internal::LcsMatches(to, tt, options_.max_diff_cost)) {
      for (; o < static_cast<size_t>(mo); ++o) AddUnit(kOurs, kept_ours[o]);
      for (; t < static_cast<size_t>(mt); ++t) AddUnit(kTheirs, kept_theirs[t]);
      AddUnit(kOurs, kept_ours[o++]);
      ++t;
    }
    for (; o < kept_ours.size(); ++o) AddUnit(kOurs, kept_ours[o]);
    for (; t < kept_theirs.size(); ++t) AddUnit(kTheirs, kept_theirs[t]);
    return absl::OkStatus();
  }

  // Units of `side` in [begin, end) that stay: new ones and base ones `other` has too.
  std::vector<int> KeptInRun(int side, int other, int begin, int end) const {
    std::vector<int> kept;
    for (int i = begin; i < end; ++i) {
      const int token = tokens_[side][i];
      if (!Has(kBase, token) || Has(other, token)) kept.push_back(i);
    }
    return kept;
  }

  int RunBegin(int side, int begin, int end) const {
    return begin < end ? su_[side].units[begin].begin : 0;
  }
  int RunEnd(int side, int begin, int end) const {
    return begin < end ? su_[side].units[end - 1].end : 0;
  }

  // A piece whose bullet may be collapsed with the other side's duplicates: added by exactly
  // one side, a plain bullet without nested items, not marked ignored.
  bool Eligible(const Piece& p) const {
    if (p.conflict || p.dropped || p.in_base || p.in_ours == p.in_theirs) return false;
    const Unit& u = su_[p.version].units[p.unit];
    if (u.fact < 0 || u.has_children) return false;
    return !v_[p.version]->note.facts[u.fact].ignored;
  }

  const Fact& FactOf(const Piece& p) const {
    return v_[p.version]->note.facts[su_[p.version].units[p.unit].fact];
  }
  absl::string_view RawOf(const Piece& p) const { return RawText(v_[p.version]->note, FactOf(p)); }

  // Additions of the two sides that the dedup engine finds to be duplicates land once: the
  // canonical's text at the first variant's place, with the variants' source links.
  absl::Status CollapseDuplicates() {
    std::vector<dedup::Item> items;
    std::vector<int> piece_of;
    bool ours = false, theirs = false;
    for (size_t i = 0; i < pieces_.size(); ++i) {
      const Piece& p = pieces_[i];
      if (p.conflict || su_[p.version].units[p.unit].fact < 0) continue;
      ours |= Eligible(p) && p.in_ours;
      theirs |= Eligible(p) && p.in_theirs;
      items.push_back({Display(p.version, p.unit), absl::StrFormat("%08d", i)});
      piece_of.push_back(static_cast<int>(i));
    }
    if (!ours || !theirs) return absl::OkStatus();
    dedup::DedupOptions dopt = options_.dedup;
    dopt.threads = 1;
    absl::StatusOr<dedup::DedupResult> r = dedup::Deduplicate(items, dopt);
    if (!r.ok()) return r.status();
    for (const dedup::Cluster& c : r->clusters) {
      std::vector<int> members;  // eligible pieces, canonical first
      bool has_ours = false, has_theirs = false;
      for (const dedup::Member& m : c.members) {
        const Piece& p = pieces_[piece_of[m.item]];
        if (!Eligible(p)) continue;
        members.push_back(piece_of[m.item]);
        (p.in_ours ? has_ours : has_theirs) = true;
      }
      if (has_ours && has_theirs) Collapse(members);
    }
    return absl::OkStatus();
  }

  void Collapse(const std::vector<int>& members) {
    const int keep = members[0];
    std::vector<FactSources> sources;
    for (int m : members) {
      sources.push_back(SourcesOf(RawOf(pieces_[m])));
      if (sources.back().footnote) return;  // footnote sources cannot be merged into one list
    }
    std::vector<std::string> links = sources[0].suffix_links;
    std::set<std::string> targets;
    for (const std::string& l : sources[0].body_links) targets.insert(LinkTarget(l));
    for (const std::string& l : links) targets.insert(LinkTarget(l));
    for (size_t k = 1; k < members.size(); ++k) {
      for (const auto* list : {&sources[k].suffix_links, &sources[k].body_links}) {
        for (const std::string& l : *list) {
          if (targets.insert(LinkTarget(l)).second) links.push_back(l);
        }
      }
    }
    Piece kept = pieces_[keep];
    if (links != sources[0].suffix_links) {
      std::string& last = kept.lines.back();
      last.resize(last.size() - sources[0].suffix_length);
      absl::StrAppend(&last, " (sources: ", absl::StrJoin(links, ", "), ")");
    }
    const int first = *std::min_element(members.begin(), members.end());
    kept.gap = pieces_[first].gap;
    kept.message = absl::StrCat("section '", p_[kOurs]->name, "': ", members.size(),
                                " duplicate bullets added on the two sides landed once");
    for (int m : members) pieces_[m].dropped = true;
    pieces_[first] = std::move(kept);
  }

  void Render(Output* out) const {
    // The heading line: theirs' when only theirs changed it.
    const Lines hb = p_[kBase] != nullptr ? Lines{v_[kBase]->lines[p_[kBase]->begin]} : Lines{};
    const std::string& ho = v_[kOurs]->lines[p_[kOurs]->begin];
    const std::string& ht = v_[kTheirs]->lines[p_[kTheirs]->begin];
    out->Add(!hb.empty() && hb[0] == ho ? ht : ho);
    const SectionUnits& layout = !su_[kOurs].units.empty() ? su_[kOurs] : su_[kTheirs];
    bool first = true;
    for (const Piece& p : pieces_) {
      if (p.dropped) continue;
      if (first && !layout.units.empty()) {
        out->AddAll(layout.units[0].gap);
      } else if (!first) {
        out->AddAll(p.gap);
      }
      first = false;
      if (p.conflict) {
        out->Conflict(p.conflict_ours, p.conflict_theirs, p.message);
        continue;
      }
      if (!p.message.empty()) out->Message("merged", p.message);
      out->AddAll(p.lines);
    }
    out->AddAll(!su_[kOurs].units.empty() || su_[kTheirs].units.empty() ? su_[kOurs].trail
                                                                        : su_[kTheirs].trail);
  }

  const std::array<const Version*, 3>& v_;
  const std::array<const Part*, 3>& p_;
  const MergeOptions& options_;
  Interner interner_;
  std::array<SectionUnits, 3> su_;
  std::array<std::vector<int>, 3> tokens_;
  std::array<std::map<int, int>, 3> count_;  // token -> copies in the section
  std::map<int, int> written_;
  Lines sep_;
  std::vector<Piece> pieces_;
  std::unique_ptr<dedup::Normalizer> normalizer_;  // made on first use
};

absl::Status MergeBody(const std::array<const Version*, 3>& v, const MergeOptions& options,
                       Output* out) {
  std::array<const std::vector<Part>*, 3> parts = {&v[kBase]->sections, &v[kOurs]->sections,
                                                   &v[kTheirs]->sections};
  absl::Status status;
  for (const std::string& key : MergeOrder(parts, options.max_diff_cost)) {
    std::array<const Part*, 3> p;
    for (int i = 0; i < 3; ++i) p[i] = FindPart(*parts[i], key);
    const Part* any = p[kOurs] != nullptr     ? p[kOurs]
                      : p[kTheirs] != nullptr ? p[kTheirs]
                                              : p[kBase];
    const std::string what = key.empty() ? std::string("text before the first heading")
                                         : absl::StrCat("section '", any->name, "'");
    MergePart(v, p, what, out, [&](const Part* b, const Part* o, const Part* t) {
      if (key.empty() || !IsFactSection(options.vault, o->name)) {
        MergeLines(PartLines(*v[kBase], b), PartLines(*v[kOurs], o), PartLines(*v[kTheirs], t),
                   what, options, out);
        return;
      }
      std::array<const Part*, 3> parts3 = {b, o, t};
      FactSectionMerger merger(v, parts3, options);
      if (absl::Status s = merger.Merge(out); !s.ok() && status.ok()) status = s;
    });
  }
  return status;
}

std::string Join(const Output& out, bool bom, bool crlf, bool final_newline) {
  std::string text = bom ? std::string(kBom) : "";
  const char* eol = crlf ? "\r\n" : "\n";
  absl::StrAppend(&text, absl::StrJoin(out.lines(), eol));
  if (!out.lines().empty() && (final_newline || out.ends_with_marker())) {
    absl::StrAppend(&text, eol);
  }
  return text;
}

}  // namespace

absl::StatusOr<MergeResult> MergeNote(absl::string_view base, absl::string_view ours,
                                      absl::string_view theirs, const MergeOptions& options) {
  MergeResult result;
  if (ours == theirs || base == theirs) {
    result.text = std::string(ours);
    return result;
  }
  if (base == ours) {
    result.text = std::string(theirs);
    return result;
  }
  const Version vb = ReadVersion(options.path, base, !base.empty());
  const Version vo = ReadVersion(options.path, ours, true);
  const Version vt = ReadVersion(options.path, theirs, true);
  const std::array<const Version*, 3> v = {&vb, &vo, &vt};
  Output out(options, 1);
  if (vb.structured && vo.structured && vt.structured) {
    MergeFrontmatter(v, options, &out);
    if (absl::Status s = MergeBody(v, options, &out); !s.ok()) return s;
  } else {
    out.Message("note",
                "not a well-formed note on every side (invalid UTF-8 or frontmatter); "
                "merged line by line");
    MergeLines(vb.lines, vo.lines, vt.lines, "note", options, &out);
  }
  // An empty side has no last line, so no say on the final newline (the merge fuzzer found
  // merge(base, "", x) differing from x's own merge otherwise).
  auto final_newline = [&](const Version& x) {
    return x.lines.empty() ? vb.final_newline : x.final_newline;
  };
  result.text = Join(out, Merge3Flag(vb.bom, vo.bom, vt.bom), Merge3Flag(vb.crlf, vo.crlf, vt.crlf),
                     Merge3Flag(vb.final_newline, final_newline(vo), final_newline(vt)));
  result.conflicts = out.conflicts();
  result.messages = out.messages();
  return result;
}

}  // namespace factdedup::provenance
