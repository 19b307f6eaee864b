// Capitalized words of a text, as the conflict pass's name stage reads them: the words of
// Words (claim_slots.h) that NameMentions may take for a name (capitalized, three bytes or
// more, no digit, no other capital), found by scans that skip the bytes no such word starts at
// several at a time. ForEachCapitalizedWord is the plain definition; the scans give the same
// words (tests/provenance/conflicts_capitalized_words_test.cc).
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_CAPITALIZED_WORDS_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_CAPITALIZED_WORDS_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "absl/strings/string_view.h"
#include "provenance/internal/claim_slots.h"

namespace factdedup::provenance::internal {

// Markdown that StripMarkdown removes or rewrites starts at one of these bytes.
inline constexpr std::string_view kMarkupBytes = "\\<`[!*~=_";
inline constexpr auto kMarkup = [] {
  std::array<bool, 256> t{};
  for (unsigned char ch : kMarkupBytes) t[ch] = true;
  return t;
}();

// Whether StripMarkdown(raw) == raw: no byte of kMarkup, and white space only as single
// spaces between other bytes (StripMarkdown collapses runs of " \t\n\r" and trims them).
// Sixteen bytes at a time (SSE2), the last ones (and all without SSE2) one at a time.
inline bool ReadsAsWritten(absl::string_view raw) {
  if (raw.empty()) return true;
  if (raw.front() == ' ' || raw.back() == ' ') return false;
  size_t i = 0;
#ifdef __SSE2__
  const char* p = raw.data();
  static_assert(kMarkupBytes == "\\<`[!*~=_", "the bytes compared below");
  // Blocks of sixteen bytes with one more after them (for a space's successor). The bytes
  // looked for are compared one by one, written out (a loop over an array of them was not
  // unrolled: each compare reloaded its vector).
  auto block_reads = [&](size_t at) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
    const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at + 1));
    auto is = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i spaces = _mm_and_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(next, space));
    const __m128i markup =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(is('\\'), is('<')), _mm_or_si128(is('`'), is('['))),
                     _mm_or_si128(_mm_or_si128(is('!'), is('*')),
                                  _mm_or_si128(_mm_or_si128(is('~'), is('=')), is('_'))));
    const __m128i white = _mm_or_si128(_mm_or_si128(is('\t'), is('\n')), is('\r'));
    return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(spaces, markup), white)) == 0;
  };
  for (; i + 17 <= raw.size(); i += 16) {
    if (!block_reads(i)) return false;
  }
  // The bytes left but the last, as one more block ending there (overlapping the last one
  // read: a byte read twice is judged the same); the last byte is read below.
  if (raw.size() >= 17 && i + 1 < raw.size()) {
    if (!block_reads(raw.size() - 17)) return false;
    i = raw.size() - 1;
  }
#endif
  for (; i < raw.size(); ++i) {
    const char c = raw[i];
    if (kMarkup[static_cast<unsigned char>(c)] || c == '\t' || c == '\n' || c == '\r') return false;
    if (c == ' ' && raw[i + 1] == ' ') return false;  // raw.back() is not ' '
  }
  return true;
}

// Calls fn(word) for each word of `text` (Words) that NameMentions may take for a name:
// capitalized, three bytes or more, no digit, no other capital.
template <typename Fn>
void ForEachCapitalizedWord(absl::string_view text, Fn fn) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  auto in_word = [&](size_t i) {
    return IsUpper(p[i]) || IsLower(p[i]) || IsDigit(p[i]) || (p[i] >= 0x80 && IsWordByte(text, i));
  };
  for (size_t i = 0; i < n; ++i) {
    // A word of Words starts here: a capital after a byte that is not a word's.
    if (!IsUpper(p[i]) || (i > 0 && in_word(i - 1))) continue;
    size_t e = i + 1;
    bool cap = true;
    while (e < n && in_word(e)) {
      cap &= !IsUpper(p[e]) && !IsDigit(p[e]);
      ++e;
    }
    if (cap && e - i >= 3) fn(text.substr(i, e - i));
    i = e - 1;
  }
}

