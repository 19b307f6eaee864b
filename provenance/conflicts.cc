// How conflicts are found (the contract is in conflicts.h; the rules in docs/conflicts.md).
//
// Facts (the scan's compared facts) get claim slots: date intervals in months (own parser, so
// that ranges "May to June 2026" and bare months resolved against the note's date work),
// amounts from dedup::Normalizer's canonical tokens (money, percentages, quantities with
// units, plain numbers) with a qualifier, clauses with a polarity marker, and content tokens.
// Candidate pairs come from an inverted index over content tokens; value and polarity
// conflicts found on pairs are joined into connected groups. Names and acronyms are read from
// every line of every note (frontmatter values, paragraphs and wikilinks included).
#include "provenance/conflicts.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/types/span.h"
#include "dedup/hash.h"
#include "dedup/normalize.h"
#include "provenance/internal/capitalized_words.h"
#include "provenance/internal/claim_slots.h"
#include "provenance/internal/word_memo.h"
#include "provenance/sources.h"

namespace factdedup::provenance {
namespace {

using internal::AmountsDisagree;
using internal::Clause;
using internal::ClausesOppose;
using internal::DateHit;
using internal::DatesDisagree;
using internal::DayString;
using internal::DayToMonthIndex;
using internal::ExtractDates;
using internal::ExtractSlots;
using internal::IsDigit;
using internal::IsLower;
using internal::IsMilestoneRole;
using internal::IsMonthOrDayWord;
using internal::IsUpper;
using internal::kMarkup;
using internal::PairSlots;
using internal::ParseIsoDate;
using internal::Polarity;
using internal::RawScan;
using internal::ReadsAsWritten;
using internal::ScanAllCapitalizedWords;
using internal::ScanCapitalizedWords;
using internal::Slots;
using internal::Unquote;
using internal::Update;
using internal::Word;
using internal::Words;

// The note's own date: frontmatter date, else last_contact, else created. yyyymmdd or 0.
int NoteDay(const Note& note) {
  for (const char* key : {"date", "last_contact", "created"}) {
    if (const FrontmatterKey* k = note.frontmatter.Find(key)) {
      int day = 0;
      if (ParseIsoDate(k->value, &day) > 0) return day;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// Union-find for grouping pairwise findings.

struct Dsu {
  std::vector<int> p;
  explicit Dsu(int n) : p(n) { std::iota(p.begin(), p.end(), 0); }
  int Find(int x) { return p[x] == x ? x : p[x] = Find(p[x]); }
  void Union(int a, int b) { p[Find(a)] = Find(b); }
};

struct PairFinding {
  int a = 0, b = 0;  // item indexes
  std::string va, vb;
};

// ---------------------------------------------------------------------------------------
// Names and acronyms, read from every line.

struct LineText {
  int note = 0;
  int line = 0;
  // Display text of the line (frontmatter: the value part): in the note's content when the
  // line reads as written (most do), else in the owner's LineTexts::owned.
  absl::string_view text;
};

// Strings that never move once added (views of them stay valid, a move of the whole keeps
// them), in blocks allocated when a string is added: an empty one allocates nothing (a deque
// allocates two blocks when made, and the focused line pass makes one per note).
class StableStrings {
 public:
  // Adds `s`; the reference stays valid as long as this (or what it is moved to).
  const std::string& Add(std::string s) {
    if (blocks_.empty() || used_ == kBlock) {
      blocks_.push_back(std::make_unique<std::string[]>(kBlock));
      used_ = 0;
    }
    std::string& at = blocks_.back()[used_++];
    at = std::move(s);
    return at;
  }
  bool empty() const { return blocks_.empty(); }

 private:
  static constexpr size_t kBlock = 16;
  std::vector<std::unique_ptr<std::string[]>> blocks_;
  size_t used_ = 0;
};

// Lines and the texts they own.
struct LineTexts {
  std::vector<LineText> lines;
  StableStrings owned;
};

bool HasMarkup(absl::string_view raw) {
  bool markup = false;
  for (char c : raw) markup |= kMarkup[static_cast<unsigned char>(c)];
  return markup;
}

// Unquote, as a view of `v`.
absl::string_view UnquoteView(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return v;
}

// Adds line `line` of note `ni` to `out` with text `text` (a view of the note or of a string
// of out->owned), unless it is empty.
void AddLine(int ni, int line, absl::string_view text, LineTexts* out) {
  if (!text.empty()) out->lines.push_back({ni, line, text});
}

// Whether a line without markup reads as written: ReadsAsWritten without the markup test.
bool SpacedAsWritten(absl::string_view raw) {
  if (raw.empty()) return true;
  if (raw.front() == ' ' || raw.back() == ' ') return false;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c <= ' ' && (c == '\t' || c == '\n' || c == '\r' || (c == ' ' && raw[i + 1] == ' '))) {
      return false;  // raw.back() is not ' '
    }
  }
  return true;
}

// Adds line `line` of note `ni` to `out`: its text is StripMarkdown(raw). `markup_free`: the
// caller knows `raw` has no byte of kMarkup.
void AddBodyLine(int ni, int line, absl::string_view raw, LineTexts* out,
                 bool markup_free = false) {
  if (markup_free ? SpacedAsWritten(raw) : ReadsAsWritten(raw)) {
    AddLine(ni, line, raw, out);
  } else {
    AddLine(ni, line, out->owned.Add(StripMarkdown(raw)), out);
  }
}

// Calls emit(line, raw, frontmatter) for each line of `note` that NoteLines reads (code blocks,
// frontmatter delimiters and keys that are not prose are skipped): `raw` is the line as written
// (without "\r"), `frontmatter` its value part (unquoted, a view of `raw`) in the frontmatter,
// else null. The line's text is *frontmatter, or StripMarkdown(raw) in the body.
template <typename Emit>
void ReadNoteLines(const Note& note, Emit emit) {
  int fm_end = 0;
  if (note.frontmatter.present) {
    for (const Block& b : note.blocks) {
      if (b.kind == BlockKind::kFrontmatter) fm_end = b.line_end;
    }
  }
  // The code blocks' lines as disjoint ranges in line order, passed once.
  std::vector<std::pair<int, int>> code;
  for (const Block& b : note.blocks) {
    if (b.kind == BlockKind::kCode && b.line_begin <= b.line_end) {
      code.push_back({b.line_begin, b.line_end});
    }
  }
  std::sort(code.begin(), code.end());
  size_t merged = 0;
  for (const auto& [b, e] : code) {
    if (merged > 0 && b <= code[merged - 1].second + 1) {
      code[merged - 1].second = std::max(code[merged - 1].second, e);
    } else {
      code[merged++] = {b, e};
    }
  }
  code.resize(merged);
  size_t next_code = 0;
  const absl::string_view content = note.content;
  int line = 0;
  // The pieces of absl::StrSplit(content, '\n'), found with memchr.
  for (size_t begin = 0, end; begin <= content.size(); begin = end + 1) {
    const void* nl = std::memchr(content.data() + begin, '\n', content.size() - begin);
    end = nl == nullptr ? content.size() : static_cast<const char*>(nl) - content.data();
    ++line;
    while (next_code < code.size() && code[next_code].second < line) ++next_code;
    if (next_code < code.size() && code[next_code].first <= line) continue;  // in code
    absl::string_view raw = absl::StripSuffix(content.substr(begin, end - begin), "\r");
    if (line <= fm_end) {
      absl::string_view v = absl::StripLeadingAsciiWhitespace(raw);
      if (v == "---") continue;
      if (absl::StartsWith(v, "- ")) {
        v.remove_prefix(2);
      } else {
        size_t colon = v.find(':');
        if (colon == absl::string_view::npos) continue;
        std::string key(v.substr(0, colon));
        // Paths and tags are not prose.
        if (key == "source_ref" || key == "tags" || key == "aliases_path") continue;
        v.remove_prefix(colon + 1);
      }
      const absl::string_view text = UnquoteView(v);
      emit(line, raw, &text);
    } else {
      emit(line, raw, nullptr);
    }
  }
}

// The lines of one note (`ni`) that NoteLines reads.
void LinesOfNote(const Vault& vault, int ni, LineTexts* out) {
  ReadNoteLines(vault.notes[ni], [&](int line, absl::string_view raw, const absl::string_view* fm) {
    if (fm != nullptr) {
      AddLine(ni, line, *fm, out);
    } else {
      AddBodyLine(ni, line, raw, out);
    }
  });
}

// Lines of notes, each note's in a LineTexts of its own, joined in note order (the strings
// they own stay where they are).
struct VaultLines {
  std::vector<LineText> lines;
  std::vector<StableStrings> owned;
  size_t notes_read = 0;  // notes whose lines were read (FocusLines; LineConflicts::notes_read)
};

VaultLines JoinLines(std::vector<LineTexts> per_note) {
  VaultLines out;
  size_t total = 0;
  for (const LineTexts& v : per_note) total += v.lines.size();
  out.lines.reserve(total);
  out.owned.resize(per_note.size());
  for (size_t i = 0; i < per_note.size(); ++i) {
    out.lines.insert(out.lines.end(), per_note[i].lines.begin(), per_note[i].lines.end());
    out.owned[i] = std::move(per_note[i].owned);  // moves the blocks, not their strings
  }
  return out;
}

// ParallelChunks' chunks: [k * kChunk, (k + 1) * kChunk) clipped to n, for every k.
constexpr int kChunk = 256;
template <typename Fn>
void ParallelChunks(int threads, int n, Fn fn);

// Every line of the vault that names and acronyms are read from, in note and line order.
VaultLines NoteLines(const Vault& vault, int threads) {
  const int notes = static_cast<int>(vault.notes.size());
  std::vector<LineTexts> per_note(notes);
  ParallelChunks(threads, notes, [&](int b, int e) {
    for (int ni = b; ni < e; ++ni) LinesOfNote(vault, ni, &per_note[ni]);
  });
  return JoinLines(std::move(per_note));
}

bool IsVowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

// A consonant skeleton: "Stephenson" / "Stefanson" -> "stfnsn", "Manish" / "Maneesh" -> "mnsh",
// "Aung" / "Ong" -> "ng".
std::string Skeleton(absl::string_view folded) {
  std::string s(folded);
  std::string t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == 'p' && i + 1 < s.size() && s[i + 1] == 'h') {
      t += 'f';
      ++i;
    } else if (s[i] == 'c' && i + 1 < s.size() && s[i + 1] == 'k') {
      t += 'k';
      ++i;
    } else if (s[i] == 'c' || s[i] == 'q') {
      t += 'k';
    } else if (s[i] == 'z') {
      t += 's';
    } else {
      t += s[i];
    }
  }
  // Consonants in order; a doubled letter counts once ("Rossi" -> "rs", but "Rossys" ->
  // "rss"); 'y' before a vowel is a consonant ("Satya" -> "sty", not "st" like "Sato").
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    const bool consonant_y = c == 'y' && i + 1 < t.size() && IsVowel(t[i + 1]) && t[i + 1] != 'y';
    if ((IsVowel(c) && !consonant_y) || !IsLower(c)) continue;
    if (i > 0 && t[i - 1] == c) continue;
    out += c;
  }
  return out;
}

int EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// IsMonthOrDayWord in any case ("March", "FRIDAY"), without allocating. It holds for every
// word MonthOf takes (a month's name, three-letter abbreviation or "Sept", in any case after a
// capital: all month-or-day words; claim_slots_test checks it), so the name stages, which skip
// capitalized words that are either, ask only this.
bool IsMonthOrDayName(absl::string_view w) {
  constexpr size_t kLongest = 9;  // "september", "wednesday"
  if (w.empty() || w.size() > kLongest) return false;
  // Most words are told apart by their initial and size (IsMonthOrDayWord's first test).
  const char initial = absl::ascii_tolower(w[0]);
  if (initial < 'a' || initial > 'z' ||
      !(internal::kMonthOrDayLengths[initial - 'a'] >> w.size() & 1)) {
    return false;
  }
  char lower[kLongest];
  for (size_t i = 0; i < w.size(); ++i) lower[i] = absl::ascii_tolower(w[i]);
  return IsMonthOrDayWord(absl::string_view(lower, w.size()));
}

struct NameMention {
  int line_index = 0;      // into the LineText vector
  absl::string_view word;  // as written (in the line's text)
  absl::string_view full;  // the capitalized run containing it, as written
};

// Capitalized words (at least one lowercase letter after the first) and their runs.
std::vector<NameMention> NameMentions(absl::string_view text, int line_index) {
  std::vector<NameMention> out;
  std::vector<Word> w = Words(text);
  auto is_cap = [](absl::string_view t) {
    if (t.size() < 3 || !IsUpper(t[0])) return false;
    for (char c : t) {
      if (IsDigit(c)) return false;
    }
    for (size_t i = 1; i < t.size(); ++i) {
      if (IsUpper(t[i])) return false;  // "VoC", "PoC", "CoreWeave": not person names
    }
    return true;
  };
  size_t i = 0;
  while (i < w.size()) {
    if (!is_cap(w[i].text)) {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < w.size() && is_cap(w[j].text) && w[j].begin == w[j - 1].end + 1 &&
           text[w[j - 1].end] == ' ') {
      ++j;
    }
    const absl::string_view full = text.substr(w[i].begin, w[j - 1].end - w[i].begin);
    for (size_t k = i; k < j; ++k) {
      if (IsMonthOrDayName(w[k].text)) continue;  // (MonthOf's words too: see IsMonthOrDayName)
      out.push_back({line_index, w[k].text, full});
    }
    i = j;
  }
  return out;
}

struct Acronym {
  int line_index = 0;
  std::string acronym;
  std::string expansion;  // as written
  std::string written;    // "Expansion (ACR)"
};

std::vector<Acronym> AcronymDefinitions(absl::string_view text, int line_index) {
  std::vector<Acronym> out;
  std::vector<Word> w = Words(text);
  for (size_t i = 0; i < w.size(); ++i) {
    absl::string_view acr = w[i].text;
    if (w[i].begin == 0 || text[w[i].begin - 1] != '(' || w[i].end >= text.size() ||
        text[w[i].end] != ')') {
      continue;
    }
    int upper = 0;
    for (char c : acr) upper += IsUpper(c);
    if (acr.size() < 2 || acr.size() > 8 || upper < 2 || !IsUpper(acr[0])) continue;
    // Capitalized words (and "of", "and", "for", "&") right before " (".
    std::vector<size_t> run;
    for (size_t k = i; k-- > 0;) {
      absl::string_view t = w[k].text;
      size_t gap_end = k + 1 < i ? w[k + 1].begin : w[i].begin - 1;
      absl::string_view gap = text.substr(w[k].end, gap_end - w[k].end);
      if (gap != " " && gap != "-") break;
      bool cap = IsUpper(t[0]) || IsDigit(t[0]);
      if (!cap && t != "of" && t != "and" && t != "for") break;
      run.insert(run.begin(), k);
    }
    while (!run.empty() && !IsUpper(w[run.front()].text[0])) run.erase(run.begin());
    // Start at the leftmost word with the acronym's initial among the last len+2 words.
    size_t first = run.size() > acr.size() + 2 ? run.size() - acr.size() - 2 : 0;
    int start = -1;
    for (size_t k = first; k < run.size(); ++k) {
      if (absl::ascii_tolower(w[run[k]].text[0]) == absl::ascii_tolower(acr[0])) {
        start = static_cast<int>(k);
        break;
      }
    }
    if (start < 0) continue;
    size_t b = w[run[start]].begin, e = w[run.back()].end;
    std::string exp(text.substr(b, e - b));
    // The acronym's letters must appear in order in the expansion.
    std::string le = absl::AsciiStrToLower(exp), la = absl::AsciiStrToLower(acr);
    size_t p = 0;
    for (char c : le) {
      if (p < la.size() && c == la[p]) ++p;
    }
    if (p < la.size() || absl::AsciiStrToLower(exp) == la) continue;
    out.push_back(
        {line_index, std::string(acr), exp, std::string(text.substr(b, w[i].end + 1 - b))});
  }
  return out;
}

std::string FoldKey(absl::string_view s) {
  std::string out;
  for (char c : s) {
    if (IsUpper(c) || IsLower(c) || IsDigit(c) || static_cast<unsigned char>(c) >= 0x80) {
      out += absl::ascii_tolower(c);
    }
  }
  return out;
}

std::string Loc(const ConflictFact& f) { return absl::StrCat(f.path, ":", f.line); }

// ---------------------------------------------------------------------------------------
// The driver, stage by stage.

