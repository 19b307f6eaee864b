#include "dedup/normalize.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "dedup/internal/mojibake.h"
#include "dedup/internal/normalize_internal.h"
#include "dedup/internal/numbers.h"
#include "dedup/internal/stemmer.h"
#include "dedup/internal/stopwords.h"
#include "dedup/internal/unicode.h"

// Pipeline (see normalize.h for the contract):
//   1. ASCII input (with at most a few quotes, dashes, NBSP and "…" besides) is cleaned in one
//      pass that does what steps 2-3 do to it (internal/unicode.h: CleanSimpleText).
//   2. Ill-formed UTF-8 -> U+FFFD; mojibake repair; NFKC; quotes, dashes, spaces -> ASCII.
//   3. Collapse white space; strip a trailing "..." (NFKC has turned "…" into "...").
//   4. Segment words: by hand if the cleaned text is ASCII, else ICU's word BreakIterator.
//      If the ellipsis touched the last word ("scr..."), that word is cut off: it stays in
//      `clean` (it is what the text says) but is dropped from the tokens, since a prefix of a
//      word would never match the full word in the other fact.
//   5. Numbers, money, percentages, quantities and dates -> canonical tokens
//      (internal/numbers.h documents the forms).
//   6. Every other word: possessive "'s" stripped, "n't" split off as "not", name
//      detection, case folding, accent folding, stop-word test, Snowball stemming. ASCII
//      words take a hand-written path that gives the same result.

namespace factdedup::dedup {
namespace internal {
namespace {

bool IsSentenceEnd(absl::string_view gap) {
  for (char c : gap) {
    if (c == '.' || c == '!' || c == '?') return true;
  }
  return false;
}

bool IsAsciiLetters(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

// AddAscii's table: per byte, its ASCII lower case in the low byte, kFoldUpper for 'A'..'Z'
// and kFoldNotLetter for a byte that is no letter (of either case).
constexpr uint16_t kFoldUpper = 0x100;
constexpr uint16_t kFoldNotLetter = 0x200;
constexpr std::array<uint16_t, 256> kFoldTable = [] {
  std::array<uint16_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower = c >= 'a' && c <= 'z';
    t[c] = static_cast<uint16_t>((upper ? c + ('a' - 'A') : c) | (upper ? kFoldUpper : 0) |
                                 (upper || lower ? 0 : kFoldNotLetter));
  }
  return t;
}();

// What Push needs of a folded word of lower-case ASCII letters, memoized per thread: whether
// it is a stop word, and its stem (StemEnglishView). Direct-mapped: a word evicts the one in
// its slot. Words of more than kMaxWord bytes, or stems longer than that, are not kept.
class WordMemo {
 public:
  static constexpr size_t kMaxWord = 22;

  // A word as its memo key: its bytes, zero padded, and its length in the last byte (words
  // hold no NUL byte). Fill bytes() (size() of them), then look up.
  struct Key {
    uint64_t w[3] = {0, 0, 0};
    char* bytes() { return reinterpret_cast<char*>(w); }
    void SetSize(size_t n) {
      reinterpret_cast<unsigned char*>(w)[23] = static_cast<unsigned char>(n);
    }
    absl::string_view view() const {
      return absl::string_view(reinterpret_cast<const char*>(w),
                               reinterpret_cast<const unsigned char*>(w)[23]);
    }
  };

  // Sets *stop and *stem (valid until the next call) for `key`'s word.
  void Get(const Key& key, bool* stop, absl::string_view* stem) {
    if (table_ == nullptr) table_ = std::make_unique<Entry[]>(kSlots);
    const uint64_t h = (key.w[0] * 0x9E3779B97F4A7C15ULL) ^ (key.w[1] * 0xC2B2AE3D27D4EB4FULL) ^
                       (key.w[2] * 0x165667B19E3779F9ULL);
    Entry& e = table_[static_cast<size_t>((h ^ (h >> 29)) >> (64 - kSlotBits))];
    if (e.key[0] != key.w[0] || e.key[1] != key.w[1] || e.key[2] != key.w[2]) {
      const absl::string_view word = key.view();
      const absl::string_view stemmed = StemEnglishView(word);
      if (stemmed.size() > kMaxWord) {  // never for English stems; not kept
        *stop = IsStopword(word);
        *stem = stemmed;
        return;
      }
      std::copy(std::begin(key.w), std::end(key.w), e.key);
      std::copy(stemmed.begin(), stemmed.end(), e.stem);
      e.stem_size = static_cast<uint8_t>(stemmed.size());
      e.stop = IsStopword(word);
    }
    *stop = e.stop;
    *stem = absl::string_view(e.stem, e.stem_size);
  }