// Per byte: kMarkupByte for a byte StripMarkdown may act on (kMarkup), kUpperByte for an
// ASCII capital, kAsciiWordByte for an ASCII letter or digit, kHighByte for a non-ASCII byte.
inline constexpr uint8_t kMarkupByte = 1, kUpperByte = 2, kAsciiWordByte = 4, kHighByte = 8;
inline constexpr auto kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (kMarkup[c]) t[c] |= kMarkupByte;
    if (c >= 'A' && c <= 'Z') t[c] |= kUpperByte;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      t[c] |= kAsciiWordByte;
    }
    if (c >= 0x80) t[c] |= kHighByte;
  }
  return t;
}();

// The bytes of `v` in [lo, hi] (lo <= hi < 0x80) with their high bit set, the others 0.
inline uint64_t BytesIn(uint64_t v, unsigned char lo, unsigned char hi) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const uint64_t low7 = v & ~kHigh;                // each byte's low seven bits: no carry below
  const uint64_t ge = low7 + kOnes * (0x80 - lo);  // high bit: low7 >= lo
  const uint64_t gt = low7 + kOnes * (0x7F - hi);  // high bit: low7 > hi
  return ge & ~gt & ~v & kHigh;                    // ~v: not a byte of 0x80 or more
}

// ForEachCapitalizedWord(text, fn) until fn returns true, in one pass that also looks for
// markup: with `stop_at_markup`, returns kHasMarkup as soon as a byte of kMarkup is seen
// (whether fn was called before then is unspecified). Else kFound when fn returned true,
// kNone when it never did. Skips the bytes that start no word a table lookup at a time.
enum class RawScan { kNone, kFound, kHasMarkup };
template <bool stop_at_markup, typename Fn>
RawScan ScanCapitalizedWords(absl::string_view text, Fn fn) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  auto in_word = [&](size_t i) {
    const uint8_t k = kByteClass[p[i]];
    return (k & kAsciiWordByte) || ((k & kHighByte) && IsWordByte(text, i));
  };
  constexpr uint8_t kStop = stop_at_markup ? (kUpperByte | kMarkupByte) : kUpperByte;
  // Eight bytes at a time: whether some byte may stop the scan (a superset of kStop's bytes:
  // '<' to '`' holds the capitals and most markup bytes; see BytesIn).
  auto may_stop = [](uint64_t v) {
    if (!stop_at_markup) return BytesIn(v, 'A', 'Z') != 0;
    return (BytesIn(v, '<', '`') | BytesIn(v, '!', '!') | BytesIn(v, '*', '*') |
            BytesIn(v, '~', '~')) != 0;
  };
  bool found = false;
  size_t i = 0;
  while (true) {
    while (true) {
      while (i + 8 <= n) {
        uint64_t v;
        std::memcpy(&v, p + i, 8);
        if (may_stop(v)) break;
        i += 8;
      }
      const size_t block_end = std::min(n, i + 8);
      while (i < block_end && !(kByteClass[p[i]] & kStop)) ++i;
      if (i < block_end || i == n) break;
    }
    if (i == n) break;
    if (stop_at_markup && (kByteClass[p[i]] & kMarkupByte)) return RawScan::kHasMarkup;
    // A capital: a word of Words starts here unless the byte before is a word's. Either way
    // the bytes up to the end of its run are word bytes (never markup).
    const bool starts = i == 0 || !in_word(i - 1);
    size_t e = i + 1;
    bool cap = true;
    while (e < n && in_word(e)) {
      cap &= !IsUpper(p[e]) && !IsDigit(p[e]);
      ++e;
    }
    if (starts && cap && e - i >= 3 && !found && fn(text.substr(i, e - i))) {
      if (!stop_at_markup) return RawScan::kFound;
      found = true;
    }
    i = starts ? e : i + 1;
  }
  return found ? RawScan::kFound : RawScan::kNone;
}

