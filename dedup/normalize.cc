#include "dedup/normalize.h"

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

class WordSink {
 public:
  // `general`: take the general (Unicode) path for ASCII words too (AsciiPath::kForceIcu).
  WordSink(const NormalizeOptions& options, bool general, NormalizedText* out)
      : options_(options), general_(general), out_(out) {}

  // One raw word from segmentation. `sentence_initial`: the first word of a sentence.
  void Add(absl::string_view raw, bool sentence_initial) {
    if (raw.size() > 2 && (absl::EndsWith(raw, "'s") || absl::EndsWith(raw, "'S"))) {
      raw.remove_suffix(2);  // possessive
    }
    if (raw.empty()) return;
    if (!general_ && IsAscii(raw)) {
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

  // AddGeneral for an ASCII word: StartsUpper, HasInnerUpper and FoldCase by hand, and no
  // accents to fold.
  void AddAscii(absl::string_view raw, bool sentence_initial) {
    auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    const bool starts_upper = upper(raw[0]);
    bool is_name = starts_upper;
    if (starts_upper && sentence_initial) {
      is_name = false;
      for (size_t k = 1; k < raw.size() && !is_name; ++k) is_name = upper(raw[k]);
    }
    folded_.resize(raw.size());
    for (size_t k = 0; k < raw.size(); ++k) {
      const char c = raw[k];
      folded_[k] = upper(c) ? static_cast<char>(c - 'A' + 'a') : c;
    }
    AddFolded(folded_, is_name, starts_upper ? kCapitalized : kLowercase);
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
    const bool stop = IsStopword(folded);
    Token token{
        std::string(options_.stem && IsAsciiLetters(folded) ? StemEnglishView(folded) : folded),
        is_name && !stop ? TokenKind::kName : TokenKind::kWord, c == kLowercase, c == kCapitalized};
    if (!(stop && options_.drop_stopwords)) out_->tokens.push_back(token);
    out_->all_tokens.push_back(std::move(token));
  }

  const NormalizeOptions& options_;
  const bool general_;
  NormalizedText* out_;
  std::string folded_;  // AddAscii's folded word
};

// Buffers NormalizeText reuses from call to call on a thread.
struct Scratch {
  std::vector<WordSpan> spans;
  std::vector<CanonPiece> pieces;
};

}  // namespace

absl::StatusOr<NormalizedText> NormalizeText(const NormalizeOptions& options,
                                             absl::string_view text, AsciiPath path) {
  NormalizedText out;
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
    SegmentWordsAscii(out.clean, &spans);
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
  WordSink words(options, !fast, &out);
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

std::string RepairMojibake(absl::string_view text, bool* repaired) {
  bool changed = false;
  std::string out = internal::RepairMojibakeAll(text, &changed);
  if (repaired != nullptr) *repaired = changed;
  return out;
}

}  // namespace factdedup::dedup