 private:
  static constexpr int kSlotBits = 14;
  static constexpr size_t kSlots = size_t{1} << kSlotBits;
  struct Entry {
    uint64_t key[3] = {0, 0, 0};  // all zero: empty (a key's size byte is never 0)
    char stem[kMaxWord];
    uint8_t stem_size = 0;
    bool stop = false;
  };
  std::unique_ptr<Entry[]> table_;  // kSlots, allocated on first use
};

class WordSink {
 public:
  // `general`: take the general (Unicode) path for ASCII words too (AsciiPath::kForceIcu).
  // `ascii`: every word will be ASCII.
  WordSink(const NormalizeOptions& options, bool general, bool ascii, NormalizedText* out)
      : options_(options), general_(general), ascii_(ascii), out_(out) {}

  // One raw word from segmentation. `sentence_initial`: the first word of a sentence.
  void Add(absl::string_view raw, bool sentence_initial) {
    if (raw.size() > 2 && (absl::EndsWith(raw, "'s") || absl::EndsWith(raw, "'S"))) {
      raw.remove_suffix(2);  // possessive
    }
    if (raw.empty()) return;
    if (!general_ && (ascii_ || IsAscii(raw))) {
      AddAscii(raw, sentence_initial);
    } else {
      AddGeneral(raw, sentence_initial);
    }
  }

 private:
  enum Case { kOther, kLowercase, kCapitalized };

  void AddGeneral(absl::string_view raw, bool sentence_initial) {
    const bool is_name = StartsUpper(raw) && (!sentence_initial || HasInnerUpper(raw));
    std::string folded = FoldCase(raw);
    // FoldAccents leaves ASCII as it is (most words): skip its copy.
    if (options_.fold_accents && !IsAscii(folded)) folded = FoldAccents(folded);
    AddFolded(folded, is_name, StartsUpper(raw) ? kCapitalized : kLowercase);
  }

  // AddGeneral for an ASCII word: StartsUpper, HasInnerUpper and FoldCase in one pass, no
  // accents to fold, and the stop-word test and stem of a word of letters memoized.
  void AddAscii(absl::string_view raw, bool sentence_initial) {
    const size_t n = raw.size();
    WordMemo::Key key;
    char* folded;
    if (n <= WordMemo::kMaxWord) {
      folded = key.bytes();
      key.SetSize(n);
    } else {
      folded_.resize(n);
      folded = folded_.data();
    }
    // One table load per byte gives its lower case and its flags; the flags of every byte
    // after the first are or-ed together.
    const auto* r = reinterpret_cast<const unsigned char*>(raw.data());
    uint16_t f = kFoldTable[r[0]];
    folded[0] = static_cast<char>(f);
    const bool starts_upper = (f & kFoldUpper) != 0;
    unsigned flags = f;
    unsigned inner = 0;
    for (size_t k = 1; k < n; ++k) {
      f = kFoldTable[r[k]];
      folded[k] = static_cast<char>(f);
      inner |= f;
    }
    flags |= inner;
    const bool inner_upper = (inner & kFoldUpper) != 0;
    const bool letters = (flags & kFoldNotLetter) == 0;  // lower-case letters only, once folded
    const bool is_name = starts_upper && (!sentence_initial || inner_upper);
    const Case c = starts_upper ? kCapitalized : kLowercase;
    const absl::string_view word(folded, n);
    if (letters) {  // neither "n't" nor "cannot" is a word of letters only: "cannot" is
      if (word == "cannot") {
        AddFolded(word, is_name, c);
      } else if (options_.stem && n <= WordMemo::kMaxWord) {
        bool stop;
        absl::string_view stem;
        thread_local WordMemo memo;
        memo.Get(key, &stop, &stem);
        Emit(stem, stop, is_name, c);
      } else {
        Push(word, is_name, c);
      }
      return;
    }
    AddFolded(word, is_name, c);
  }

  void AddFolded(absl::string_view folded, bool is_name, Case c) {
    if (folded.size() > 3 && absl::EndsWith(folded, "n't")) {
      absl::string_view base = folded.substr(0, folded.size() - 3);
      if (base == "ca") base = "can";
      if (base == "wo") base = "will";
      if (base == "sha") base = "shall";
      Push(base, false);
      Push("not", false);
      return;
    }
    if (folded == "cannot") {
      Push("can", false);
      Push("not", false);
      return;
    }
    Push(folded, is_name, c);
  }

  void Push(absl::string_view folded, bool is_name, Case c = kOther) {
    Emit(options_.stem && IsAsciiLetters(folded) ? StemEnglishView(folded) : folded,
         IsStopword(folded), is_name, c);
  }

  // Appends the token `text` (folded, stemmed if so configured).
  void Emit(absl::string_view text, bool stop, bool is_name, Case c) {
    // Built in place (a Token moved into a vector copies its short string once more).
    Token& token = out_->all_tokens.emplace_back();
    token.text.assign(text.data(), text.size());
    token.kind = is_name && !stop ? TokenKind::kName : TokenKind::kWord;
    token.lowercase = c == kLowercase;
    token.capitalized = c == kCapitalized;
    if (!(stop && options_.drop_stopwords)) out_->tokens.push_back(token);
  }