// ScanCapitalizedWords(text, fn) for an fn that never ends the scan: calls fn(word) on every
// word ScanCapitalizedWords would (in order) and returns kHasMarkup (with `stop_at_markup`,
// at the first byte of kMarkup: fn may have been called on words before it) or kNone. Finds
// the bytes that may stop it sixteen at a time (SSE2; eight at a time without it), and the
// ends of words a run of lowercase letters at a time.
template <bool stop_at_markup, typename Fn>
RawScan ScanAllCapitalizedWords(absl::string_view text, Fn fn) {
#ifdef __SSE2__
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  auto in_word = [&](size_t i) {
    const uint8_t k = kByteClass[p[i]];
    return (k & kAsciiWordByte) || ((k & kHighByte) && IsWordByte(text, i));
  };
  // Bytes in [lo, hi] (ASCII) as a mask of v's lanes; bytes of 0x80 or more never (signed).
  auto in_range = [](__m128i v, char lo, char hi) {
    return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                         _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
  };
  // Lanes that may stop the scan: a superset of kStop's bytes ('<' to '`' holds the capitals
  // and most markup bytes).
  auto may_stop = [&](__m128i v) {
    if (!stop_at_markup) return _mm_movemask_epi8(in_range(v, 'A', 'Z'));
    const __m128i marks = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('!')), _mm_cmpeq_epi8(v, _mm_set1_epi8('*'))),
        _mm_cmpeq_epi8(v, _mm_set1_epi8('~')));
    return _mm_movemask_epi8(_mm_or_si128(in_range(v, '<', '`'), marks));
  };
  size_t i = 0;
  while (i < n) {
    int mask;
    if (i + 16 <= n) {
      mask = may_stop(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
      if (mask == 0) {
        i += 16;
        continue;
      }
    } else {
      alignas(16) unsigned char tail[16] = {};  // zeros never stop the scan
      std::memcpy(tail, p + i, n - i);
      mask = may_stop(_mm_load_si128(reinterpret_cast<const __m128i*>(tail)));
      if (mask == 0) break;
    }
    const size_t k = i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    const uint8_t cls = kByteClass[p[k]];
    if (stop_at_markup && (cls & kMarkupByte)) return RawScan::kHasMarkup;
    // A capital that starts a word of Words (the byte before is not a word's): the bytes up to
    // the end of its run are word bytes (never markup). Else the byte is passed.
    if (!(cls & kUpperByte) || (k > 0 && in_word(k - 1))) {
      i = k + 1;
      continue;
    }
    size_t e = k + 1;
    bool cap = true;
    while (true) {
      // Lowercase letters change nothing: skip their runs.
      while (e + 16 <= n) {
        const int lower = _mm_movemask_epi8(
            in_range(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + e)), 'a', 'z'));
        if (lower != 0xFFFF) {
          e += static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(~lower)));
          break;
        }
        e += 16;
      }
      if (e >= n || !in_word(e)) break;
      cap &= !IsUpper(p[e]) && !IsDigit(p[e]);
      ++e;
    }
    if (cap && e - k >= 3) fn(text.substr(k, e - k));
    i = e;
  }
  return RawScan::kNone;
#else
  return ScanCapitalizedWords<stop_at_markup>(text, [&](absl::string_view w) {
    fn(w);
    return false;
  });
#endif
}

// Candidates for the words of ScanFilteredCapitalizedWords, told apart by their letters: up to 64
// candidates per initial (ASCII capital), bits of a uint64_t. A word may be one of the
// candidates of its initial (`opens[initial & 31]`) that may hold each of its other letters
// (`holding[initial & 31][letter & 31]`, for a lowercase letter): the word is ruled out when
// no candidate is left. An initial with no candidate rules out every word it opens.
struct LetterFilter {
  std::array<uint64_t, 32> opens{};
  std::array<std::array<uint64_t, 32>, 32> holding{};
};