// Calls fn(begin, end) on the chunks of [0, n) (kChunk items each) from `threads` threads
// (0: one per core; never more than there are chunks); results are written by index, so they
// never depend on scheduling.
template <typename Fn>
void ParallelChunks(int threads, int n, Fn fn) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::max(1, std::min(threads, n / kChunk + 1));
  std::atomic<int> next{0};
  auto work = [&] {
    for (int b = next.fetch_add(kChunk); b < n; b = next.fetch_add(kChunk)) {
      fn(b, std::min(n, b + kChunk));
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

// Per compared fact, its slots once extracted: every fact's in one array (a full pass, which
// extracts them all), or only those extracted, by fact (a focused pass extracts a few hundred of
// a vault's facts: an array of every fact's would cost more to build and free than they do).
// References stay valid while the store lives (a sparse store's slots are nodes).
class SlotStore {
 public:
  // Empties the store, for `n` facts.
  void Reset(int n, bool dense) {
    dense_.clear();
    sparse_.clear();
    is_dense_ = dense;
    if (dense) dense_.resize(n);
  }
  // Fact i's slots, created empty if it has none yet. Creating them is not thread-safe in a
  // sparse store; reading and writing slots created before is (for distinct facts).
  PairSlots& operator[](int i) { return is_dense_ ? dense_[i] : sparse_[i]; }
  // Fact i's slots; empty ones when it has none.
  const PairSlots& Get(int i) const {
    if (is_dense_) return dense_[i];
    auto it = sparse_.find(i);
    return it == sparse_.end() ? Empty() : it->second;
  }
  // Frees every fact's slots (a dense store's on `threads` threads).
  template <typename Parallel>
  void Free(Parallel parallel) {
    if (is_dense_) {
      parallel(static_cast<int>(dense_.size()), [&](int first, int last) {
        for (int i = first; i < last; ++i) dense_[i] = PairSlots();
      });
    }
    sparse_.clear();
  }

 private:
  static const PairSlots& Empty() {
    static const PairSlots* empty = new PairSlots();
    return *empty;
  }
  bool is_dense_ = true;
  std::vector<PairSlots> dense_;
  absl::node_hash_map<int, PairSlots> sparse_;
};

// What the fact-level stages share: the facts' claims and clusters.
//
// A full pass extracts every fact's slots up front (in parallel). A focused pass reads each
// fact's ClaimSummary from the previous run's cache when it can and extracts slots only when
// it first examines a pair of the fact (SlotsOf; single-threaded there).
struct FactContext {
  const Vault& vault;
  const ScanResult& scan;
  const ConflictOptions& options;
  std::vector<int> note_day;  // per note, yyyymmdd or 0
  std::vector<int> cluster_of;
  std::vector<std::shared_ptr<const ClaimSummary>> claim;  // per compared fact
  // A focused pass reading a loaded cache by place (BuildContext): a fact whose `claim` is
  // null has its summary at place cached_at[i] of `cached`.
  const ClaimCache* cached = nullptr;
  std::vector<uint32_t> cached_at;
  mutable SlotStore slots;  // per compared fact, when extracted (has_slots)
  mutable std::vector<char> has_slots;
  mutable absl::Status error;  // the first failed extraction in SlotsOf (as the full pass fails)

  int size() const { return static_cast<int>(claim.size()); }
  const ClaimSummary& Claim(int i) const {
    return claim[i] != nullptr ? *claim[i] : cached->SummaryAt(cached_at[i]);
  }
  // The fact's slots, extracted on first use. A fact too long to be a claim has none.
  const PairSlots& SlotsOf(int i) const {
    if (!has_slots[i]) {
      has_slots[i] = 1;
      const absl::string_view display = scan.display(vault, i);
      if (display.size() <= kMaxClaimBytes) {
        static const dedup::Normalizer* normalizer = new dedup::Normalizer();
        dedup::NormalizedText scratch;
        absl::StatusOr<Slots> s =
            ExtractSlots(*normalizer, display, note_day[scan.facts[i].note],
                         options.normalized ? options.normalized(i, &scratch) : nullptr);
        if (s.ok()) {
          PairSlots& into = slots[i];
          into = static_cast<PairSlots&&>(*std::move(s));  // the summary (claim[i]) has the rest
        } else if (error.ok()) {
          error = s.status();
        }
      }
    }
    return slots.Get(i);
  }

  ConflictFact Entry(int item, const std::string& value) const {
    const Fact& f = scan.fact(vault, item);
    return ConflictFact{scan.note(vault, item).path, f.line, std::string(scan.display(vault, item)),
                        value, ""};
  }

  // A "fact" longer than this is a pasted blob, not one claim: it keeps no slots, so it takes
  // part in no conflict (it is still deduplicated), and a hostile 16 MB line costs no more
  // here than a short one.
  static constexpr size_t kMaxClaimBytes = 64 * 1024;
};

// The summary of `s`, taking its content and names (read through FactContext::Claim after
// this, so that they are held once).
std::shared_ptr<const ClaimSummary> Summarize(Slots& s) {
  auto c = std::make_shared<ClaimSummary>();
  c->content = std::move(s.content);
  c->names = std::move(s.names);
  s.content.clear();
  s.names.clear();
  c->dates = !s.dates.empty();
  c->amounts = !s.amounts.empty();
  for (const Clause& cl : s.clauses) c->polar |= cl.polarity != Polarity::kNone;
  return c;
}

// Fills `ctx`. Full pass (`focus` null): every fact's slots. Focused: summaries from
// `previous` where it has them, slots for the others and for the focus facts. A focused pass
// that fills no `next` reads a loaded `previous` by place (ctx->cached): a summary is decoded
// only when the pass reads more of it than its tokens (FocusTokens reads those in place).
absl::Status BuildContext(FactContext* ctx, const std::vector<char>* focus,
                          const ClaimCache* previous, ClaimCache* next) {
  const Vault& vault = ctx->vault;
  const int n = static_cast<int>(ctx->scan.facts.size());
  ctx->note_day.resize(vault.notes.size());
  for (size_t i = 0; i < vault.notes.size(); ++i) ctx->note_day[i] = NoteDay(vault.notes[i]);
  std::vector<uint64_t> key(n);  // per compared fact: ClaimKey (freed when this returns)
  ctx->claim.resize(n);
  ctx->slots.Reset(n, /*dense=*/focus == nullptr);
  ctx->has_slots.assign(n, 0);
  static const std::shared_ptr<const ClaimSummary> kNone = std::make_shared<ClaimSummary>();
  // Keys (a hash of every fact's text) and cached claims on the pass's threads; the facts
  // to extract listed after, in order.
  std::vector<char> to_extract(n, 0);
  const bool by_place =
      focus != nullptr && previous != nullptr && next == nullptr && previous->section() != nullptr;
  if (by_place) {
    ctx->cached = previous;
    ctx->cached_at.resize(n);
  }
  ParallelChunks(ctx->options.threads, n, [&](int first, int last) {
    for (int i = first; i < last; ++i) {
      const absl::string_view display = ctx->scan.display(vault, i);
      if (display.size() > FactContext::kMaxClaimBytes) {
        ctx->claim[i] = kNone;
        ctx->has_slots[i] = 1;  // none
        continue;
      }
      key[i] = ClaimKey(display, ctx->note_day[ctx->scan.facts[i].note]);
      if (by_place && !(*focus)[i]) {
        if (const ptrdiff_t at = previous->Place(key[i]); at >= 0) {
          ctx->cached_at[i] = static_cast<uint32_t>(at);  // claim[i] stays null
          continue;
        }
      } else if (focus != nullptr && previous != nullptr && !(*focus)[i]) {
        if (ClaimCache::Summary c = previous->Find(key[i])) {
          ctx->claim[i] = std::move(c);
          continue;
        }
      }
      to_extract[i] = 1;
    }
  });
  std::vector<int> extract;
  for (int i = 0; i < n; ++i) {
    if (to_extract[i]) extract.push_back(i);
  }
  for (int i : extract) ctx->slots[i];  // a sparse store's entries, made before the threads
  std::vector<absl::Status> errors(extract.size());
  dedup::Normalizer normalizer;
  const auto& given = ctx->options.normalized;
  ParallelChunks(ctx->options.threads, static_cast<int>(extract.size()), [&](int b, int e) {
    dedup::NormalizedText scratch;
    for (int k = b; k < e; ++k) {
      const int i = extract[k];
      // A full pass keeps no clauses of facts without a stated state
      // (RestorePlainClauses extracts those it reads again).
      absl::StatusOr<Slots> s = ExtractSlots(
          normalizer, ctx->scan.display(vault, i), ctx->note_day[ctx->scan.facts[i].note],
          given ? given(i, &scratch) : nullptr, /*plain_clauses=*/focus != nullptr);
      if (!s.ok()) {
        errors[k] = s.status();
        continue;
      }
      ctx->claim[i] = Summarize(*s);
      PairSlots& into = ctx->slots[i];
      into = static_cast<PairSlots&&>(*std::move(s));
      ctx->has_slots[i] = 1;
    }
  });
  for (const absl::Status& s : errors) {
    if (!s.ok()) return s;
  }
  if (next != nullptr) {
    next->reserve(next->size() + static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      if (ctx->claim[i] != kNone) next->emplace(key[i], ctx->claim[i]);
    }
  }
  ctx->cluster_of.assign(n, -1);
  const std::vector<dedup::Cluster>& clusters = ctx->scan.dedup.clusters;
  for (size_t c = 0; c < clusters.size(); ++c) {
    for (const dedup::Member& m : clusters[c].members) {
      ctx->cluster_of[m.item] = static_cast<int>(c);
    }
  }
  return absl::OkStatus();
}

// The ranges internal::ParallelRanges runs for `threads` (0: one per core) over n items: one per
// thread, at most one per kChunk items.
int RangesFor(int threads, int n) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, std::min(threads, n / kChunk));
}

// The facts' content tokens as dense ids (first seen first), each fact's ids ascending, and
// each id's facts in ascending order: built once with one hash lookup per token, so that
// candidates and weights need no string hashing. Entry k of fact i (IdsOf(i)[k]) is entry
// Begin(i) + k of the whole list, for per-entry arrays. Built on the pass's threads (each
// step on contiguous ranges of facts; the ids are those of one pass in fact order).
class TokenPostings {
 public:
  explicit TokenPostings(const FactContext& ctx) {
    const int n = ctx.size();
    fact_offsets_.resize(static_cast<size_t>(n) + 1);
    fact_offsets_[0] = 0;
    for (int i = 0; i < n; ++i)
      fact_offsets_[i + 1] = fact_offsets_[i] + ctx.Claim(i).content.size();
    const int ranges = RangesFor(ctx.options.threads, n);
    const int tokens = internal::DenseIds(
        ranges, n, [&](int i) -> const std::vector<uint64_t>& { return ctx.Claim(i).content; },
        fact_offsets_, &ids_);
    // Counting sort of (id, fact) by id: each range counts its entries per id, then fills its
    // part of each id's list (ranges in order, facts in order within one: each list ascends).
    std::vector<std::vector<size_t>> counts(ranges);
    internal::ParallelRanges(ranges, n, [&](int r, int first, int last) {
      std::vector<size_t>& c = counts[r];
      c.assign(static_cast<size_t>(tokens), 0);
      for (int i = first; i < last; ++i) {
        std::sort(ids_.begin() + static_cast<long>(fact_offsets_[i]),
                  ids_.begin() + static_cast<long>(fact_offsets_[i + 1]));
        for (int id : IdsOf(i)) ++c[id];
      }
    });
    // counts[r][id] becomes where range r's facts of id start.
    list_offsets_.assign(static_cast<size_t>(tokens) + 1, 0);
    for (int id = 0; id < tokens; ++id) {
      size_t at = list_offsets_[id];
      for (int r = 0; r < ranges; ++r) {
        const size_t c = counts[r][id];
        counts[r][id] = at;
        at += c;
      }
      list_offsets_[id + 1] = at;
    }
    facts_.resize(ids_.size());
    internal::ParallelRanges(ranges, n, [&](int r, int first, int last) {
      size_t* const next = counts[r].data();
      for (int i = first; i < last; ++i) {
        for (int id : IdsOf(i)) facts_[next[id]++] = i;
      }
    });
  }
  // (Spans made from their bounds: no range checks per call, these are called per token.)
  absl::Span<const int> IdsOf(int fact) const {
    return absl::Span<const int>(ids_.data() + fact_offsets_[fact],
                                 fact_offsets_[fact + 1] - fact_offsets_[fact]);
  }
  size_t Begin(int fact) const { return fact_offsets_[fact]; }
  size_t Entries() const { return ids_.size(); }
  absl::Span<const int> FactsOf(int id) const {
    return absl::Span<const int>(facts_.data() + list_offsets_[id],
                                 list_offsets_[id + 1] - list_offsets_[id]);
  }
  int DocumentFrequency(int id) const { return static_cast<int>(FactsOf(id).size()); }
  // Ids given (0 .. Tokens() - 1).
  int Tokens() const { return static_cast<int>(list_offsets_.size()) - 1; }

 private:
  std::vector<int> ids_;
  std::vector<size_t> fact_offsets_;
  std::vector<int> facts_;
  std::vector<size_t> list_offsets_;
};

// What each fact can disagree on (kCan* bits, see CandidatesOf).
constexpr uint8_t kCanDates = 1, kCanAmounts = 2, kCanPolar = 4;
// A date with a milestone role (IsMilestoneRole): dates compared across clusters need one on
// both sides. Set wherever the fact's slots are not known (a conservative guess).
constexpr uint8_t kCanMilestone = 8;

bool MayDisagree(uint8_t a, uint8_t b) {
  return ((a | b) & kCanPolar) != 0 || (a & b & (kCanDates | kCanAmounts)) != 0;
}

// The items of each cluster, in member order.
class ClusterMembers {
 public:
  explicit ClusterMembers(const std::vector<dedup::Cluster>& clusters) : clusters_(clusters) {}
  const std::vector<dedup::Member>& operator[](int c) const { return clusters_[c].members; }

 private:
  const std::vector<dedup::Cluster>& clusters_;
};

// Candidate partners of fact `a`, sorted by b: every b > a sharing a content token with it
// (tokens in more than max_postings facts are not used) with the count of shared tokens,
// plus every later member of its cluster (count 0 when they share no token).
//
// With `can` (per fact, kCan* bits: what it states), only the partners the pair examination
// does not skip at once: one side states a state, or both state dates, or both amounts. The
// count of a partner kept is unchanged (all or none of its entries are kept). And only the
// partners b for which keep(b, count) is true (tested before sorting: most are dropped).
template <typename Keep>
void CandidatesOf(const FactContext& ctx, const TokenPostings& postings,
                  const ClusterMembers& cluster_members, int a, std::vector<int>* scratch,
                  std::vector<std::pair<int, int>>* out, const std::vector<uint8_t>* can,
                  Keep keep) {
  out->clear();
  // Shared tokens are counted per partner in a table of all facts, one per thread (zero
  // between calls; the pass runs its chunks on threads of its own, and the caller's).
  thread_local std::vector<int> shared;
  if (shared.size() < static_cast<size_t>(ctx.size())) shared.resize(ctx.size(), 0);
  size_t most = 0;
  for (int t : postings.IdsOf(a)) {
    const absl::Span<const int> list = postings.FactsOf(t);
    if (static_cast<int>(list.size()) <= ctx.options.max_postings) most += list.size();
  }
  if (scratch->size() < most) scratch->resize(most);
  int* partners = scratch->data();
  size_t count = 0;
  // MayDisagree(can[a], can[b]) for a fact a without a stated state: b states one, or shares
  // a kind of value with a (`need` 0: every b may).
  const uint8_t* can_of = can == nullptr ? nullptr : can->data();
  const uint8_t need =
      can_of == nullptr || (can_of[a] & kCanPolar)
          ? 0
          : static_cast<uint8_t>(kCanPolar | (can_of[a] & (kCanDates | kCanAmounts)));
  int* const counts = shared.data();
  for (int t : postings.IdsOf(a)) {
    const absl::Span<const int> list = postings.FactsOf(t);  // ascending
    if (static_cast<int>(list.size()) > ctx.options.max_postings) continue;
    // (Two loops: the test of `need` is not made per entry.)
    const int* b = std::upper_bound(list.begin(), list.end(), a);
    const int* const end = list.end();
    if (need == 0) {
      for (; b != end; ++b) {
        if (counts[*b]++ == 0) partners[count++] = *b;
      }
    } else {
      for (; b != end; ++b) {
        if (!(can_of[*b] & need)) continue;
        if (counts[*b]++ == 0) partners[count++] = *b;
      }
    }
  }
  // Later members of its cluster sharing no token.
  if (ctx.cluster_of[a] >= 0) {
    for (const dedup::Member& m : cluster_members[ctx.cluster_of[a]]) {
      const int b = m.item;
      if (b <= a || (need != 0 && !(can_of[b] & need))) continue;
      if (counts[b] == 0 && keep(b, 0)) out->emplace_back(b, 0);
    }
  }
  for (size_t k = 0; k < count; ++k) {
    const int b = partners[k];
    if (keep(b, counts[b])) out->emplace_back(b, counts[b]);
    counts[b] = 0;
  }
  std::sort(out->begin(), out->end());
}