  const NormalizeOptions& options_;
  const bool general_;
  const bool ascii_;
  NormalizedText* out_;
  std::string folded_;  // AddAscii's folded word
};

// Buffers NormalizeText reuses from call to call on a thread.
struct Scratch {
  std::vector<WordSpan> spans;
  std::vector<CanonPiece> pieces;
};

}  // namespace

absl::Status NormalizeTextInto(const NormalizeOptions& options, absl::string_view text,
                               AsciiPath path, NormalizedText* result) {
  NormalizedText& out = *result;
  out.tokens.clear();
  out.all_tokens.clear();
  out.truncated = false;
  out.repaired_mojibake = false;
  out.suspect_mojibake = false;
  const bool fast = path == AsciiPath::kFast;
  bool clean_ascii = fast && CleanSimpleText(text, &out.clean);
  if (!clean_ascii) {
    std::string s = SanitizeUtf8(text, nullptr);
    if (options.repair_mojibake && !IsAscii(s)) {
      s = RepairMojibakeAll(s, &out.repaired_mojibake);
    }
    out.suspect_mojibake = LooksLikeMojibake(s);
    absl::StatusOr<std::string> folded = NfkcAndFoldPunctuation(s);
    if (!folded.ok()) return folded.status();
    out.clean = CollapseSpace(*folded);
    clean_ascii = fast && IsAscii(out.clean);
  }

  // Trailing ellipsis.
  bool cut_word = false;
  {
    size_t dots = 0;
    while (dots < out.clean.size() && out.clean[out.clean.size() - 1 - dots] == '.') ++dots;
    if (dots >= 3) {
      out.truncated = true;
      out.clean.resize(out.clean.size() - dots);
      cut_word = !out.clean.empty() && out.clean.back() != ' ';
      while (!out.clean.empty() && out.clean.back() == ' ') out.clean.pop_back();
    }
  }

  thread_local Scratch scratch;
  std::vector<WordSpan>& spans = scratch.spans;
  spans.clear();
  if (clean_ascii) {
    SegmentWordsAsciiString(out.clean, &spans);
  } else if (absl::Status st = SegmentWordsIcu(out.clean, &spans); !st.ok()) {
    return st;
  }
  if (cut_word && !spans.empty() && spans.back().end == out.clean.size()) spans.pop_back();

  std::vector<CanonPiece>& pieces = scratch.pieces;
  pieces.clear();
  if (options.canonicalize_numbers) {
    Canonicalize(out.clean, spans, &pieces);
  } else {
    pieces.reserve(spans.size());
    for (uint32_t i = 0; i < spans.size(); ++i) pieces.push_back({Token{}, true, i});
  }

  if (options.stem) {
    if (absl::Status st = StemmerStatus(); !st.ok()) return st;
  }
  out.tokens.reserve(pieces.size());
  out.all_tokens.reserve(pieces.size());
  WordSink words(options, !fast, clean_ascii, &out);
  const absl::string_view clean = out.clean;
  for (CanonPiece& piece : pieces) {
    if (!piece.is_word) {
      out.tokens.push_back(piece.token);
      out.all_tokens.push_back(std::move(piece.token));
      continue;
    }
    const uint32_t i = piece.span;
    const uint32_t gap_begin = i == 0 ? 0 : spans[i - 1].end;
    const bool sentence_initial =
        i == 0 || IsSentenceEnd(clean.substr(gap_begin, spans[i].begin - gap_begin));
    words.Add(clean.substr(spans[i].begin, spans[i].end - spans[i].begin), sentence_initial);
  }
  return absl::OkStatus();
}

absl::StatusOr<NormalizedText> NormalizeText(const NormalizeOptions& options,
                                             absl::string_view text, AsciiPath path) {
  NormalizedText out;
  if (absl::Status st = NormalizeTextInto(options, text, path, &out); !st.ok()) return st;
  return out;
}

}  // namespace internal

struct Normalizer::Impl {
  absl::Status init_status;
};

Normalizer::Normalizer(NormalizeOptions options)
    : options_(options), impl_(std::make_unique<Impl>()) {
  // Fail early (and on every call) if ICU's data cannot be loaded.
  absl::StatusOr<std::string> probe = internal::NfkcAndFoldPunctuation("\xC3\xA9");
  if (!probe.ok()) impl_->init_status = probe.status();
}

Normalizer::~Normalizer() = default;

absl::StatusOr<NormalizedText> Normalizer::Normalize(absl::string_view text) const {
  if (!impl_->init_status.ok()) return impl_->init_status;
  return internal::NormalizeText(options_, text, internal::AsciiPath::kFast);
}

absl::Status Normalizer::NormalizeInto(absl::string_view text, NormalizedText* out) const {
  if (!impl_->init_status.ok()) return impl_->init_status;
  return internal::NormalizeTextInto(options_, text, internal::AsciiPath::kFast, out);
}

std::string RepairMojibake(absl::string_view text, bool* repaired) {
  bool changed = false;
  std::string out = internal::RepairMojibakeAll(text, &changed);
  if (repaired != nullptr) *repaired = changed;
  return out;
}

}  // namespace factdedup::dedup