// ScanAllCapitalizedWords</*stop_at_markup=*/true>(text, fn) without the words `filter` rules
// out: calls fn(word) on each word of ScanAllCapitalizedWords<true> that `filter` does not rule
// out (a word with a byte of 0x80 or more never is), in order, and returns kNone, or kHasMarkup
// at the first byte of kMarkup (fn may have been called on words before it). A word is ruled
// out as its letters are read: most cost a few bytes' reads. Sixteen bytes at a time (SSE2).
template <typename Fn>
RawScan ScanFilteredCapitalizedWords(absl::string_view text, const LetterFilter& filter, Fn fn) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  auto in_word = [&](size_t i) {
    const uint8_t k = kByteClass[p[i]];
    return (k & kAsciiWordByte) || ((k & kHighByte) && IsWordByte(text, i));
  };
  // The word that starts at `start` and has lowercase letters up to `from`, which is a word's
  // byte of 0x80 or more: calls fn on it if it is capitalized; returns its end.
  auto complete = [&](size_t start, size_t from) {
    bool cap = true;
    size_t e = from;
    while (e < n && in_word(e)) {
      cap &= !IsUpper(p[e]) && !IsDigit(p[e]);
      ++e;
    }
    if (cap && e - start >= 3) fn(text.substr(start, e - start));
    return e;
  };
  // The last word ruled out: its capital, and the byte after the letters read.
  size_t ruled_start = 0, ruled_out = n;
  size_t i = 0;
  while (i < n) {
    size_t k;
#ifdef __SSE2__
    // The first byte from i that is a capital, of kMarkup or of 0x80 or more, or one of a few
    // more ASCII bytes ('<' to '`' holds the capitals and most of kMarkup).
    auto stops = [](__m128i v) {
      const __m128i range = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('<' - 1)),
                                          _mm_cmplt_epi8(v, _mm_set1_epi8('`' + 1)));
      const __m128i marks = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('!')),
                                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('*'))),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8('~')));
      // v's own high bits: the bytes of 0x80 or more.
      return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(range, marks), v));
    };
    int mask;
    if (i + 16 <= n) {
      mask = stops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
      if (mask == 0) {
        i += 16;
        continue;
      }
    } else if (n >= 16) {
      // The last sixteen bytes, without those before i (read already).
      mask = stops(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16))) >> (i - (n - 16));
      if (mask == 0) break;
    } else {
      alignas(16) unsigned char tail[16] = {};  // zeros never stop the scan
      std::memcpy(tail, p + i, n - i);
      mask = stops(_mm_load_si128(reinterpret_cast<const __m128i*>(tail)));
      if (mask == 0) break;
    }
    k = i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
#else
    k = i;
    while (k < n && !(kByteClass[p[k]] & (kUpperByte | kMarkupByte | kHighByte))) ++k;
    if (k == n) break;
#endif
    const uint8_t cls = kByteClass[p[k]];
    if (cls & kMarkupByte) return RawScan::kHasMarkup;
    if (cls & kHighByte) {
      // A word's byte of 0x80 or more right after the lowercase letters that follow the last
      // word ruled out (below): that word has it, and the filter does not rule it out.
      // Either way no later byte follows that word's lowercase letters.
      i = k + 1;
      if (ruled_out <= k) {
        size_t e = ruled_out;
        while (e < k && IsLower(p[e])) ++e;
        if (e == k && in_word(k)) i = complete(ruled_start, k);
        ruled_out = n;
      }
      continue;
    }
    // A capital that starts a word of Words (the byte before is not a word's); else the byte
    // is passed.
    if (!(cls & kUpperByte) || (k > 0 && in_word(k - 1))) {
      i = k + 1;
      continue;
    }
    const std::array<uint64_t, 32>& holding = filter.holding[p[k] & 31];
    uint64_t left = filter.opens[p[k] & 31];
    size_t e = k + 1;
    while (left != 0 && e < n && IsLower(p[e])) left &= holding[p[e++] & 31];
    if (left == 0) {
      // Ruled out, unless a byte of 0x80 or more follows the rest of its lowercase letters:
      // the scan goes on from e, and a byte of 0x80 or more it stops at is checked then.
      ruled_start = k;
      ruled_out = e;
      i = e;
      continue;
    }
    // Its first byte that is no lowercase letter: a word's byte of 0x80 or more, or a capital
    // or a digit (the word is not capitalized), or the word's end.
    if (e < n && p[e] >= 0x80 && in_word(e)) {
      i = complete(k, e);
      continue;
    }
    if (!(e < n && (IsUpper(p[e]) || IsDigit(p[e]))) && e - k >= 3) fn(text.substr(k, e - k));
    // The bytes up to e are the word's: a capital among those after it starts no word.
    i = e;
  }
  return RawScan::kNone;
}

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_CAPITALIZED_WORDS_H_