// Each fact's counted tokens (those in at most max_postings facts: the tokens CandidatesOf
// counts), ascending by id; each token's facts that hold it in their prefix: all their
// counted tokens but the greatest by (document frequency, id); and each token's facts with a
// milestone date (kCanMilestone in `can`). Two facts sharing two counted tokens hold the
// lesser of them in both prefixes, so the pairs sharing two or more are among those found by
// scanning the prefix lists of one fact's prefix (most of a fact's partners share only one
// token, mostly its commonest, whose list is not scanned for it).
class PrefixPostings {
 public:
  PrefixPostings(const TokenPostings& postings, int n, int max_postings,
                 const std::vector<uint8_t>& can) {
    counted_begin_.resize(static_cast<size_t>(n) + 1, 0);
    last_.assign(n, -1);
    const size_t tokens = static_cast<size_t>(postings.Tokens());
    std::vector<size_t> prefix_size(tokens + 1, 0), milestone_size(tokens + 1, 0);
    for (int i = 0; i < n; ++i) {
      int last = -1, last_df = 0;
      const bool milestone = can[i] & kCanMilestone;
      for (int id : postings.IdsOf(i)) {
        const int df = postings.DocumentFrequency(id);
        if (df > max_postings) continue;
        counted_.push_back(id);
        ++prefix_size[id];
        milestone_size[id] += milestone;
        if (df >= last_df) last = id, last_df = df;  // ids ascend: the greatest (df, id)
      }
      counted_begin_[i + 1] = counted_.size();
      last_[i] = last;
      if (last >= 0) --prefix_size[last];
    }
    prefix_.Fill(prefix_size, n, [&](int i, auto add) {
      for (int id : CountedOf(i)) {
        if (id != last_[i]) add(id);
      }
    });
    milestone_.Fill(milestone_size, n, [&](int i, auto add) {
      if (!(can[i] & kCanMilestone)) return;
      for (int id : CountedOf(i)) add(id);
    });
  }
  absl::Span<const int> CountedOf(int fact) const {
    return absl::Span<const int>(counted_.data() + counted_begin_[fact],
                                 counted_begin_[fact + 1] - counted_begin_[fact]);
  }
  // The greatest counted token of `fact` (the one not in its prefix), or -1.
  int LastOf(int fact) const { return last_[fact]; }
  // The facts holding `id` in their prefix, ascending.
  absl::Span<const int> PrefixFactsOf(int id) const { return prefix_.Of(id); }
  // The facts with a milestone date holding `id`, ascending.
  absl::Span<const int> MilestoneFactsOf(int id) const { return milestone_.Of(id); }
  // The counted tokens `a` and `b` share (CandidatesOf's count).
  int Shared(int a, int b) const {
    const absl::Span<const int> x = CountedOf(a), y = CountedOf(b);
    int shared = 0;
    for (size_t i = 0, j = 0; i < x.size() && j < y.size();) {
      shared += x[i] == y[j];
      const bool le = x[i] <= y[j], ge = x[i] >= y[j];
      i += le;
      j += ge;
    }
    return shared;
  }

 private:
  // Per token id, a list of facts (ascending), flat.
  struct Lists {
    std::vector<int> facts;
    std::vector<size_t> begin;
    // `size[id]`: the length of id's list; fill(i, add) calls add(id) for each list that
    // fact i is in (facts in ascending order).
    template <typename Each>
    void Fill(const std::vector<size_t>& size, int n, Each fill) {
      begin.assign(size.size(), 0);
      for (size_t id = 1; id < size.size(); ++id) begin[id] = begin[id - 1] + size[id - 1];
      facts.resize(begin.back());
      std::vector<size_t> next(begin.begin(), begin.end() - 1);
      for (int i = 0; i < n; ++i) {
        fill(i, [&](int id) { facts[next[id]++] = i; });
      }
    }
    absl::Span<const int> Of(int id) const {
      return absl::Span<const int>(facts.data() + begin[id], begin[id + 1] - begin[id]);
    }
  };
  std::vector<int> counted_;
  std::vector<size_t> counted_begin_;
  std::vector<int> last_;
  Lists prefix_, milestone_;
};

// CandidatesOf(..., can, keep) for a fact `a` without a stated state whose partners are kept
// only when they share at least two counted tokens with it, or its cluster, or (when `a` has
// a milestone date) when they have a milestone date too (keep(b, count) is false for every
// other b): its prefix lists, its milestone lists and its later cluster members are scanned,
// and the count of each partner found is counted again in full. The result is CandidatesOf's.
template <typename Keep>
void PrefixCandidatesOf(const FactContext& ctx, const PrefixPostings& prefixes,
                        const ClusterMembers& cluster_members, int a, std::vector<int>* scratch,
                        std::vector<std::pair<int, int>>* out, const std::vector<uint8_t>& can,
                        Keep keep) {
  out->clear();
  thread_local std::vector<char> seen;  // zero between calls
  if (seen.size() < static_cast<size_t>(ctx.size())) seen.resize(ctx.size(), 0);
  // CandidatesOf's `need`.
  const uint8_t need = (can[a] & kCanPolar)
                           ? 0
                           : static_cast<uint8_t>(kCanPolar | (can[a] & (kCanDates | kCanAmounts)));
  auto may = [&](int b) { return need == 0 || (can[b] & need) != 0; };
  scratch->clear();
  const int last = prefixes.LastOf(a);
  for (int t : prefixes.CountedOf(a)) {
    if (t == last) continue;
    const absl::Span<const int> list = prefixes.PrefixFactsOf(t);  // ascending
    for (const int* b = std::upper_bound(list.begin(), list.end(), a); b != list.end(); ++b) {
      if (!seen[*b] && may(*b)) {
        seen[*b] = 1;
        scratch->push_back(*b);
      }
    }
  }
  if (can[a] & kCanMilestone) {
    for (int t : prefixes.CountedOf(a)) {
      const absl::Span<const int> list = prefixes.MilestoneFactsOf(t);  // ascending
      for (const int* b = std::upper_bound(list.begin(), list.end(), a); b != list.end(); ++b) {
        if (!seen[*b] && may(*b)) {
          seen[*b] = 1;
          scratch->push_back(*b);
        }
      }
    }
  }
  if (ctx.cluster_of[a] >= 0) {
    for (const dedup::Member& m : cluster_members[ctx.cluster_of[a]]) {
      const int b = m.item;
      if (b > a && !seen[b] && may(b)) {
        seen[b] = 1;
        scratch->push_back(b);
      }
    }
  }
  for (int b : *scratch) {
    seen[b] = 0;
    const int count = prefixes.Shared(a, b);
    if (keep(b, count)) out->emplace_back(b, count);
  }
  std::sort(out->begin(), out->end());
}

void CandidatesOf(const FactContext& ctx, const TokenPostings& postings,
                  const ClusterMembers& cluster_members, int a, std::vector<int>* scratch,
                  std::vector<std::pair<int, int>>* out) {
  CandidatesOf(ctx, postings, cluster_members, a, scratch, out, nullptr,
               [](int, int) { return true; });
}

// Every candidate partner of fact `v` (a < v or b > v), as (a, b, shared tokens) with a < b.
void PartnersOf(const FactContext& ctx, const TokenPostings& postings,
                const ClusterMembers& cluster_members, int v, std::vector<int>* scratch,
                std::vector<std::tuple<int, int, int>>* out);

// A full pass extracts the slots of a fact without a stated state without its clauses
// (ExtractSlots' plain_clauses): most facts have none, and their clauses are read only when
// compared with a negation's (ClausesOppose), for pairs sharing two tokens or a cluster (or a
// claim). Here the facts so paired with a fact stating a negation get theirs.
void RestorePlainClauses(const FactContext& ctx, const TokenPostings& postings,
                         const ClusterMembers& cluster_members) {
  const int n = ctx.size();
  std::vector<int> negations;
  for (int i = 0; i < n; ++i) {
    bool negation = false;
    for (const Clause& c : ctx.slots.Get(i).clauses) negation |= c.polarity == Polarity::kNot;
    if (negation) negations.push_back(i);
  }
  if (negations.empty()) return;
  const int min_shared = std::min(2, ctx.options.min_shared_tokens);
  std::vector<std::vector<int>> per_chunk((negations.size() + kChunk - 1) / kChunk);
  ParallelChunks(ctx.options.threads, static_cast<int>(negations.size()), [&](int b, int e) {
    std::vector<int> scratch;
    std::vector<std::tuple<int, int, int>> partners;
    for (int k = b; k < e; ++k) {
      const int v = negations[k];
      PartnersOf(ctx, postings, cluster_members, v, &scratch, &partners);
      for (const auto& [x, y, count] : partners) {
        const int u = x == v ? y : x;
        if (count >= min_shared ||
            (ctx.cluster_of[u] >= 0 && ctx.cluster_of[u] == ctx.cluster_of[v])) {
          if (!ctx.Claim(u).polar) per_chunk[b / kChunk].push_back(u);
        }
      }
    }
  });
  std::vector<char> wanted(n, 0);
  for (const std::vector<int>& c : per_chunk) {
    for (int u : c) wanted[u] = 1;
  }
  std::vector<int> redo;
  for (int i = 0; i < n; ++i) {
    if (wanted[i] && ctx.scan.display(ctx.vault, i).size() <= FactContext::kMaxClaimBytes) {
      redo.push_back(i);
    }
  }
  dedup::Normalizer normalizer;
  std::vector<absl::Status> errors(redo.size());
  ParallelChunks(ctx.options.threads, static_cast<int>(redo.size()), [&](int b, int e) {
    dedup::NormalizedText scratch;
    for (int k = b; k < e; ++k) {
      const int i = redo[k];
      absl::StatusOr<Slots> s = ExtractSlots(
          normalizer, ctx.scan.display(ctx.vault, i), ctx.note_day[ctx.scan.facts[i].note],
          ctx.options.normalized ? ctx.options.normalized(i, &scratch) : nullptr);
      if (s.ok()) {
        ctx.slots[i].clauses = std::move(s->clauses);
      } else {
        errors[k] = s.status();
      }
    }
  });
  for (const absl::Status& s : errors) {
    if (!s.ok() && ctx.error.ok()) ctx.error = s;
  }
}

// Whether some clause of `a` and some clause of `b` state opposite states; *va/*vb get them.
bool PolarityDisagrees(const PairSlots& a, const PairSlots& b, double min_overlap, std::string* va,
                       std::string* vb) {
  for (const Clause& ca : a.clauses) {
    for (const Clause& cb : b.clauses) {
      if (ca.polarity == Polarity::kNone && cb.polarity == Polarity::kNone) continue;
      if (ClausesOppose(ca, cb, min_overlap)) {
        *va = ca.text;
        *vb = cb.text;
        return true;
      }
    }
  }
  return false;
}

// Value and polarity disagreements between pairs of facts.
struct PairFindings {
  std::vector<PairFinding> value, polarity;
  std::vector<PairFinding> update;  // a = the superseding fact, b = the older statement
};

// Every candidate partner of fact `v` (a < v or b > v), as (a, b, shared tokens) with a < b.
void PartnersOf(const FactContext& ctx, const TokenPostings& postings,
                const ClusterMembers& cluster_members, int v, std::vector<int>* scratch,
                std::vector<std::tuple<int, int, int>>* out) {
  out->clear();
  std::vector<std::pair<int, int>> later;
  CandidatesOf(ctx, postings, cluster_members, v, scratch, &later);
  for (const auto& [b, count] : later) out->emplace_back(v, b, count);
  // Earlier partners: the same rule read from the other side (content tokens are distinct,
  // so the count of shared tokens is symmetric).
  absl::flat_hash_map<int, int> earlier;
  for (int t : postings.IdsOf(v)) {
    const absl::Span<const int> list = postings.FactsOf(t);
    if (static_cast<int>(list.size()) > ctx.options.max_postings) continue;
    for (int a : list) {
      if (a >= v) break;
      ++earlier[a];
    }
  }
  if (ctx.cluster_of[v] >= 0) {
    for (const dedup::Member& m : cluster_members[ctx.cluster_of[v]]) {
      if (m.item < v) earlier.try_emplace(m.item, 0);
    }
  }
  for (const auto& [a, count] : earlier) out->emplace_back(a, v, count);
}

// One candidate pair (a < b sharing `count` content tokens, with kCan* bits can_a and can_b)
// into `found`: subject_overlap(a, b) is their IDF-weighted subject overlap,
// share_distinctive_name(a, b) whether they share a distinctive name.
template <typename Overlap, typename ShareName>
void ExaminePair(const FactContext& ctx, int a, int b, int count, uint8_t can_a, uint8_t can_b,
                 Overlap& subject_overlap, ShareName& share_distinctive_name, PairFindings& found) {
  const ConflictOptions& options = ctx.options;
  if (!MayDisagree(can_a, can_b)) return;
  const PairSlots& sa = ctx.SlotsOf(a);
  const PairSlots& sb = ctx.SlotsOf(b);
  if (sa.clean_hash == sb.clean_hash) return;
  const double overlap = count >= options.min_shared_tokens ? subject_overlap(a, b) : 0.0;
  // The same claim: one cluster, or as alike as one apart from the values (the dedup
  // engine keeps facts apart when their dates or numbers differ).
  const bool same_claim = (ctx.cluster_of[a] >= 0 && ctx.cluster_of[a] == ctx.cluster_of[b]) ||
                          overlap >= options.min_claim_overlap;
  const bool same_subject = same_claim || overlap >= options.min_subject_overlap;
  std::string va, vb;
  bool value_conflict = false;
  if (same_claim) {
    value_conflict = DatesDisagree(sa, sb, nullptr, /*by_year=*/false, &va, &vb);
  } else if (same_subject || share_distinctive_name(a, b)) {
    // Across clusters: dates of the same milestone. In facts about the same subject the
    // month counts; in facts that only share a distinctive name, the role lumps related
    // events (a first delivery, a go-live), so only the year counts. When their numbers
    // differ too, they are two events ("buys $1B of CDN by 2025" / "$150M of Kubernetes by
    // 2026"), not one event dated two ways.
    // Each milestone role of `a` once, in order (no set per pair: this runs for most pairs).
    absl::InlinedVector<absl::string_view, 4> roles;
    for (const DateHit& h : sa.dates) {
      if (IsMilestoneRole(h.role)) roles.push_back(h.role);
    }
    std::sort(roles.begin(), roles.end());
    roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
    for (const absl::string_view& role : roles) {
      if (!value_conflict) {
        value_conflict = DatesDisagree(sa, sb, &role, /*by_year=*/!same_subject, &va, &vb);
      }
    }
    if (value_conflict && AmountsDisagree(sa, sb, /*plain_numbers=*/true, nullptr, nullptr)) {
      value_conflict = false;
    }
  }
  if (value_conflict && internal::Supersedes(sb, sa)) {
    found.update.push_back({b, a, vb, va});  // "now May (previously January)": an update
  } else if (value_conflict && internal::Supersedes(sa, sb)) {
    found.update.push_back({a, b, va, vb});
  } else if (value_conflict) {
    found.value.push_back({a, b, va, vb});
  } else if (same_subject && AmountsDisagree(sa, sb, same_claim, &va, &vb)) {
    // Amounts; across clusters only when the dates do not set the two apart as well.
    std::string da, db;
    if (same_claim || !DatesDisagree(sa, sb, nullptr, /*by_year=*/false, &da, &db)) {
      found.value.push_back({a, b, va, vb});
    }
  }
  if ((count >= 2 || same_claim) &&
      PolarityDisagrees(sa, sb, options.min_clause_overlap, &va, &vb)) {
    found.polarity.push_back({a, b, va, vb});
  }
}

// What a focused pass needs of the vault's content and name tokens, found for the tokens it
// asks about only (Request, then Resolve: one pass over every fact's summary for all the
// tokens asked since the last pass, with a table of those tokens) instead of an index of every
// token (TokenPostings): each content token's document frequency, the facts holding it (ascending,
// when at most max_postings do) and its first occurrence (fact, position) in fact order, which
// orders tokens as TokenPostings' ids do (so that weights are summed in the same order); and each
// name token's count of occurrences.
class FocusTokens {
  using Pending = internal::PendingTokens;

 public:
  explicit FocusTokens(const FactContext& ctx) : ctx_(ctx) {
    if (ctx_.cached != nullptr) layout_ = ctx_.cached->AllPlaces();
  }

  // Asks for fact i's name tokens, and its content tokens unless `names_only`.
  void Request(int i, bool names_only = false) {
    const ClaimSummary& c = ctx_.Claim(i);
    if (!names_only) {
      for (uint64_t t : c.content) {
        if (!content_.contains(t)) pending_content_.Add(t);
      }
    }
    for (uint64_t t : c.names) {
      if (!names_.contains(t)) pending_names_.Add(t);
    }
  }

  // Finds what was asked since the last call, in one pass over every fact.
  void Resolve() {
    if (pending_content_.size() == 0 && pending_names_.size() == 0) return;
    const size_t max_postings = static_cast<size_t>(std::max(0, ctx_.options.max_postings));
    std::vector<Content> found(pending_content_.size());
    std::vector<int> counts(pending_names_.size(), 0);
    pending_content_.Seal();
    pending_names_.Seal();
    const bool names = pending_names_.size() > 0;
    const bool contents = pending_content_.size() > 0;
    const int n = ctx_.size();
    // Contiguous ranges of facts, one per thread, each counted on its own, then joined in
    // range order: the same counts, first occurrences and postings as one pass in fact order.
    auto pass = [&](int first, int last, std::vector<Content>* into_found,
                    std::vector<int>* into_counts) {
      const Pending::Filter content_filter = pending_content_.filter();
      const Pending::Filter names_filter = pending_names_.filter();
      // Fact i's content tokens: `count` 8-byte hashes from `at` (decoded, or read in place
      // as little-endian bytes). The loops keep their pointers in locals: they read every
      // token of every fact, and most tokens are told apart by the filter alone.
      auto count_content = [&](int i, const auto* at, size_t count) {
        ForEachMaybe(at, count, content_filter, [&](size_t k, uint64_t t) {
          const int x = pending_content_.Find(t);
          if (x < 0) return;
          Content& info = (*into_found)[x];
          if (info.df++ == 0) info.first = uint64_t{static_cast<uint32_t>(i)} << 32 | k;
          if (info.facts.size() <= max_postings) info.facts.push_back(i);
        });
      };
      auto count_names = [&](const auto* at, size_t count) {
        ForEachMaybe(at, count, names_filter, [&](size_t, uint64_t t) {
          const int x = pending_names_.Find(t);
          if (x >= 0) ++(*into_counts)[x];
        });
      };
      const ClaimCache::Layout l = layout_;
      const std::shared_ptr<const ClaimSummary>* const claim = ctx_.claim.data();
      const uint32_t* const cached_at = ctx_.cached_at.data();
      for (int i = first; i < last; ++i) {
        if (claim[i] == nullptr) {  // read in place (BuildContext)
          const uint32_t place = cached_at[i];
          const size_t begin = l.Begin(place), names_at = begin + l.ContentCount(place);
          if (contents) count_content(i, l.hashes.bytes + begin * 8, names_at - begin);
          if (names) count_names(l.hashes.bytes + names_at * 8, l.Begin(place + 1) - names_at);
          continue;
        }
        const ClaimSummary& c = *claim[i];
        if (contents) count_content(i, c.content.data(), c.content.size());
        if (names) count_names(c.names.data(), c.names.size());
      }
    };
    int threads = ctx_.options.threads;
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::max(1, std::min(threads, n / kChunk));
    std::vector<std::vector<Content>> part_found(threads - 1,
                                                 std::vector<Content>(pending_content_.size()));
    std::vector<std::vector<int>> part_counts(threads - 1,
                                              std::vector<int>(pending_names_.size(), 0));
    std::vector<std::thread> pool;
    auto bound = [&](int t) { return static_cast<int>(static_cast<int64_t>(n) * t / threads); };
    for (int t = 1; t < threads; ++t) {
      pool.emplace_back(pass, bound(t), bound(t + 1), &part_found[t - 1], &part_counts[t - 1]);
    }
    pass(0, bound(1), &found, &counts);
    for (std::thread& t : pool) t.join();
    for (int t = 1; t < threads; ++t) {
      for (size_t x = 0; x < found.size(); ++x) {
        Content& into = found[x];
        Content& more = part_found[t - 1][x];
        if (more.df == 0) continue;
        if (into.df == 0) into.first = more.first;
        into.df += more.df;
        for (int i : more.facts) {
          if (into.facts.size() > max_postings) break;
          into.facts.push_back(i);
        }
      }
      for (size_t x = 0; x < counts.size(); ++x) counts[x] += part_counts[t - 1][x];
    }
    for (size_t x = 0; x < found.size(); ++x) {
      content_.emplace(pending_content_.key(x), std::move(found[x]));
    }
    for (size_t x = 0; x < counts.size(); ++x) names_.emplace(pending_names_.key(x), counts[x]);
    pending_content_ = {};
    pending_names_ = {};
  }

  // The k-th hash from `at`: decoded, or in place (little-endian bytes).
  static uint64_t Hash(const uint64_t* at, size_t k) { return at[k]; }
  static uint64_t Hash(const char* at, size_t k) { return ClaimCache::Load(at, k); }
  // fn(k, hash) for the hashes k < count from `at` that `filter` may have, in order (a check
  // reads every token of every fact's summary, about 1.3 million at 100k facts, in each pass:
  // most are told apart by the filter alone).
  template <typename Hashes, typename Fn>
  static void ForEachMaybe(const Hashes* at, size_t count, const Pending::Filter& filter, Fn fn) {
    for (size_t k = 0; k < count; ++k) {
      const uint64_t t = Hash(at, k);
      if (filter.MayHave(t)) fn(k, t);
    }
  }

  struct Content {
    int df = 0;
    uint64_t first = 0;      // fact << 32 | position of its first occurrence
    std::vector<int> facts;  // ascending; complete when df <= max_postings
  };
  // A resolved content token.
  const Content& ContentOf(uint64_t t) const { return content_.at(t); }
  // How many times a resolved name token occurs in all facts' names.
  int NameCount(uint64_t t) const { return names_.at(t); }

 private:
  const FactContext& ctx_;
  ClaimCache::Layout layout_;  // of ctx_.cached, read in place (empty without one)
  absl::flat_hash_map<uint64_t, Content> content_;
  absl::flat_hash_map<uint64_t, int> names_;
  Pending pending_content_, pending_names_;
};

// FindPairFindings with a focus: the pair findings of every value or polarity group holding
// a focus fact. The pairs of the focus facts are examined, then those of every fact a finding
// links them to, until the groups are closed, a round at a time (the tokens of a round's
// facts, then those of the facts of its pairs, are resolved in one pass each). Pairs are
// examined once and joined in (a, b) order, the order of the full computation, so each group
// is what the full computation finds.
PairFindings FocusedFindPairFindings(const FactContext& ctx, const std::vector<char>& focus) {
  const int n = ctx.size();
  const ConflictOptions& options = ctx.options;
  FocusTokens tokens(ctx);
  const ClusterMembers cluster_members(ctx.scan.dedup.clusters);
  auto can_bits = [&](int i) -> uint8_t {
    const ClaimSummary& c = ctx.Claim(i);
    return (c.dates ? kCanDates : 0) | (c.amounts ? kCanAmounts : 0) | (c.polar ? kCanPolar : 0);
  };
  // Each fact's content tokens in TokenPostings' id order with their IDF weights, and their
  // total, for the facts whose overlap is computed.
  struct Weighted {
    std::vector<std::pair<uint64_t, uint64_t>> tokens;  // (first occurrence, token)
    std::vector<double> weight;
    double total = 0;
  };
  absl::node_hash_map<int, Weighted> weighted;  // node: references stay valid
  auto weights_of = [&](int i) -> const Weighted& {
    auto [it, fresh] = weighted.try_emplace(i);
    Weighted& w = it->second;
    if (fresh) {
      for (uint64_t t : ctx.Claim(i).content) w.tokens.push_back({tokens.ContentOf(t).first, t});
      std::sort(w.tokens.begin(), w.tokens.end());
      for (const auto& [first, t] : w.tokens) {
        w.weight.push_back(std::log(1.0 + n / static_cast<double>(tokens.ContentOf(t).df)));
        w.total += w.weight.back();
      }
    }
    return w;
  };
  // As FindPairFindings' subject_overlap.
  auto subject_overlap = [&](int a, int b) {
    const Weighted& wa = weights_of(a);
    const Weighted& wb = weights_of(b);
    double ws = 0;
    for (size_t i = 0, j = 0; i < wa.tokens.size() && j < wb.tokens.size();) {
      const uint64_t x = wa.tokens[i].first, y = wb.tokens[j].first;
      if (x == y) ws += wa.weight[i];
      i += x <= y;
      j += x >= y;
    }
    const double denom = std::min(wa.total, wb.total);
    return denom > 0 ? ws / denom : 0.0;
  };
  // As FindPairFindings' share_distinctive_name.
  const int max_name_df = std::max(2, static_cast<int>(options.max_name_share * n));
  auto share_distinctive_name = [&](int x, int y) {
    const std::vector<uint64_t>& a = ctx.Claim(x).names;
    const std::vector<uint64_t>& b = ctx.Claim(y).names;
    for (uint64_t t : a) {
      if (tokens.NameCount(t) <= max_name_df && std::find(b.begin(), b.end(), t) != b.end()) {
        return true;
      }
    }
    return false;
  };
  // Every candidate partner of fact v (as PartnersOf) not yet examined, as (a, b, shared
  // tokens) with a < b, into `out`; its tokens must be resolved.
  std::vector<int> shared(n, 0);
  std::vector<int> partners;
  std::set<std::pair<int, int>> seen;
  auto partners_of = [&](int v, std::vector<std::tuple<int, int, int>>* out) {
    partners.clear();
    for (uint64_t t : ctx.Claim(v).content) {
      const FocusTokens::Content& info = tokens.ContentOf(t);
      if (info.df > options.max_postings) continue;
      for (int u : info.facts) {
        if (u != v && shared[u]++ == 0) partners.push_back(u);
      }
    }
    if (ctx.cluster_of[v] >= 0) {
      for (const dedup::Member& m : cluster_members[ctx.cluster_of[v]]) {
        if (m.item != v && shared[m.item] == 0) {
          partners.push_back(m.item);
          shared[m.item] = -1;  // a partner sharing no token
        }
      }
    }
    for (int u : partners) {
      const int count = std::max(0, shared[u]);
      shared[u] = 0;
      const int a = std::min(u, v), b = std::max(u, v);
      if (seen.insert({a, b}).second) out->emplace_back(a, b, count);
    }
  };
  std::vector<char> reached(focus.begin(), focus.end());
  reached.resize(n, 0);
  std::vector<int> queue;
  for (int i = 0; i < n; ++i) {
    if (reached[i]) queue.push_back(i);
  }
  std::map<std::pair<int, int>, PairFindings> examined;
  std::vector<std::tuple<int, int, int>> pairs;
  for (size_t done = 0; done < queue.size();) {
    const size_t end = queue.size();
    for (size_t q = done; q < end; ++q) tokens.Request(queue[q]);
    tokens.Resolve();
    pairs.clear();
    for (size_t q = done; q < end; ++q) partners_of(queue[q], &pairs);
    done = end;
    // What ExaminePair reads: the weights of both facts' content tokens when it computes
    // their overlap, their names' counts when it can ask for a distinctive name.
    for (const auto& [a, b, count] : pairs) {
      if (MayDisagree(can_bits(a), can_bits(b))) {
        const bool names_only = count < options.min_shared_tokens;
        tokens.Request(a, names_only);
        tokens.Request(b, names_only);
      }
    }
    tokens.Resolve();
    for (const auto& [a, b, count] : pairs) {
      PairFindings& found = examined[{a, b}];
      ExaminePair(ctx, a, b, count, can_bits(a), can_bits(b), subject_overlap,
                  share_distinctive_name, found);
      if (found.value.empty() && found.polarity.empty()) continue;
      for (int x : {a, b}) {
        if (!reached[x]) reached[x] = 1, queue.push_back(x);
      }
    }
  }
  PairFindings all;
  for (auto& [ab, f] : examined) {
    all.value.insert(all.value.end(), f.value.begin(), f.value.end());
    all.polarity.insert(all.polarity.end(), f.polarity.begin(), f.polarity.end());
    all.update.insert(all.update.end(), f.update.begin(), f.update.end());
  }
  return all;
}

PairFindings FindPairFindings(const FactContext& ctx, const std::vector<char>* focus) {
  if (focus != nullptr) return FocusedFindPairFindings(ctx, *focus);
  PairFindings all;
  const int n = ctx.size();
  const ConflictOptions& options = ctx.options;
  const TokenPostings postings(ctx);
  // Each fact's distinctive names, those not the vault's background ("Microsoft": in more
  // than max_name_share of the facts), as sorted ids.
  // Flat: fact i's are distinctive[distinctive_begin[i], distinctive_begin[i + 1]).
  const int max_name_df = std::max(2, static_cast<int>(options.max_name_share * n));
  std::vector<int> distinctive;
  std::vector<size_t> distinctive_begin(static_cast<size_t>(n) + 1, 0);
  {
    // Every fact's name ids (DenseIds), fact i's at ids[names_begin[i], names_begin[i + 1]).
    std::vector<size_t> names_begin(static_cast<size_t>(n) + 1, 0);
    for (int i = 0; i < n; ++i) names_begin[i + 1] = names_begin[i] + ctx.Claim(i).names.size();
    std::vector<int> ids;
    const int ranges = RangesFor(ctx.options.threads, n);
    const int names = internal::DenseIds(
        ranges, n, [&](int i) -> const std::vector<uint64_t>& { return ctx.Claim(i).names; },
        names_begin, &ids);
    std::vector<int> name_df(static_cast<size_t>(names), 0);
    for (int id : ids) ++name_df[id];
    for (int i = 0; i < n; ++i) {
      for (size_t k = names_begin[i]; k < names_begin[i + 1]; ++k) {
        distinctive_begin[i + 1] += name_df[ids[k]] <= max_name_df;
      }
      distinctive_begin[i + 1] += distinctive_begin[i];
    }
    distinctive.resize(distinctive_begin[n]);
    internal::ParallelRanges(ranges, n, [&](int, int first, int last) {
      for (int i = first; i < last; ++i) {
        size_t out = distinctive_begin[i];
        for (size_t k = names_begin[i]; k < names_begin[i + 1]; ++k) {
          if (name_df[ids[k]] <= max_name_df) distinctive[out++] = ids[k];
        }
        std::sort(distinctive.begin() + static_cast<long>(distinctive_begin[i]),
                  distinctive.begin() + static_cast<long>(out));
      }
    });
  }
  auto distinctive_of = [&](int i) {
    return absl::MakeConstSpan(distinctive)
        .subspan(distinctive_begin[i], distinctive_begin[i + 1] - distinctive_begin[i]);
  };
  // Whether a and b share a distinctive name.
  auto share_distinctive_name = [&](int x, int y) {
    const absl::Span<const int> a = distinctive_of(x);
    const absl::Span<const int> b = distinctive_of(y);
    for (size_t i = 0, j = 0; i < a.size() && j < b.size();) {
      if (a[i] == b[j]) return true;
      a[i] < b[j] ? ++i : ++j;
    }
    return false;
  };
  // Each content token's IDF weight (by id: it depends only on the token's document
  // frequency, so a table of tokens, not a double per entry of the postings) and each fact's
  // total, summed in id order within the fact (so sums do not depend on how they are
  // computed). A focused pass uses FocusedFindPairFindings; this one computes every fact's.
  std::vector<double> total(n, 0);
  std::vector<double> token_weight(static_cast<size_t>(postings.Tokens()));
  {
    // The weight of a token of document frequency df (1 <= df <= n), computed once per df.
    std::vector<double> weight_of_df(static_cast<size_t>(n) + 1, 0.0);
    std::vector<char> known(static_cast<size_t>(n) + 1, 0);
    for (int t = 0; t < postings.Tokens(); ++t) {
      const int df = postings.DocumentFrequency(t);
      if (!known[df]) weight_of_df[df] = std::log(1.0 + n / static_cast<double>(df)), known[df] = 1;
      token_weight[t] = weight_of_df[df];
    }
  }
  ParallelChunks(ctx.options.threads, n, [&](int first, int last) {
    for (int i = first; i < last; ++i) {
      double sum = 0;
      for (int t : postings.IdsOf(i)) sum += token_weight[t];
      total[i] = sum;
    }
  });
  // IDF-weighted share of the smaller fact's content found in the other.
  auto subject_overlap = [&](int a, int b) {
    const absl::Span<const int> ia = postings.IdsOf(a), ib = postings.IdsOf(b);
    const double* const w = token_weight.data();
    double ws = 0;
    for (size_t i = 0, j = 0; i < ia.size() && j < ib.size();) {
      if (ia[i] == ib[j]) ws += w[ia[i]];
      const bool le = ia[i] <= ib[j], ge = ia[i] >= ib[j];
      i += le;
      j += ge;
    }
    const double denom = std::min(total[a], total[b]);
    return denom > 0 ? ws / denom : 0.0;
  };
  // What each fact can disagree on: dates and amounts need both sides to have some, polarity
  // needs a stated state on one side. Most pairs have neither and are skipped at once.
  std::vector<uint8_t> can_bits(n);
  ParallelChunks(ctx.options.threads, n, [&](int first, int last) {
    for (int i = first; i < last; ++i) {
      const ClaimSummary& c = ctx.Claim(i);
      bool milestone = c.dates;
      if (c.dates && ctx.has_slots[i]) {
        milestone = false;
        for (const DateHit& h : ctx.slots.Get(i).dates) milestone |= IsMilestoneRole(h.role);
      }
      can_bits[i] = (c.dates ? kCanDates : 0) | (c.amounts ? kCanAmounts : 0) |
                    (c.polar ? kCanPolar : 0) | (milestone ? kCanMilestone : 0);
    }
  });
  // Whether examining the pair (a < b sharing `count` content tokens) surely finds nothing,
  // told without reading their slots. Facts in different clusters that share fewer than
  // min_shared_tokens tokens have no subject overlap (it is not computed), so they are
  // neither one claim nor one subject: only dates of one milestone role (with a distinctive
  // name in common) and, with two shared tokens, a stated state can set them apart. Most
  // candidate pairs are such pairs; their slots are scattered over memory.
  const bool overlap_needed = options.min_subject_overlap > 0 && options.min_claim_overlap > 0 &&
                              options.min_shared_tokens > 0;
  auto surely_nothing = [&](int a, int b, int count) {
    if (!overlap_needed || count >= options.min_shared_tokens) return false;
    if (ctx.cluster_of[a] >= 0 && ctx.cluster_of[a] == ctx.cluster_of[b]) return false;
    const uint8_t x = can_bits[a], y = can_bits[b];
    if (count >= 2 && ((x | y) & kCanPolar)) return false;
    return !(x & y & kCanMilestone) || !share_distinctive_name(a, b);
  };
  // One candidate pair (a < b sharing `count` content tokens) into `found`.
  auto examine = [&](int a, int b, int count, PairFindings& found) {
    ExaminePair(ctx, a, b, count, can_bits[a], can_bits[b], subject_overlap, share_distinctive_name,
                found);
  };
  const ClusterMembers cluster_members(ctx.scan.dedup.clusters);
  RestorePlainClauses(ctx, postings, cluster_members);
  // A fact without a stated state keeps (surely_nothing) only partners in its cluster or
  // sharing min_shared_tokens, or two with a stated state, or (both with a milestone date)
  // one: with min_shared_tokens at least two, its partners are found through PrefixPostings.
  std::optional<PrefixPostings> prefixes;
  if (overlap_needed && options.min_shared_tokens >= 2) {
    prefixes.emplace(postings, n, options.max_postings, can_bits);
  }
  // Each chunk of facts is examined by one thread; findings are kept per chunk (in fact order
  // within it) and joined in chunk order, so output is the same for any thread count.
  std::vector<PairFindings> per_chunk((n + kChunk - 1) / kChunk);
  ParallelChunks(ctx.options.threads, n, [&](int first, int last) {
    std::vector<int> scratch;
    std::vector<std::pair<int, int>> partners;
    for (int a = first; a < last; ++a) {
      auto keep = [&](int b, int count) { return !surely_nothing(a, b, count); };
      if (prefixes.has_value() && !(can_bits[a] & kCanPolar)) {
        PrefixCandidatesOf(ctx, *prefixes, cluster_members, a, &scratch, &partners, can_bits, keep);
      } else {
        CandidatesOf(ctx, postings, cluster_members, a, &scratch, &partners, &can_bits, keep);
      }
      for (const auto& [b, count] : partners) examine(a, b, count, per_chunk[first / kChunk]);
    }
  });
  for (PairFindings& f : per_chunk) {
    all.value.insert(all.value.end(), f.value.begin(), f.value.end());
    all.polarity.insert(all.polarity.end(), f.polarity.begin(), f.polarity.end());
    all.update.insert(all.update.end(), f.update.begin(), f.update.end());
  }
  return all;
}

// Suggestion for a group of facts: the newest dated statement when one is strictly newest;
// else, for dates, the most specific statement of the majority (by year), or the strictly
// most specific statement when there is no majority. "" when the evidence supports no side.
std::string GroupSuggestion(const FactContext& ctx, const std::string& type,
                            const std::vector<int>& items, std::map<int, std::string>& value) {
  int best = -1, best_day = 0, ties = 0;
  for (int item : items) {
    int d = ctx.SlotsOf(item).fact_day;
    if (d > best_day) {
      best = item, best_day = d, ties = 0;
    } else if (d == best_day) {
      ++ties;
    }
  }
  if (best >= 0 && ties == 0 && best_day > 0) {
    const Fact& f = ctx.scan.fact(ctx.vault, best);
    return absl::StrCat("suggestion: prefer the newest dated source ",
                        ctx.scan.note(ctx.vault, best).path, ":", f.line, " (", DayString(best_day),
                        "): '", value[best], "'");
  }
  if (type != "value") return "";
  auto width = [&](int item) {
    int w = 1 << 30;
    for (const DateHit& h : ctx.SlotsOf(item).dates) w = std::min(w, h.iv.hi - h.iv.lo);
    return w;
  };
  std::map<std::string, std::vector<int>> by_years;
  for (int item : items) {
    std::set<int> years;
    for (const DateHit& h : ctx.SlotsOf(item).dates) years.insert(h.iv.lo / 12);
    by_years[absl::StrJoin(years, ",")].push_back(item);
  }
  const std::vector<int>* major = nullptr;
  bool unique = true;
  for (const auto& [k, v] : by_years) {
    if (!major || v.size() > major->size()) {
      major = &v, unique = true;
    } else if (v.size() == major->size()) {
      unique = false;
    }
  }
  const bool dated = major && !ctx.SlotsOf((*major)[0]).dates.empty();
  const std::vector<int>& pool = dated && unique ? *major : items;
  int narrow = -1, narrow_w = 1 << 30, narrow_ties = 0;
  for (int item : pool) {
    int w = width(item);
    if (w < narrow_w) {
      narrow = item, narrow_w = w, narrow_ties = 0;
    } else if (w == narrow_w) {
      ++narrow_ties;
    }
  }
  if (narrow < 0 || narrow_w == 1 << 30) return "";
  const Fact& f = ctx.scan.fact(ctx.vault, narrow);
  const std::string& path = ctx.scan.note(ctx.vault, narrow).path;
  if (dated && unique && by_years.size() > 1) {
    return absl::StrCat("suggestion: ", major->size(), " of ", items.size(),
                        " statements agree; the most specific is ", path, ":", f.line, " ('",
                        value[narrow], "'); check the others");
  }
  if (narrow_ties > 0) return "";
  return absl::StrCat("suggestion: the most specific statement is ", path, ":", f.line, " ('",
                      value[narrow], "')");
}

// Joins pairwise findings into connected groups, one conflict each; each fact keeps the value
// of its first finding.
void GroupFindings(const FactContext& ctx, const std::vector<PairFinding>& pairs,
                   const std::string& type, std::vector<Conflict>* out) {
  Dsu dsu(ctx.size());
  std::map<int, std::string> value;
  for (const PairFinding& p : pairs) {
    dsu.Union(p.a, p.b);
    value.try_emplace(p.a, p.va);
    value.try_emplace(p.b, p.vb);
  }
  std::map<int, std::vector<int>> groups;
  for (const auto& [item, v] : value) groups[dsu.Find(item)].push_back(item);
  // Each group's pairs in their order, found once (not by a pass over every pair per group:
  // at 1M facts that was quadratic).
  absl::flat_hash_map<int, std::vector<size_t>> pairs_of;
  for (size_t k = 0; k < pairs.size(); ++k) pairs_of[dsu.Find(pairs[k].a)].push_back(k);
  for (const auto& [root, items] : groups) {
    Conflict c;
    c.type = type;
    std::map<int, int> index;  // item -> index in c.facts
    for (int item : items) {
      index[item] = static_cast<int>(c.facts.size());
      c.facts.push_back(ctx.Entry(item, value[item]));
    }
    for (size_t k : pairs_of[root]) {
      const PairFinding& p = pairs[k];
      c.pairs.push_back(std::minmax(index[p.a], index[p.b]));
    }
    c.suggestion = GroupSuggestion(ctx, type, items, value);
    out->push_back(std::move(c));
  }
}

// Records every pair of `c`'s facts as disagreeing.
void AllPairs(Conflict* c) {
  for (int i = 0; i < static_cast<int>(c->facts.size()); ++i) {
    for (int j = i + 1; j < static_cast<int>(c->facts.size()); ++j) c->pairs.push_back({i, j});
  }
}

// The same source file placed in two folders by one note's links (source_ref vs body).
void LinkFolderConflicts(const Vault& vault, std::vector<Conflict>* out) {
  auto dir_of = [](const std::string& target) { return target.substr(0, target.rfind('/') + 1); };
  for (const Note& note : vault.notes) {
    std::map<std::string, std::vector<const Link*>> by_base;
    for (const Link& l : note.links) {
      if (l.kind == Link::Kind::kExternal) continue;
      size_t slash = l.target.rfind('/');
      if (slash == std::string::npos) continue;
      std::string base = absl::AsciiStrToLower(l.target.substr(slash + 1));
      if (absl::EndsWith(base, ".md")) base.resize(base.size() - 3);
      by_base[base].push_back(&l);
    }
    for (const auto& [base, links] : by_base) {
      std::vector<const Link*> distinct;
      for (const Link* l : links) {
        bool seen = false;
        for (const Link* d : distinct) {
          seen |=
              absl::AsciiStrToLower(dir_of(d->target)) == absl::AsciiStrToLower(dir_of(l->target));
        }
        if (!seen) distinct.push_back(l);
      }
      if (distinct.size() < 2) continue;
      Conflict c;
      c.type = "value";
      for (const Link* l : distinct) {
        c.facts.push_back({note.path, l->line, l->target, dir_of(l->target), ""});
      }
      AllPairs(&c);
      out->push_back(std::move(c));
    }
  }
}

// Updates: explicit supersessions of a date inside one fact, each with the older statements
// of the superseded date (`update_pairs`) when there are any.
void UpdateFindings(const FactContext& ctx, const std::vector<PairFinding>& update_pairs,
                    std::vector<Conflict>* out) {
  // Each superseding fact's pairs, in their order (looked up, not found by a pass over
  // every pair per update: quadratic at 1M facts).
  absl::flat_hash_map<int, std::vector<size_t>> pairs_of;
  for (size_t k = 0; k < update_pairs.size(); ++k) pairs_of[update_pairs[k].a].push_back(k);
  // A focused pass reads the updates of the facts it extracted: every focus fact and every
  // fact of an examined pair, which holds every update that can touch the focus.
  for (int i = 0; i < ctx.size(); ++i) {
    if (!ctx.has_slots[i]) continue;
    for (const Update& u : ctx.slots.Get(i).updates) {
      if (u.dates.empty()) continue;
      Conflict c;
      c.type = "update";
      c.facts.push_back(ctx.Entry(i, u.value));
      static const std::vector<size_t> kNone;
      auto found = pairs_of.find(i);
      for (size_t k : found == pairs_of.end() ? kNone : found->second) {
        const PairFinding& p = update_pairs[k];
        bool superseded = false;
        for (const internal::Interval& iv : u.dates) {
          for (const DateHit& h : ctx.SlotsOf(p.b).dates) superseded |= internal::Overlap(iv, h.iv);
        }
        if (superseded) c.facts.push_back(ctx.Entry(p.b, p.vb));
      }
      c.suggestion = c.facts.size() > 1
                         ? "update, not a contradiction: the first fact supersedes the value "
                           "the others state"
                         : "update, not a contradiction: the superseded value is kept as history";
      out->push_back(std::move(c));
    }
  }
}

// Folds a word for spelling comparison: case and accents (not stemmed).
class WordFolder {
 public:
  WordFolder() : normalizer_(Options()) {}
  // The folded word; the reference stays valid as long as the folder.
  const std::string& Fold(absl::string_view w) {
    auto it = cache_.find(w);
    if (it != cache_.end()) return it->second;
    std::string f = absl::AsciiStrToLower(w);
    // A word of ASCII letters is one token, its lowercase (or two, "can" "not" for "Cannot",
    // where the lowercase is kept too): the normalizer is asked only about the others.
    bool letters = true;
    for (char c : w) letters &= IsUpper(c) || IsLower(c);
    if (letters) return cache_.emplace(std::string(w), std::move(f)).first->second;
    absl::StatusOr<dedup::NormalizedText> t = normalizer_.Normalize(w);
    if (t.ok() && t->all_tokens.size() == 1) f = t->all_tokens[0].text;
    return cache_.emplace(std::string(w), std::move(f)).first->second;
  }

  // Takes the words `other` has folded that this folder has not (their folds are the same
  // in any folder), so that they are not folded again.
  void Absorb(WordFolder& other) { cache_.merge(other.cache_); }

 private:
  static dedup::NormalizeOptions Options() {
    dedup::NormalizeOptions o;
    o.stem = false;
    o.drop_stopwords = false;
    o.canonicalize_numbers = false;
    return o;
  }
  dedup::Normalizer normalizer_;
  absl::node_hash_map<std::string, std::string> cache_;  // node: Fold's references are stable
};

// Whether two folded spellings are one name written two ways: same first letter (or both
// vowels), same consonant skeleton, within the edit distance, and not a prefix of the other.
bool SpellingVariants(const std::string& a, const std::string& b, int max_edit_distance) {
  if (a.size() < 3 || b.size() < 3) return false;
  // "Azur..."/"Azure", "The"/"They": a prefix is a cut or an inflection, not a spelling.
  if (absl::StartsWith(a, b) || absl::StartsWith(b, a)) return false;
  if (a[0] != b[0] && !(IsVowel(a[0]) && IsVowel(b[0]))) return false;
  std::string ka = Skeleton(a), kb = Skeleton(b);
  if (ka.size() < 2 || ka != kb) return false;
  int limit = std::max(max_edit_distance, static_cast<int>(std::min(a.size(), b.size()) / 3));
  return EditDistance(a, b) <= limit;
}

// The bucket of a folded spelling (3 letters or more) that NameConflicts compares it in: its
// first letter (none for a vowel) and consonant skeleton. Spelling variants share one.
std::string SpellingBucket(const std::string& w) {
  return absl::StrCat(IsVowel(w[0]) ? "" : w.substr(0, 1), "/", Skeleton(w));
}

// LineSummaries' keys (saved in the index: a change to them, or to what they are of, changes
// kIndexFormatVersion): a spelling's (folded, as NameConflicts compares it), an acronym's or a
// "(...)"'s contents (AcronymKey), a spelling bucket's (SpellingBucket).
uint32_t SpellingKey(absl::string_view folded) {
  return static_cast<uint32_t>(dedup::Hash64(folded));
}
uint32_t AcronymKey(absl::string_view acronym) {
  return static_cast<uint32_t>(dedup::Hash64(acronym) >> 32);
}
uint64_t BucketKey(absl::string_view bucket) { return dedup::Hash64(bucket); }

// Calls fn(contents) for each "(...)" of `text` that may be an acronym (AcronymDefinitions':
// 2 to 8 bytes, the first a capital), each '(' with the first ')' after it, as FocusLines's
// names_acronym reads them.
template <typename Fn>
void ForEachParenthesized(absl::string_view text, Fn fn) {
  for (size_t open = text.find('('); open != absl::string_view::npos;
       open = text.find('(', open + 1)) {
    const size_t close = text.find(')', open + 1);
    if (close == absl::string_view::npos) break;
    const absl::string_view in = text.substr(open + 1, close - open - 1);
    if (in.size() >= 2 && in.size() <= 8 && IsUpper(in[0])) fn(in);
  }
}

// Whether `w` has a byte of 0x80 or more; eight bytes at a time.
bool HasNonAscii(absl::string_view w) {
  const char* p = w.data();
  const size_t n = w.size();
  uint64_t all = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    all |= v;
  }
  if (i < n && n >= 8) {
    uint64_t v;
    std::memcpy(&v, p + n - 8, 8);  // the last bytes, with some read already
    all |= v;
  } else {
    for (; i < n; ++i) all |= static_cast<unsigned char>(p[i]);
  }
  return (all & 0x8080808080808080ULL) != 0;
}

// A set of ASCII letters as bits 1 to 26 (a or A: bit 1, as c & 31 gives them).
uint32_t LetterBit(char c) { return uint32_t{1} << (c & 31); }

// The letters a word of ASCII letters whose lowercase has consonant skeleton `skeleton`
// (Skeleton) may hold: the vowels and 'y', the skeleton's letters, and the letters Skeleton
// turns into one of those ("ph" -> 'f', "ck", 'c' and 'q' -> 'k', 'z' -> 's'). Every letter of
// such a word is one of them, so a word with another letter is in no bucket of that skeleton.
uint32_t SkeletonLetters(absl::string_view skeleton) {
  uint32_t out = 0;
  for (char c : absl::string_view("aeiouy")) out |= LetterBit(c);
  for (char c : skeleton) out |= LetterBit(c);
  if (out & LetterBit('f')) out |= LetterBit('p') | LetterBit('h');
  if (out & LetterBit('k')) out |= LetterBit('c') | LetterBit('q');
  if (out & LetterBit('s')) out |= LetterBit('z');
  return out;
}

// Whether `s` has a curly quote (U+2018..U+201D: E2 80 98..9D) at byte i.
bool IsCurlyQuoteAt(absl::string_view s, size_t i) {
  return static_cast<unsigned char>(s[i]) == 0xE2 && i + 2 < s.size() &&
         static_cast<unsigned char>(s[i + 1]) == 0x80 &&
         static_cast<unsigned char>(s[i + 2]) >= 0x98 &&
         static_cast<unsigned char>(s[i + 2]) <= 0x9D;
}

// The lines a focused pass reads names and acronyms from: a subset of NoteLines (same order
// and texts) that gives NameConflicts and AcronymConflicts exactly the conflicts of the whole
// list that have a mention or definition on a focus line. Those are conflicts between a
// spelling mentioned on a focus line (a focus spelling) and a spelling variant of it
// (SpellingVariants: in its bucket, SpellingBucket), which read the lines of both and the
// spellings on them, and conflicts of an acronym defined on a focus line, which read every
// definition of it. So the subset is: the focus lines, every line with a capitalized word
// whose spelling is a focus spelling or a variant of one, and every line with "(ACR)" for an
// acronym ACR defined on a focus line. Lines are first selected by the buckets of the focus
// spellings, noting the spellings of those buckets on each; then those without a focus
// spelling or a variant of one are dropped. Most lines are rejected on their raw bytes (a
// line without markup reads as its own words), without building their text, and a word as
// written is looked up in a WordMemo.
//
// With options.line_summaries, the notes those know (by content) are left for a second pass,
// which reads only those that have a spelling of a variant pair, a focus spelling or its
// variant (among the spellings the summaries saved and those the first pass found in the
// other notes), or may name an acronym of a focus line: the others give no line (their
// lines' spellings have no variant pair with a focus spelling).
//
// `folder` gets the words folded here (NameConflicts reads most of them again).
VaultLines FocusLines(const Vault& vault, const ConflictOptions& options,
                      const absl::flat_hash_set<uint64_t>& focused, WordFolder* folder) {
  // Each note's focus lines, ascending.
  const int notes = static_cast<int>(vault.notes.size());
  std::vector<std::vector<int>> focus_lines(notes);
  for (uint64_t k : focused) {
    focus_lines[static_cast<int>(k >> 32)].push_back(static_cast<int>(k & 0xFFFFFFFFu));
  }
  for (std::vector<int>& v : focus_lines) std::sort(v.begin(), v.end());
  // The focus spellings (by bucket) and the acronyms the focus lines define.
  absl::flat_hash_map<std::string, std::vector<std::string>> focus_spellings;  // bucket ->
  absl::flat_hash_set<std::string> acronyms;
  for (int ni = 0; ni < notes; ++ni) {
    if (focus_lines[ni].empty()) continue;
    LineTexts lines;
    LinesOfNote(vault, ni, &lines);
    for (const LineText& l : lines.lines) {
      if (!std::binary_search(focus_lines[ni].begin(), focus_lines[ni].end(), l.line)) continue;
      for (const NameMention& m : NameMentions(l.text, 0)) {
        const std::string& f = folder->Fold(m.word);
        if (f.size() < 3) continue;
        std::vector<std::string>& in_bucket = focus_spellings[SpellingBucket(f)];
        if (std::find(in_bucket.begin(), in_bucket.end(), f) == in_bucket.end()) {
          in_bucket.push_back(f);
        }
      }
      for (const Acronym& a : AcronymDefinitions(l.text, 0)) acronyms.insert(a.acronym);
    }
  }
  const bool any_bucket = !focus_spellings.empty();
  // Per capital whose lowercase can open a spelling of those buckets (a vowel: any vowel), the
  // SkeletonLetters of each such bucket: a word of ASCII letters (a capitalized word folds to
  // its lowercase) is in a focus bucket only if its initial has one holding all its letters.
  // The initial's buckets are numbered, up to 64 (with more, its words are not ruled out), in
  // a LetterFilter: most words are ruled out after a few letters, without a lookup.
  internal::LetterFilter filter;
  std::array<int, 32> buckets_of{};  // per initial (LetterBit's bit)
  for (const auto& [b, in_bucket] : focus_spellings) {
    const uint32_t letters = SkeletonLetters(absl::string_view(b).substr(b.find('/') + 1));
    for (char c = 'a'; c <= 'z'; ++c) {
      if (b[0] != c && !(b[0] == '/' && IsVowel(c))) continue;
      const int x = c & 31;
      if (buckets_of[x] >= 64) {
        filter.opens[x] = ~uint64_t{0};
        filter.holding[x].fill(~uint64_t{0});
        continue;
      }
      const uint64_t bit = uint64_t{1} << buckets_of[x]++;
      filter.opens[x] |= bit;
      for (int y = 1; y <= 26; ++y) {
        if (letters >> y & 1) filter.holding[x][y] |= bit;
      }
    }
  }
  // Whether a word of ASCII letters may be in a focus bucket (as `filter` reads it).
  auto may_be_in_bucket = [&](absl::string_view word) {
    const std::array<uint64_t, 32>& holding = filter.holding[word[0] & 31];
    uint64_t left = filter.opens[word[0] & 31];
    for (size_t i = 1; left != 0 && i < word.size(); ++i) left &= holding[word[i] & 31];
    return left != 0;
  };
  // Per note, the lines selected by bucket: the lines, whether each is kept whatever its
  // spellings (a focus line, or one with a focus acronym), and its spellings of the buckets
  // (indexes into its thread's `spellings`).
  struct Selected {
    LineTexts lines;
    std::vector<char> always;
    // Whether the line's text is its raw line (without markup), to be read as AddBodyLine
    // reads it when the line is kept.
    std::vector<char> raw;
    std::vector<int> ids;
    std::vector<uint32_t> ids_end;
  };
  // (Made for the notes read only: most are not, with line summaries.)
  std::vector<std::unique_ptr<Selected>> per_note(notes);
  // A thread's spellings of the focus buckets, as folded (strings of its folder), and what it
  // found them by, kept from one pass to the next.
  struct Spellings {
    std::vector<const std::string*> folded;
    std::vector<std::string> bucket;
    internal::WordMemo memo;                              // word as written -> spelling or -1
    absl::flat_hash_map<absl::string_view, int> by_fold;  // keys: the folder's strings
  };
  // The notes the summaries know, by place there (-1: unknown, or read in the first pass
  // anyway), and the keys that make the second pass read a known note.
  const LineSummaries* saved = options.line_summaries != nullptr && !options.line_summaries->empty()
                                   ? options.line_summaries
                                   : nullptr;
  std::vector<ptrdiff_t> saved_at(notes, -1);
  std::atomic<size_t> notes_read{0};
  std::vector<uint32_t> second_keys;
  // Contiguous ranges of notes, one per thread, each with its own folder and memo.
  int threads = options.threads;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::max(1, std::min(threads, notes / kChunk + 1));
  // Thread t > 0 folds with folders[t - 1], thread 0 with `folder`.
  std::vector<WordFolder> folders(threads - 1);
  std::vector<Spellings> spellings(threads);
  std::vector<std::pair<int, int>> ranges(threads);
  // Pass 0 reads the notes the summaries do not know (all without them), pass 1 the known
  // ones that have a key of second_keys.
  auto work = [&](int t, int first, int last, int pass) {
    WordFolder& words = t == 0 ? *folder : folders[t - 1];
    Spellings& mine = spellings[t];
    internal::WordMemo& memo = mine.memo;
    absl::flat_hash_map<absl::string_view, int>& by_fold = mine.by_fold;
    // The spelling of word `w` (capitalized, three bytes or more) if it is in a focus bucket,
    // else -1.
    // `filtered`: a word ScanFilteredCapitalizedWords gives, which `filter` kept already.
    auto spelling_of = [&](absl::string_view w, bool filtered) {
      // A word of ASCII bytes folds to its lowercase (WordFolder; a capitalized word has no
      // other capital and no digit: letters): see may_be_in_bucket.
      if (!filtered && !may_be_in_bucket(w) && !HasNonAscii(w)) return -1;
      if (const int* known = memo.Find(w)) return *known;
      int id = -1;
      if (!IsMonthOrDayName(w)) {
        const std::string& f = words.Fold(w);
        if (f.size() >= 3) {
          std::string bucket = SpellingBucket(f);
          if (focus_spellings.contains(bucket)) {
            auto [it, fresh] = by_fold.try_emplace(f, static_cast<int>(mine.folded.size()));
            if (fresh) {
              mine.folded.push_back(&f);
              mine.bucket.push_back(std::move(bucket));
            }
            id = it->second;
          }
        }
      }
      memo.Insert(w, id);
      return id;
    };
    std::vector<int> here;
    // Adds the spelling of word `w` to `here` if it has one of the focus buckets.
    auto take = [&](absl::string_view w) {
      const int id = spelling_of(w, /*filtered=*/false);
      if (id >= 0) here.push_back(id);
    };
    // take(w) for a word ScanFilteredCapitalizedWords(..., filter, ...) gives.
    auto take_filtered = [&](absl::string_view w) {
      const int id = spelling_of(w, /*filtered=*/true);
      if (id >= 0) here.push_back(id);
    };
    // Scans `text` (a text as read: markup in it is text) for spellings of the focus buckets
    // into `here`.
    auto collect = [&](absl::string_view text) {
      here.clear();
      if (any_bucket) ScanAllCapitalizedWords</*stop_at_markup=*/false>(text, take);
    };
    // Whether `text` defines or uses an acronym of a focus line.
    auto names_acronym = [&](absl::string_view text) {
      if (acronyms.empty()) return false;
      for (size_t open = text.find('('); open != absl::string_view::npos;
           open = text.find('(', open + 1)) {
        const size_t close = text.find(')', open + 1);
        if (close == absl::string_view::npos) break;
        if (acronyms.contains(text.substr(open + 1, close - open - 1))) return true;
      }
      return false;
    };
    // Whether StripMarkdown(raw) may have a word of a focus bucket (collect) or name an acronym
    // of a focus line, judged on the raw bytes: the stripped text's bytes are bytes of `raw`
    // (some dropped, " > " added), and markup is dropped only from a byte that is no letter on.
    // So a word that starts with a capital there holds that capital's run of lowercase letters
    // in `raw` (more bytes may join it where markup was dropped), and is not capitalized when
    // the run is followed by a capital or a digit. A non-ASCII byte, a '%' (a link target is
    // URL-decoded: "[](%53mith.md)" strips to "Smith.md"), a '&', or a '(' when a focus line
    // defines an acronym, leaves the line to be stripped; but a curly quote (U+2018..U+201D,
    // E2 80 98..9D) is no word's byte (IsWordByte) in `raw` nor in the stripped text, where
    // its three bytes stay together (markup is ASCII), so it ends words as a space does.
    auto stripped_may_select = [&](absl::string_view raw) {
      const size_t n = raw.size();
      for (size_t i = 0; i < n; ++i) {
        const char c = raw[i];
        if (IsCurlyQuoteAt(raw, i)) {
          i += 2;
          continue;
        }
        if (static_cast<unsigned char>(c) >= 0x80 || c == '%' || c == '&' ||
            (c == '(' && !acronyms.empty())) {
          return true;
        }
        if (!IsUpper(c)) continue;
        size_t e = i + 1;
        while (e < n && IsLower(raw[e])) ++e;
        const bool capitalized = e == n || !(IsUpper(raw[e]) || IsDigit(raw[e]));
        if (capitalized && may_be_in_bucket(raw.substr(i, e - i))) return true;
        i = e - 1;
      }
      return false;
    };
    for (int ni = first; ni < last; ++ni) {
      if (pass == 0) {
        if (saved != nullptr && focus_lines[ni].empty()) {
          saved_at[ni] = saved->Find(vault.notes[ni].content);
        }
        if (saved_at[ni] >= 0) continue;  // known: pass 1 decides
      } else {
        if (saved_at[ni] < 0) continue;  // read in pass 0
        bool read = false;
        for (uint32_t key : second_keys) {
          if (saved->HasKey(saved_at[ni], key)) {
            read = true;
            break;
          }
        }
        if (!read) continue;
      }
      notes_read.fetch_add(1, std::memory_order_relaxed);
      per_note[ni] = std::make_unique<Selected>();  // a note is read in one pass, by one thread
      Selected& sel = *per_note[ni];
      const std::vector<int>& focus = focus_lines[ni];
      size_t next_focus = 0;
      // Whether names_acronym may be true of `raw` (a line of the note, the lines asked about
      // in order) or of a view of it: a focus line defines an acronym and `raw` has a '('. The
      // note's next '(' is found once for all the lines before it.
      const absl::string_view content = vault.notes[ni].content;
      const char* next_paren = acronyms.empty() ? content.data() + content.size() : nullptr;
      auto may_name_acronym = [&](absl::string_view raw) {
        if (next_paren != nullptr && next_paren < raw.data()) next_paren = nullptr;
        if (next_paren == nullptr) {
          const size_t from = static_cast<size_t>(raw.data() - content.data());
          const void* at = std::memchr(raw.data(), '(', content.size() - from);
          next_paren =
              at != nullptr ? static_cast<const char*>(at) : content.data() + content.size();
        }
        return next_paren < raw.data() + raw.size();
      };
      // Adds the line (its text set by add) when `always` or when `here` has a spelling. A
      // line add does not add (an empty text: AddLine, as NoteLines reads it) gets no entry:
      // sel.always, raw and ids_end are one per line of sel.lines.
      auto select = [&](bool always, bool raw, auto add) {
        if (!always && here.empty()) return;
        const size_t before = sel.lines.lines.size();
        add();
        if (sel.lines.lines.size() == before) return;
        sel.always.push_back(always);
        sel.raw.push_back(raw);
        sel.ids.insert(sel.ids.end(), here.begin(), here.end());
        sel.ids_end.push_back(static_cast<uint32_t>(sel.ids.size()));
      };
      ReadNoteLines(vault.notes[ni], [&](int line, absl::string_view raw,
                                         const absl::string_view* fm) {
        while (next_focus < focus.size() && focus[next_focus] < line) ++next_focus;
        const bool focus_line = next_focus < focus.size() && focus[next_focus] == line;
        if (fm != nullptr) {
          collect(*fm);
          select(focus_line || (may_name_acronym(raw) && names_acronym(*fm)), false,
                 [&] { AddLine(ni, line, *fm, &sel.lines); });
          return;
        }
        // One pass over the raw line: markup, else its capitalized words (a line without
        // markup reads as its own words), those `filter` rules out skipped.
        here.clear();
        const RawScan scan = any_bucket ? ScanFilteredCapitalizedWords(raw, filter, take_filtered)
                             : HasMarkup(raw) ? RawScan::kHasMarkup
                                              : RawScan::kNone;
        if (scan == RawScan::kHasMarkup) {
          if (!focus_line && !stripped_may_select(raw)) return;  // not selected
          std::string text = StripMarkdown(raw);
          collect(text);
          select(focus_line || names_acronym(text), false,
                 [&] { AddLine(ni, line, sel.lines.owned.Add(std::move(text)), &sel.lines); });
        } else {
          select(focus_line || (may_name_acronym(raw) && names_acronym(raw)), true, [&] {
            sel.lines.lines.push_back({ni, line, raw});
          });
        }
      });
    }
  };
  const int per = (notes + threads - 1) / threads;
  for (int t = 0; t < threads; ++t) {
    ranges[t] = {std::min(notes, t * per), std::min(notes, (t + 1) * per)};
  }
  auto run = [&](int pass) {
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) {
      pool.emplace_back(work, t, ranges[t].first, ranges[t].second, pass);
    }
    work(0, ranges[0].first, ranges[0].second, pass);
    for (std::thread& t : pool) t.join();
  };
  run(0);
  if (saved != nullptr) {
    // The keys of the focus spellings with a variant and of those variants, among the
    // spellings saved and those pass 0 found, and of the focus acronyms: a known note without
    // one of them gives no line (its spellings are no variant pair of the focus, it names no
    // focus acronym, it has no focus line).
    absl::flat_hash_set<uint32_t> keys;
    auto pair = [&](const std::vector<std::string>& focus_in_bucket, absl::string_view y) {
      for (const std::string& x : focus_in_bucket) {
        if (SpellingVariants(x, std::string(y), options.max_name_edit_distance)) {
          keys.insert(SpellingKey(x));
          keys.insert(SpellingKey(y));
        }
      }
    };
    // (No structured binding: Clang 15 cannot capture one in a lambda.)
    for (const auto& bucket : focus_spellings) {
      const auto& in_bucket = bucket.second;
      saved->ForEachInBucket(BucketKey(bucket.first),
                             [&](absl::string_view y) { pair(in_bucket, y); });
    }
    for (int t = 0; t < threads; ++t) {
      const Spellings& mine = spellings[t];
      for (size_t k = 0; k < mine.folded.size(); ++k) {
        pair(focus_spellings.at(mine.bucket[k]), *mine.folded[k]);
      }
    }
    for (const std::string& a : acronyms) keys.insert(AcronymKey(a));
    second_keys.assign(keys.begin(), keys.end());
    std::sort(second_keys.begin(), second_keys.end());
    if (!second_keys.empty()) run(1);
  }
  // The spellings NameConflicts compares: a focus spelling with a variant in the vault, and
  // that variant (the others' lines meet no focus spelling's conflict).
  absl::flat_hash_set<absl::string_view> wanted;  // folded
  for (int t = 0; t < threads; ++t) {
    const Spellings& mine = spellings[t];
    for (size_t k = 0; k < mine.folded.size(); ++k) {
      const std::string& y = *mine.folded[k];
      for (const std::string& x : focus_spellings.at(mine.bucket[k])) {
        if (SpellingVariants(x, y, options.max_name_edit_distance)) {
          wanted.insert(x);
          wanted.insert(y);
        }
      }
    }
  }
  // The lines kept, in note order, in one LineTexts (the texts AddBodyLine makes are owned
  // there); the notes' own texts stay in their blocks, moved over (most notes keep none).
  LineTexts kept;
  VaultLines out;
  size_t owning = 1;
  for (const std::unique_ptr<Selected>& sel : per_note) {
    owning += sel != nullptr && !sel->lines.owned.empty();
  }
  out.owned.reserve(owning);
  for (int t = 0; t < threads; ++t) {
    const Spellings& mine = spellings[t];
    std::vector<char> wanted_id(mine.folded.size(), 0);
    for (size_t k = 0; k < wanted_id.size(); ++k) wanted_id[k] = wanted.contains(*mine.folded[k]);
    for (int ni = ranges[t].first; ni < ranges[t].second; ++ni) {
      if (per_note[ni] == nullptr) continue;  // not read
      Selected& sel = *per_note[ni];
      if (!sel.lines.owned.empty()) out.owned.push_back(std::move(sel.lines.owned));
      for (size_t k = 0, id = 0; k < sel.lines.lines.size(); ++k) {
        bool keep = sel.always[k] != 0;
        for (; id < sel.ids_end[k]; ++id) keep |= wanted_id[sel.ids[id]] != 0;
        if (!keep) continue;
        const LineText& l = sel.lines.lines[k];
        if (sel.raw[k]) {
          AddBodyLine(ni, l.line, l.text, &kept, /*markup_free=*/true);
        } else {
          kept.lines.push_back(l);
        }
      }
    }
  }
  for (WordFolder& f : folders) folder->Absorb(f);
  out.lines = std::move(kept.lines);
  out.owned.push_back(std::move(kept.owned));
  out.notes_read = notes_read.load();
  return out;
}

// The conflict between two spellings: every line of each (once per spelling) among the
// mentions given, every line of one paired with every line of the other, and the more
// frequent spelling as a suggestion.
Conflict NameConflict(const Vault& vault, const std::vector<LineText>& lines,
                      const std::vector<NameMention>& a, const std::vector<NameMention>& b) {
  Conflict c;
  c.type = "name";
  std::string full[2];
  size_t count[2] = {0, 0}, first_b = 0;
  int side = 0;
  for (const std::vector<NameMention>* ms : {&a, &b}) {
    std::set<int> seen;
    if (side == 1) first_b = c.facts.size();
    for (const NameMention& m : *ms) {
      if (seen.insert(m.line_index).second) {
        const LineText& lt = lines[m.line_index];
        c.facts.push_back(
            {vault.notes[lt.note].path, lt.line, std::string(lt.text), std::string(m.full), ""});
      }
      ++count[side];
      if (m.full.size() > full[side].size()) full[side] = std::string(m.full);
    }
    ++side;
  }
  // Every fact of one spelling disagrees with every fact of the other; listing all a x b
  // pairs is quadratic in a name's mentions (hundreds in a large vault), so each fact is
  // paired with the first fact of the other spelling: linear, and every fact is covered.
  if (first_b > 0 && first_b < c.facts.size()) {
    for (size_t j = first_b; j < c.facts.size(); ++j) {
      c.pairs.push_back({0, static_cast<int>(j)});
    }
    for (size_t i = 1; i < first_b; ++i) {
      c.pairs.push_back({static_cast<int>(i), static_cast<int>(first_b)});
    }
  }
  if (count[0] != count[1]) {
    const std::string& more = count[0] > count[1] ? full[0] : full[1];
    c.suggestion = absl::StrCat("suggestion: '", more, "' is the more frequent spelling (",
                                std::max(count[0], count[1]), " vs ", std::min(count[0], count[1]),
                                " mentions)");
  }
  return c;
}

// The other words of the capitalized run a mention is in, folded and sorted ("lars" for
// "Dorcason" in "Lars Dorcason"); none for a word written alone.
std::vector<std::string> Companions(const NameMention& m, WordFolder& folder) {
  std::vector<std::string> out;
  for (const Word& w : Words(m.full)) {
    if (w.text.data() == m.word.data()) continue;  // the mention's own word
    if (IsMonthOrDayName(w.text)) continue;
    out.push_back(folder.Fold(w.text));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The mentions of spellings `a` and `b` that can name one person: a mention written alone
// can be anyone of that spelling; a mention in a run ("Lars Dorcason") is the same person as
// a mention of the other spelling written alone or sharing a run word with it ("Jonsi
// Stephenson" / "Jonsi Stefanson"). Two spellings whose runs share no word and that are
// never written alone are different people (both outputs empty).
void SameEntityMentions(const std::vector<NameMention>& a, const std::vector<NameMention>& b,
                        WordFolder& folder, std::vector<NameMention>* out_a,
                        std::vector<NameMention>* out_b) {
  std::vector<std::vector<std::string>> ca, cb;
  for (const NameMention& m : a) ca.push_back(Companions(m, folder));
  for (const NameMention& m : b) cb.push_back(Companions(m, folder));
  // Per side: whether some mention is alone, and every run word.
  auto summarize = [](const std::vector<std::vector<std::string>>& c, bool* alone,
                      std::set<std::string>* all) {
    for (const std::vector<std::string>& words : c) {
      if (words.empty()) *alone = true;
      all->insert(words.begin(), words.end());
    }
  };
  bool alone_a = false, alone_b = false;
  std::set<std::string> all_a, all_b;
  summarize(ca, &alone_a, &all_a);
  summarize(cb, &alone_b, &all_b);
  auto keep = [](const std::vector<NameMention>& ms, const std::vector<std::vector<std::string>>& c,
                 bool other_alone, const std::set<std::string>& other_words,
                 std::vector<NameMention>* out) {
    for (size_t i = 0; i < ms.size(); ++i) {
      bool same = other_alone || c[i].empty();
      for (size_t k = 0; !same && k < c[i].size(); ++k) same = other_words.count(c[i][k]) > 0;
      if (same) out->push_back(ms[i]);
    }
  };
  keep(a, ca, alone_b, all_b, out_a);
  keep(b, cb, alone_a, all_a, out_b);
  if (out_a->empty() || out_b->empty()) {
    out_a->clear();
    out_b->clear();
  }
}

// Name spellings over every line: capitalized words that are spelling variants of each other,
// share context (another capitalized word seen with both) and can name one person
// (SameEntityMentions).
// Keys for LineSummaries, when not null: `note_keys` gets each note's spelling keys (per
// note of `lines`, unsorted), `saved` every spelling of three bytes or more with its bucket's
// key.
struct SummaryKeys {
  std::vector<std::vector<uint32_t>> note_keys;
  std::vector<std::pair<uint64_t, std::string>> spellings;
};

void NameConflicts(const Vault& vault, const std::vector<LineText>& lines,
                   const ConflictOptions& options, const std::vector<char>* line_focus,
                   WordFolder& folder, std::vector<Conflict>* out, SummaryKeys* summary_keys) {
  // Spellings (folded words) by id, first seen first; each one's mentions in line order; and
  // the distinct spellings of each line.
  absl::flat_hash_map<absl::string_view, int> spelling_id;  // keys: the folder's strings
  std::vector<const std::string*> spelling;
  // Each spelling's mentions as their lines (one entry per mention, in line order): the
  // mentions themselves (40 bytes each, 200 MB at 1M facts) are found again, from their lines,
  // for the few spellings that are compared as variants.
  std::vector<std::vector<int>> mention_lines;
  // Line li's distinct spellings, ascending: spellings_of[spellings_begin[li], [li + 1]).
  std::vector<int> spellings_of;
  std::vector<size_t> spellings_begin = {0};
  spellings_begin.reserve(lines.size() + 1);
  // The mentions' words (NameMentions' words: capitalized, not a month or a day, in line
  // order; months and days are told apart below) are found in parallel, a block of lines at a time,
  // without building the mentions (their runs are read again only for the spellings compared); per
  // chunk of kChunk lines, the words and where each line's end. Spellings are numbered in line
  // order.
  struct ChunkWords {
    std::vector<absl::string_view> words;
    std::vector<size_t> ends;
  };
  constexpr int kBlock = 1 << 15;
  static_assert(kBlock % kChunk == 0);
  const int line_count = static_cast<int>(lines.size());
  std::vector<ChunkWords> chunk_words(kBlock / kChunk);
  std::vector<int> here;
  internal::WordMemo id_of_word;  // word as written -> its spelling's id
  for (int first = 0; first < line_count; first += kBlock) {
    const int count = std::min(kBlock, line_count - first);
    ParallelChunks(options.threads, count, [&](int b, int e) {
      ChunkWords& cw = chunk_words[b / kChunk];
      cw.words.clear();
      cw.ends.clear();
      for (int k = b; k < e; ++k) {
        // ForEachCapitalizedWord, sixteen bytes at a time where no capital is.
        ScanAllCapitalizedWords</*stop_at_markup=*/false>(
            lines[first + k].text, [&](absl::string_view w) { cw.words.push_back(w); });
        cw.ends.push_back(cw.words.size());
      }
    });
    for (int k = 0; k < count; ++k) {
      const int li = first + k;
      const ChunkWords& cw = chunk_words[k / kChunk];
      const size_t end = cw.ends[k % kChunk];
      here.clear();
      for (size_t x = k % kChunk == 0 ? 0 : cw.ends[k % kChunk - 1]; x < end; ++x) {
        // A word as written maps to its spelling's id once; a repeat costs one lookup.
        // A month or a day is no name (-1): told once per word as written, not per mention.
        const int* known = id_of_word.Find(cw.words[x]);
        int id;
        if (known != nullptr) {
          id = *known;
        } else if (IsMonthOrDayName(cw.words[x])) {
          id = -1;
          id_of_word.Insert(cw.words[x], id);
        } else {
          const std::string& f = folder.Fold(cw.words[x]);
          auto [it, fresh] = spelling_id.try_emplace(f, static_cast<int>(spelling.size()));
          if (fresh) {
            spelling.push_back(&f);
            mention_lines.emplace_back();
          }
          id = it->second;
          id_of_word.Insert(cw.words[x], id);
        }
        if (id < 0) continue;
        mention_lines[id].push_back(li);
        here.push_back(id);
      }
      if (here.size() > 1) {
        std::sort(here.begin(), here.end());
        here.erase(std::unique(here.begin(), here.end()), here.end());
      }
      spellings_of.insert(spellings_of.end(), here.begin(), here.end());
      spellings_begin.push_back(spellings_of.size());
    }
  }
  std::vector<ChunkWords>().swap(chunk_words);
  // Spelling variants share their first letter (or both start with a vowel) and consonant
  // skeleton, so only spellings in one bucket of those are compared; buckets in key order,
  // spellings in each in alphabetical order.
  std::vector<int> by_text(spelling.size());
  for (size_t i = 0; i < by_text.size(); ++i) by_text[i] = static_cast<int>(i);
  std::sort(by_text.begin(), by_text.end(),
            [&](int a, int b) { return *spelling[a] < *spelling[b]; });
  std::map<std::string, std::vector<int>> buckets;
  for (int id : by_text) {
    const std::string& w = *spelling[id];
    if (w.size() < 3) continue;
    buckets[SpellingBucket(w)].push_back(id);
  }
  if (summary_keys != nullptr) {
    // Each note's spellings: its lines' (distinct per line), each spelling once per note.
    std::vector<uint32_t> key(spelling.size(), 0);
    std::vector<int> last_note(spelling.size(), -1);
    for (const auto& [b, ids] : buckets) {
      const uint64_t bucket_key = BucketKey(b);
      for (int id : ids) {
        key[id] = SpellingKey(*spelling[id]);
        summary_keys->spellings.emplace_back(bucket_key, *spelling[id]);
      }
    }
    for (int li = 0; li < line_count; ++li) {
      const int note = lines[li].note;
      std::vector<uint32_t>& keys = summary_keys->note_keys[note];
      for (size_t k = spellings_begin[li]; k < spellings_begin[li + 1]; ++k) {
        const int id = spellings_of[k];
        if (last_note[id] == note || spelling[id]->size() < 3) continue;
        last_note[id] = note;
        keys.push_back(key[id]);
      }
    }
  }
  auto focused = [&](int id) {
    for (int li : mention_lines[id]) {
      if ((*line_focus)[li]) return true;
    }
    return false;
  };
  // The mentions of spelling `id`, in line order (as NameMentions finds them on each line).
  auto mentions_of = [&](int id) {
    std::vector<NameMention> found;
    int last = -1;
    for (int li : mention_lines[id]) {
      if (li == last) continue;  // a line that mentions it twice gives both below
      last = li;
      for (const NameMention& m : NameMentions(lines[li].text, li)) {
        if (folder.Fold(m.word) == *spelling[id]) found.push_back(m);
      }
    }
    return found;
  };
  // The spellings seen on a line with `id` (its context), computed for the spellings compared.
  std::vector<std::vector<int>> context(spelling.size());
  std::vector<char> has_context(spelling.size(), 0);
  auto context_of = [&](int id) -> const std::vector<int>& {
    if (!has_context[id]) {
      has_context[id] = 1;
      std::vector<int>& c = context[id];
      for (int li : mention_lines[id]) {
        for (size_t k = spellings_begin[li]; k < spellings_begin[li + 1]; ++k) {
          if (spellings_of[k] != id) c.push_back(spellings_of[k]);
        }
      }
      std::sort(c.begin(), c.end());
      c.erase(std::unique(c.begin(), c.end()), c.end());
    }
    return context[id];
  };
  for (const auto& [key, ids] : buckets) {
    for (size_t i = 0; i < ids.size(); ++i) {
      for (size_t j = i + 1; j < ids.size(); ++j) {
        const int x = ids[i], y = ids[j];
        if (line_focus != nullptr && !focused(x) && !focused(y)) continue;
        if (!SpellingVariants(*spelling[x], *spelling[y], options.max_name_edit_distance)) {
          continue;
        }
        // Shared context: another capitalized word seen with both spellings.
        const std::vector<int>& ca = context_of(x);
        const std::vector<int>& cb = context_of(y);
        std::vector<int> shared;
        std::set_intersection(ca.begin(), ca.end(), cb.begin(), cb.end(),
                              std::back_inserter(shared));
        if (shared.empty()) continue;
        // Only mentions that can be one person: "Lars Dorcason" and "Hiroshi Dorkason" are
        // two people whose surnames look alike, "Jonsi Stephenson" / "Jonsi Stefanson" and
        // "Maneesh Sah" / "Manish" are one written two ways.
        std::vector<NameMention> mx, my;
        SameEntityMentions(mentions_of(x), mentions_of(y), folder, &mx, &my);
        if (!mx.empty()) out->push_back(NameConflict(vault, lines, mx, my));
      }
    }
  }
}

// An acronym expanded two ways ("Microsoft AI (MAI)" / "Microsoft AI Infrastructure (MAI)").
void AcronymConflicts(const Vault& vault, const std::vector<LineText>& lines,
                      const std::vector<char>* line_focus, std::vector<Conflict>* out,
                      SummaryKeys* summary_keys) {
  std::vector<Acronym> acronyms;
  for (int li = 0; li < static_cast<int>(lines.size()); ++li) {
    // A definition is written "... (ACR)".
    if (lines[li].text.find('(') == absl::string_view::npos) continue;
    if (summary_keys != nullptr) {
      ForEachParenthesized(lines[li].text, [&](absl::string_view in) {
        summary_keys->note_keys[lines[li].note].push_back(AcronymKey(in));
      });
    }
    for (Acronym& a : AcronymDefinitions(lines[li].text, li)) acronyms.push_back(std::move(a));
  }
  std::map<std::string, std::map<std::string, std::vector<const Acronym*>>> by_acronym;
  for (const Acronym& a : acronyms) by_acronym[a.acronym][FoldKey(a.expansion)].push_back(&a);
  for (const auto& [acr, expansions] : by_acronym) {
    if (expansions.size() < 2) continue;
    if (line_focus != nullptr) {
      bool focused = false;
      for (const auto& [key, defs] : expansions) {
        for (const Acronym* d : defs) focused |= (*line_focus)[d->line_index] != 0;
      }
      if (!focused) continue;
    }
    Conflict c;
    c.type = "acronym";
    size_t most = 0;
    std::string most_exp;
    bool tie = false;
    std::vector<int> expansion_of;  // per fact: which expansion it writes
    int e = 0;
    for (const auto& [key, defs] : expansions) {
      for (const Acronym* d : defs) {
        const LineText& lt = lines[d->line_index];
        c.facts.push_back(
            {vault.notes[lt.note].path, lt.line, std::string(lt.text), d->written, ""});
        expansion_of.push_back(e);
      }
      ++e;
      if (defs.size() > most) {
        most = defs.size(), most_exp = defs[0]->written, tie = false;
      } else if (defs.size() == most) {
        tie = true;
      }
    }
    for (size_t i = 0; i < c.facts.size(); ++i) {
      for (size_t j = i + 1; j < c.facts.size(); ++j) {
        if (expansion_of[i] != expansion_of[j]) {
          c.pairs.push_back({static_cast<int>(i), static_cast<int>(j)});
        }
      }
    }
    if (!tie) {
      c.suggestion = absl::StrCat("suggestion: '", most_exp, "' is the more frequent expansion");
    }
    out->push_back(std::move(c));
  }
}

// Frontmatter keys that differ between versions of one note (sync-conflict copies). With
// `focused` (focus locations, FocusKeys), only the versions of the notes with a focus line:
// a conflict's facts are lines of two versions of one note, so no other can touch the focus.
void FrontmatterConflicts(const Vault& vault, const absl::flat_hash_set<uint64_t>* focused,
                          std::vector<Conflict>* out) {
  absl::flat_hash_set<std::string> focus_bases;
  if (focused != nullptr) {
    for (uint64_t k : *focused) focus_bases.insert(BaseNotePath(vault.notes[k >> 32].path));
    if (focus_bases.empty()) return;
  }
  std::map<std::string, std::vector<int>> versions;
  for (size_t i = 0; i < vault.notes.size(); ++i) {
    std::string base = BaseNotePath(vault.notes[i].path);
    if (focused != nullptr && !focus_bases.contains(base)) continue;
    versions[std::move(base)].push_back(static_cast<int>(i));
  }
  auto value_of = [](const FrontmatterKey& k) {
    return k.is_list ? absl::StrJoin(k.items, ", ") : Unquote(k.value);
  };
  for (const auto& [base, ids] : versions) {
    if (ids.size() < 2) continue;
    int base_id = vault.FindNote(base);
    if (base_id < 0) base_id = ids[0];
    const Note& bn = vault.notes[base_id];
    for (int id : ids) {
      if (id == base_id) continue;
      const Note& vn = vault.notes[id];
      for (const FrontmatterKey& k : bn.frontmatter.keys) {
        const FrontmatterKey* o = vn.frontmatter.Find(k.key);
        if (!o) continue;
        std::string v1 = value_of(k), v2 = value_of(*o);
        if (v1 == v2) continue;
        Conflict c;
        c.type = "frontmatter";
        c.facts.push_back({bn.path, k.line, absl::StrCat(k.key, ": ", v1), v1, k.key});
        c.facts.push_back({vn.path, o->line, absl::StrCat(o->key, ": ", v2), v2, o->key});
        c.pairs.push_back({0, 1});
        int d1 = 0, d2 = 0;
        if (ParseIsoDate(v1, &d1) > 0 && ParseIsoDate(v2, &d2) > 0 && d1 != d2) {
          c.suggestion = absl::StrCat("suggestion: keep the later date '", d1 > d2 ? v1 : v2, "' (",
                                      d1 > d2 ? bn.path : vn.path, ")");
        }
        out->push_back(std::move(c));
      }
    }
  }
}

int TypeRank(const std::string& t) {
  static const char* kOrder[] = {"value", "polarity", "name", "acronym", "frontmatter", "update"};
  for (int i = 0; i < 6; ++i) {
    if (t == kOrder[i]) return i;
  }
  return 6;
}

}  // namespace

bool IsContradiction(const Conflict& c) { return c.type != "update"; }

uint64_t ClaimKey(absl::string_view display, int note_day) {
  return dedup::Hash64(display) ^ (static_cast<uint64_t>(note_day) * 0x9E3779B97F4A7C15ULL);
}

namespace {

// Focus locations as note index << 32 | line.
absl::flat_hash_set<uint64_t> FocusKeys(const Vault& vault, const LineSet* focus) {
  absl::flat_hash_set<uint64_t> focused;
  if (focus != nullptr) {
    for (const auto& [path, line] : *focus) {
      const int note = vault.FindNote(path);
      if (note >= 0)
        focused.insert(uint64_t{static_cast<uint32_t>(note)} << 32 | static_cast<uint32_t>(line));
    }
  }
  return focused;
}

bool AtFocus(const absl::flat_hash_set<uint64_t>& focused, int note, int line) {
  return focused.contains(uint64_t{static_cast<uint32_t>(note)} << 32 |
                          static_cast<uint32_t>(line));
}

void LineStages(const Vault& vault, const ConflictOptions& options, const LineSet* focus,
                const absl::flat_hash_set<uint64_t>& focused, std::vector<Conflict>* out,
                LineSummaries* summaries, size_t* notes_read = nullptr) {
  WordFolder folder;
  const VaultLines vault_lines = focus != nullptr ? FocusLines(vault, options, focused, &folder)
                                                  : NoteLines(vault, options.threads);
  if (notes_read != nullptr) {
    *notes_read = focus != nullptr ? vault_lines.notes_read : vault.notes.size();
  }
  const std::vector<LineText>& lines = vault_lines.lines;
  std::vector<char> line_focus;
  if (focus != nullptr) {
    for (const LineText& l : lines) line_focus.push_back(AtFocus(focused, l.note, l.line));
  }
  std::optional<SummaryKeys> keys;
  if (summaries != nullptr && focus == nullptr) {
    keys.emplace();
    keys->note_keys.resize(vault.notes.size());
  }
  SummaryKeys* summary_keys = keys ? &*keys : nullptr;
  NameConflicts(vault, lines, options, focus ? &line_focus : nullptr, folder, out, summary_keys);
  AcronymConflicts(vault, lines, focus ? &line_focus : nullptr, out, summary_keys);
  FrontmatterConflicts(vault, focus != nullptr ? &focused : nullptr, out);
  if (keys) {
    *summaries = MakeLineSummaries(vault, std::move(keys->note_keys), std::move(keys->spellings));
  }
}

}  // namespace

LineConflicts FindLineConflicts(const Vault& vault, const ConflictOptions& options,
                                const LineSet* focus, LineSummaries* summaries) {
  LineConflicts out;
  LineStages(vault, options, focus, FocusKeys(vault, focus), &out.conflicts, summaries,
             &out.notes_read);
  return out;
}

absl::StatusOr<std::vector<Conflict>> FindConflicts(const Vault& vault, const ScanResult& scan,
                                                    const ConflictOptions& options,
                                                    const LineSet* focus,
                                                    const ClaimCache* previous, ClaimCache* next,
                                                    const LineConflicts* lines,
                                                    LineSummaries* summaries) {
  const absl::flat_hash_set<uint64_t> focused = FocusKeys(vault, focus);
  auto at = [&](int note, int line) { return static_cast<char>(AtFocus(focused, note, line)); };
  std::vector<Conflict> out;
  // The line-level stages (names, acronyms, frontmatter) read only the vault and the focus.
  // Unless the caller has them (`lines`), they run on a thread of their own beside the
  // fact-level stages, whose serial parts (the postings, the groups) leave a core free. Their
  // lines' texts are mostly views of the notes and are freed before the fact-level stages
  // peak: at 1M facts the stage's resident memory peaked at about 1690 MB either way (the
  // run's peak, 1825 MB, comes later). Their conflicts follow the fact-level ones either way.
  std::vector<Conflict> line_out;
  auto line_stages = [&] { LineStages(vault, options, focus, focused, &line_out, summaries); };
  const int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  std::jthread beside;  // joined however this returns
  if (lines == nullptr && threads > 1) {
    try {
      beside = std::jthread(line_stages);
    } catch (const std::system_error&) {  // no thread: after the fact-level stages
    }
  }
  {
    FactContext ctx{vault, scan, options, {}, {}, {}, {}, {}, {}};
    std::vector<char> fact_focus;
    if (focus != nullptr) {
      // Only the facts of a note with a focus line are looked up.
      std::vector<char> note_focused(vault.notes.size(), 0);
      for (uint64_t k : focused) note_focused[k >> 32] = 1;
      fact_focus.assign(scan.facts.size(), 0);
      for (size_t i = 0; i < scan.facts.size(); ++i) {
        const int note = scan.facts[i].note;
        if (note_focused[note])
          fact_focus[i] = at(note, scan.fact(vault, static_cast<int>(i)).line);
      }
    }
    if (absl::Status s = BuildContext(&ctx, focus ? &fact_focus : nullptr, previous, next);
        !s.ok()) {
      return s;
    }
    const PairFindings found = FindPairFindings(ctx, focus ? &fact_focus : nullptr);
    GroupFindings(ctx, found.value, "value", &out);
    GroupFindings(ctx, found.polarity, "polarity", &out);
    LinkFolderConflicts(vault, &out);
    UpdateFindings(ctx, found.update, &out);
    if (!ctx.error.ok()) return ctx.error;
    // The facts' slots and claims are freed on the pass's threads, not one by one at the end
    // of the block (at 1M facts that took a noticeable share of the stage).
    ctx.slots.Free([&](int n, auto fn) { ParallelChunks(options.threads, n, fn); });
    if (focus == nullptr) {
      ParallelChunks(options.threads, ctx.size(), [&](int first, int last) {
        for (int i = first; i < last; ++i) ctx.claim[i].reset();
      });
    }
  }
  if (lines != nullptr) {
    out.insert(out.end(), lines->conflicts.begin(), lines->conflicts.end());
  } else {
    if (beside.joinable()) {
      beside.join();
    } else {
      line_stages();
    }
    out.insert(out.end(), std::make_move_iterator(line_out.begin()),
               std::make_move_iterator(line_out.end()));
  }
  if (focus != nullptr) {
    auto touches_focus = [&](const Conflict& c) {
      for (const ConflictFact& f : c.facts) {
        if (focus->count({f.path, f.line})) return true;
      }
      return false;
    };
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const Conflict& c) { return !touches_focus(c); }),
              out.end());
  }
  std::stable_sort(out.begin(), out.end(), [&](const Conflict& a, const Conflict& b) {
    if (TypeRank(a.type) != TypeRank(b.type)) return TypeRank(a.type) < TypeRank(b.type);
    return std::tie(a.facts[0].path, a.facts[0].line) < std::tie(b.facts[0].path, b.facts[0].line);
  });
  return out;
}

bool IsConflictGold(absl::string_view content) {
  return absl::StartsWith(content, "type\tpath1\tline1\tpath2\tline2");
}

namespace {

struct GoldRow {
  std::string type, path1, path2;
  int line1 = 0, line2 = 0;
  std::string Name() const {
    return absl::StrCat(type, " ", path1, ":", line1, " ", path2, ":", line2);
  }
};

bool IsNegativeType(absl::string_view t) {
  return t == "update" || t == "same_value" || t == "range" || t == "format";
}

bool IsPositiveType(absl::string_view t) {
  return t == "value" || t == "polarity" || t == "name" || t == "acronym" || t == "frontmatter";
}

absl::StatusOr<std::vector<GoldRow>> ParseGoldRows(absl::string_view tsv) {
  std::vector<GoldRow> rows;
  int row = 0;
  for (absl::string_view line : absl::StrSplit(tsv, '\n')) {
    ++row;
    line = absl::StripSuffix(line, "\r");
    if (row == 1 || line.empty()) continue;
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    GoldRow r;
    if (f.size() < 5 || !absl::SimpleAtoi(f[2], &r.line1) || !absl::SimpleAtoi(f[4], &r.line2)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", row, ": bad row"));
    }
    if (!IsPositiveType(f[0]) && !IsNegativeType(f[0])) {
      return absl::InvalidArgumentError(absl::StrCat("line ", row, ": unknown type '", f[0], "'"));
    }
    r.type = f[0], r.path1 = f[1], r.path2 = f[3];
    rows.push_back(std::move(r));
  }
  return rows;
}

bool At(const ConflictFact& f, const std::string& path, int line) {
  return f.path == path && f.line == line;
}

// Whether `c` has a fact at (path1, line1) and another at (path2, line2).
bool HasBoth(const Conflict& c, const GoldRow& r) {
  for (size_t x = 0; x < c.facts.size(); ++x) {
    if (!At(c.facts[x], r.path1, r.line1)) continue;
    for (size_t y = 0; y < c.facts.size(); ++y) {
      if (y != x && At(c.facts[y], r.path2, r.line2)) return true;
    }
  }
  return false;
}

// Whether `c` lists the two locations as a disagreeing pair.
bool PairsBoth(const Conflict& c, const GoldRow& r) {
  for (const auto& [x, y] : c.pairs) {
    const ConflictFact& a = c.facts[x];
    const ConflictFact& b = c.facts[y];
    if ((At(a, r.path1, r.line1) && At(b, r.path2, r.line2)) ||
        (At(b, r.path1, r.line1) && At(a, r.path2, r.line2))) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<ConflictMetrics> EvaluateConflicts(const std::vector<Conflict>& conflicts,
                                                  absl::string_view gold_tsv) {
  if (!IsConflictGold(gold_tsv)) {
    return absl::InvalidArgumentError("not a conflicts gold file (header type\\tpath1\\tline1...)");
  }
  absl::StatusOr<std::vector<GoldRow>> rows = ParseGoldRows(gold_tsv);
  if (!rows.ok()) return rows.status();
  ConflictMetrics m;
  std::vector<bool> correct(conflicts.size(), false);
  for (const GoldRow& r : *rows) {
    if (IsNegativeType(r.type)) {
      ++m.negatives;
      bool alarm = false;
      for (const Conflict& c : conflicts) alarm |= IsContradiction(c) && PairsBoth(c, r);
      if (alarm) {
        ++m.false_alarms;
        m.alarms.push_back(r.Name());
      }
      if (r.type == "update") {
        ++m.update_rows;
        bool first = false, second = false;
        for (const Conflict& c : conflicts) {
          if (IsContradiction(c)) continue;
          for (const ConflictFact& f : c.facts) {
            first |= At(f, r.path1, r.line1);
            second |= At(f, r.path2, r.line2);
          }
        }
        m.updates_found += first && second;
      }
      continue;
    }
    ++m.gold;
    bool found = false;
    for (size_t i = 0; i < conflicts.size(); ++i) {
      const Conflict& c = conflicts[i];
      if (!IsContradiction(c) || c.type != r.type || !HasBoth(c, r)) continue;
      found = true;
      correct[i] = true;
    }
    if (found) {
      ++m.found_gold;
    } else {
      m.missed.push_back(r.Name());
    }
  }
  if (m.gold == 0) return m;  // a file of negatives only: precision is not measured
  for (size_t i = 0; i < conflicts.size(); ++i) {
    if (!IsContradiction(conflicts[i])) continue;
    ++m.reported;
    if (correct[i]) {
      ++m.correct;
    } else {
      std::vector<std::string> locs;
      for (const ConflictFact& f : conflicts[i].facts) locs.push_back(Loc(f));
      m.unmatched.push_back(absl::StrCat(conflicts[i].type, " ", absl::StrJoin(locs, " ")));
    }
  }
  return m;
}

}  // namespace factdedup::provenance
