#include "dedup/internal/unicode.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "unicode/brkiter.h"
#include "unicode/errorcode.h"
#include "unicode/locid.h"
#include "unicode/normalizer2.h"
#include "unicode/uchar.h"
#include "unicode/unistr.h"
#include "unicode/utext.h"
#include "unicode/utf8.h"

namespace factdedup::dedup::internal {
namespace {

void AppendUtf8(char32_t c, std::string* out) {
  char buf[4];
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(buf, len, 4, c, error);
  if (error) {
    out->append("\xEF\xBF\xBD");
    return;
  }
  out->append(buf, static_cast<size_t>(len));
}

// What NfkcAndFoldPunctuation does with one code point after NFKC.
enum class Fold { kKeep, kSpace, kDrop, kApostrophe, kQuote, kDash };

Fold FoldOf(UChar32 c) {
  switch (c) {
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x2032:
    case 0x2035:
    case 0x02BC:
    case 0x2039:
    case 0x203A:
      return Fold::kApostrophe;
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x2033:
    case 0x2036:
    case 0x00AB:
    case 0x00BB:
      return Fold::kQuote;
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
    case 0x2043:
    case 0xFE58:
    case 0xFE63:
    case 0xFF0D:
      return Fold::kDash;
    case 0x00AD:
    case 0x200B:
    case 0x200E:
    case 0x200F:
    case 0x202A:
    case 0x202B:
    case 0x202C:
    case 0x202D:
    case 0x202E:
    case 0x2060:
    case 0x2061:
    case 0x2062:
    case 0x2063:
    case 0x2064:
    case 0xFEFF:
      return Fold::kDrop;
    default:
      break;
  }
  if (c < 0x80) return (c < 0x20 || c == 0x7F) ? Fold::kSpace : Fold::kKeep;
  if (u_isUWhiteSpace(c)) return Fold::kSpace;
  const int8_t type = u_charType(c);
  if (type == U_CONTROL_CHAR || type == U_SPACE_SEPARATOR || type == U_LINE_SEPARATOR ||
      type == U_PARAGRAPH_SEPARATOR) {
    return Fold::kSpace;
  }
  return Fold::kKeep;
}

const icu::Normalizer2* Nfkc(UErrorCode* status) {
  return icu::Normalizer2::getNFKCInstance(*status);
}

// Per-thread word BreakIterator; ICU break iterators are not thread-safe.
struct ThreadBreakIterator {
  std::unique_ptr<icu::BreakIterator> iter;
  UErrorCode init_status = U_ZERO_ERROR;
  ThreadBreakIterator() {
    iter.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), init_status));
    if (U_SUCCESS(init_status) && iter == nullptr) init_status = U_MEMORY_ALLOCATION_ERROR;
  }
};

enum AsciiClass : uint8_t { kOther, kLetter, kDigit, kUnderscore, kApos, kPeriod, kComma };

constexpr AsciiClass ClassOf(unsigned char c) {
  // ICU's root word rules add '@' to ALetter, so "@name" and "a@b.com" are single words.
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '@') return kLetter;
  if (c >= '0' && c <= '9') return kDigit;
  switch (c) {
    case '_':
      return kUnderscore;
    case '\'':
      return kApos;
    case '.':
      return kPeriod;
    case ',':
    case ';':
      return kComma;
    default:
      return kOther;
  }
}

constexpr std::array<AsciiClass, 256> kClassTable = [] {
  std::array<AsciiClass, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = ClassOf(static_cast<unsigned char>(c));
  return t;
}();

}  // namespace

absl::Status IcuStatus(int code, absl::string_view what) {
  const UErrorCode status = static_cast<UErrorCode>(code);
  if (U_SUCCESS(status)) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("ICU error in ", what, ": ", u_errorName(status)));
}

bool IsAscii(absl::string_view text) {
  const char* p = text.data();
  size_t n = text.size();
  for (; n >= 8; p += 8, n -= 8) {  // eight bytes at a time: any high bit is non-ASCII
    uint64_t w;
    std::memcpy(&w, p, 8);
    if ((w & 0x8080808080808080ULL) != 0) return false;
  }
  for (; n > 0; ++p, --n) {
    if (static_cast<unsigned char>(*p) >= 0x80) return false;
  }
  return true;
}

std::string SanitizeUtf8(absl::string_view text, bool* had_invalid) {
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t length = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < length) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0) {
      out.append("\xEF\xBF\xBD");
      if (had_invalid != nullptr) *had_invalid = true;
    } else {
      out.append(text.data() + start, static_cast<size_t>(i - start));
    }
  }
  return out;
}

absl::StatusOr<std::string> NfkcAndFoldPunctuation(absl::string_view utf8) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc = Nfkc(&status);
  if (U_FAILURE(status)) return IcuStatus(status, "Normalizer2::getNFKCInstance");
  icu::UnicodeString src = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString dst = nfkc->normalize(src, status);
  if (U_FAILURE(status)) return IcuStatus(status, "NFKC normalize");
  std::string out;
  out.reserve(utf8.size());
  for (int32_t i = 0; i < dst.length();) {
    const UChar32 c = dst.char32At(i);
    i += U16_LENGTH(c);
    switch (FoldOf(c)) {
      case Fold::kKeep:
        AppendUtf8(static_cast<char32_t>(c), &out);
        break;
      case Fold::kSpace:
        out.push_back(' ');
        break;
      case Fold::kDrop:
        break;
      case Fold::kApostrophe:
        out.push_back('\'');
        break;
      case Fold::kQuote:
        out.push_back('"');
        break;
      case Fold::kDash:
        out.push_back('-');
        break;
    }
  }
  return out;
}

std::string CollapseSpace(absl::string_view text) {
  // Most texts are already collapsed (single spaces between words, none at either end): copy.
  bool collapsed = true;
  for (size_t k = 0; k < text.size() && collapsed; ++k) {
    const unsigned char c = static_cast<unsigned char>(text[k]);
    if (c <= 0x20 || c == 0x7F) {
      collapsed = c == ' ' && k > 0 && k + 1 < text.size() && text[k + 1] != ' ' &&
                  static_cast<unsigned char>(text[k + 1]) > 0x20 && text[k + 1] != 0x7F;
    }
  }
  if (collapsed) return std::string(text);
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7F) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// The high bit of each byte of `w` that is below 0x20 or above 0x7E (exact per byte).
uint64_t NotPrintableMask(uint64_t w) {
  // Per byte, with no carry between bytes: the low seven bits plus (0x80 - 0x20) reach the
  // high bit iff they are >= 0x20; the byte's own high bit marks 0x80..0xFF.
  const uint64_t low = w & ~kHighs;
  const uint64_t ge20 = (low + (0x80 - 0x20) * kOnes) & kHighs;  // low 7 bits >= 0x20
  const uint64_t ge7f = (low + (0x80 - 0x7F) * kOnes) & kHighs;  // low 7 bits >= 0x7F
  return ((~ge20 | ge7f | w) & kHighs);
}

// The high bit of each byte of `w` that is ' ' (exact per byte).
uint64_t SpaceMask(uint64_t w) {
  const uint64_t t = w ^ (0x20 * kOnes);
  return ~(((t & ~kHighs) + ~kHighs) | t) & kHighs;
}

// Whether `text` is printable ASCII with single spaces between non-space bytes (no space at
// either end): what CleanSimpleText leaves as it is.
bool AlreadyClean(absl::string_view text) {
  const size_t n = text.size();
  if (n == 0) return true;
  if (text[0] == ' ' || text[n - 1] == ' ') return false;
  const char* p = text.data();
  uint64_t prev_space = 0;  // the previous word's last byte was ' ' (in its high bit)
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (NotPrintableMask(w) != 0) return false;
    const uint64_t sp = SpaceMask(w);
    // Two spaces in a row: within the word (little-endian: byte k+1 is 8 bits up), or across.
    if ((sp & (sp << 8)) != 0 || (prev_space & sp & 0x80) != 0) return false;
    prev_space = sp >> 56;
  }
  bool space = prev_space != 0;
  for (; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c > 0x7E) return false;
    if (c == ' ' && space) return false;
    space = c == ' ';
  }
  return true;
}

}  // namespace

bool CleanSimpleText(absl::string_view text, std::string* out) {
  if (AlreadyClean(text)) {  // most facts
    out->assign(text.data(), text.size());
    return true;
  }
  // Every replacement is no longer than what it replaces, so the text's size bounds the result.
  out->resize(text.size());
  char* const begin = out->data();
  char* o = begin;
  bool pending_space = false;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  auto put = [&](char c) {
    if (pending_space) *o++ = ' ';
    pending_space = false;
    *o++ = c;
  };
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (static_cast<unsigned char>(c - 0x21) < 0x5E) {  // printable ASCII other than ' '
      put(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c < 0x80) {  // white space or a control character (0x7F included)
      pending_space = o != begin;
      ++i;
      continue;
    }
    if (c == 0xC2 && i + 1 < n && s[i + 1] == 0xA0) {  // U+00A0 no-break space
      pending_space = o != begin;
      i += 2;
      continue;
    }
    if (c != 0xE2 || i + 2 >= n || s[i + 1] != 0x80) return false;
    switch (s[i + 2]) {
      case 0x90:  // U+2010..U+2015: hyphens and dashes
      case 0x91:
      case 0x92:
      case 0x93:
      case 0x94:
      case 0x95:
        put('-');
        break;
      case 0x98:  // U+2018, U+2019: single quotation marks
      case 0x99:
        put('\'');
        break;
      case 0x9C:  // U+201C, U+201D: double quotation marks
      case 0x9D:
        put('"');
        break;
      case 0xA6:  // U+2026 horizontal ellipsis: NFKC gives "..."
        put('.');
        put('.');
        put('.');
        break;
      default:
        return false;
    }
    i += 3;
  }
  out->resize(static_cast<size_t>(o - begin));
  return true;
}

std::string FoldCase(absl::string_view utf8) {
  if (IsAscii(utf8)) {
    std::string out(utf8);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  u.foldCase(U_FOLD_CASE_DEFAULT);
  std::string out;
  u.toUTF8String(out);
  return out;
}

std::string FoldAccents(absl::string_view utf8) {
  if (IsAscii(utf8)) return std::string(utf8);
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return std::string(utf8);  // data missing: leave accents
  icu::UnicodeString src = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  icu::UnicodeString d = nfd->normalize(src, status);
  if (U_FAILURE(status)) return std::string(utf8);
  icu::UnicodeString stripped;
  for (int32_t i = 0; i < d.length();) {
    const UChar32 c = d.char32At(i);
    i += U16_LENGTH(c);
    if (c >= 0x0300 && c <= 0x036F) continue;
    switch (c) {
      case 0x0142:
        stripped.append(u'l');
        break;  // ł
      case 0x0141:
        stripped.append(u'L');
        break;
      case 0x00F8:
        stripped.append(u'o');
        break;  // ø
      case 0x00D8:
        stripped.append(u'O');
        break;
      case 0x0111:
      case 0x00F0:
        stripped.append(u'd');
        break;  // đ ð
      case 0x0110:
      case 0x00D0:
        stripped.append(u'D');
        break;
      case 0x00E6:
        stripped.append(u"ae", 2);
        break;  // æ
      case 0x0153:
        stripped.append(u"oe", 2);
        break;  // œ
      case 0x00FE:
        stripped.append(u"th", 2);
        break;  // þ
      case 0x0131:
        stripped.append(u'i');
        break;  // dotless ı
      default:
        stripped.append(c);
        break;
    }
  }
  icu::UnicodeString composed = nfc->normalize(stripped, status);
  if (U_FAILURE(status)) return std::string(utf8);
  std::string out;
  composed.toUTF8String(out);
  return out;
}

bool StartsUpper(absl::string_view utf8) {
  if (utf8.empty()) return false;
  const unsigned char c0 = static_cast<unsigned char>(utf8[0]);
  if (c0 < 0x80) return c0 >= 'A' && c0 <= 'Z';
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  int32_t i = 0;
  UChar32 c;
  U8_NEXT(s, i, static_cast<int32_t>(utf8.size()), c);
  return c >= 0 && (u_isupper(c) || u_istitle(c));
}

bool HasInnerUpper(absl::string_view utf8) {
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t length = static_cast<int32_t>(utf8.size());
  int32_t i = 0;
  bool first = true;
  while (i < length) {
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (!first && c >= 0 && u_isupper(c)) return true;
    first = false;
  }
  return false;
}

absl::Status SegmentWordsIcu(absl::string_view utf8, std::vector<WordSpan>* out) {
  thread_local ThreadBreakIterator tbi;
  if (U_FAILURE(tbi.init_status)) {
    return IcuStatus(tbi.init_status, "BreakIterator::createWordInstance");
  }
  UErrorCode status = U_ZERO_ERROR;
  UText text = UTEXT_INITIALIZER;
  utext_openUTF8(&text, utf8.data(), static_cast<int64_t>(utf8.size()), &status);
  if (U_FAILURE(status)) return IcuStatus(status, "utext_openUTF8");
  icu::BreakIterator& bi = *tbi.iter;
  bi.setText(&text, status);
  if (U_FAILURE(status)) {
    utext_close(&text);
    return IcuStatus(status, "BreakIterator::setText");
  }
  int32_t start = bi.first();
  for (int32_t end = bi.next(); end != icu::BreakIterator::DONE; start = end, end = bi.next()) {
    if (bi.getRuleStatus() < UBRK_WORD_NONE_LIMIT) continue;
    // ICU counts runs of "_" and "@" as words; alone they carry nothing.
    bool connectors_only = true;
    for (int32_t k = start; k < end && connectors_only; ++k) {
      const char ch = utf8[static_cast<size_t>(k)];
      connectors_only = ch == '_' || ch == '@';
    }
    if (!connectors_only) {
      out->push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
    }
  }
  // Detach the iterator from the stack UText before it goes away.
  static constexpr char16_t kEmpty[] = u"";
  icu::UnicodeString empty(true, kEmpty, 0);
  bi.setText(empty);
  utext_close(&text);
  return absl::OkStatus();
}

void SegmentWordsAscii(absl::string_view ascii, std::vector<WordSpan>* out) {
  const size_t n = ascii.size();
  const auto* s = reinterpret_cast<const unsigned char*>(ascii.data());
  auto cls = [&](size_t i) -> AsciiClass { return i < n ? kClassTable[s[i]] : kOther; };
  auto in_word = [](AsciiClass c) { return c == kLetter || c == kDigit || c == kUnderscore; };
  // A letter or digit other than '@' (a word needs one).
  auto alnum = [](unsigned char ch) { return ch != '_' && ch != '@'; };
  size_t i = 0;
  while (i < n) {
    while (i < n && !in_word(kClassTable[s[i]])) ++i;
    if (i == n) break;
    const size_t start = i;
    bool has_alnum = alnum(s[i]);
    ++i;
    while (true) {
      // The run of letters, digits and '_' (the class table says '@' is a letter).
      while (i < n && in_word(kClassTable[s[i]])) {
        if (!has_alnum) has_alnum = alnum(s[i]);
        ++i;
      }
      if (i == n) break;
      // A single middle character joins two letters or two digits (WB6/7, WB11/12).
      const AsciiClass prev = kClassTable[s[i - 1]];
      const AsciiClass cur = kClassTable[s[i]];
      const AsciiClass next = cls(i + 1);
      const bool letters = prev == kLetter && next == kLetter && (cur == kApos || cur == kPeriod);
      const bool digits =
          prev == kDigit && next == kDigit && (cur == kApos || cur == kPeriod || cur == kComma);
      if (!letters && !digits) break;
      i += 2;  // the character after the middle one does not count for has_alnum (as before)
    }
    if (has_alnum) {
      out->push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(i)});
    }
  }
}

void SegmentWordsAsciiString(const std::string& ascii, std::vector<WordSpan>* out) {
  // Flags per byte: part of a word (letter, digit, '_', '@'), and a letter or digit.
  static constexpr uint8_t kWord = 1, kAlnum = 2;
  static constexpr std::array<uint8_t, 256> kFlags = [] {
    std::array<uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c) {
      const AsciiClass k = kClassTable[static_cast<size_t>(c)];
      if (k == kLetter || k == kDigit || k == kUnderscore) t[static_cast<size_t>(c)] |= kWord;
      if ((k == kLetter || k == kDigit) && c != '@') t[static_cast<size_t>(c)] |= kAlnum;
    }
    return t;
  }();
  static_assert(kClassTable[0] == kOther);  // the terminator ends every run
  const auto* s = reinterpret_cast<const unsigned char*>(ascii.c_str());  // s[n] == 0
  const size_t n = ascii.size();
  size_t i = 0;
  while (true) {
    while ((kFlags[s[i]] & kWord) == 0) {
      if (i >= n) return;
      ++i;
    }
    const size_t start = i;
    bool has_alnum = (kFlags[s[i]] & kAlnum) != 0;
    ++i;
    while (true) {
      if (has_alnum) {
        while ((kFlags[s[i]] & kWord) != 0) ++i;
      } else {
        for (uint8_t f; ((f = kFlags[s[i]]) & kWord) != 0; ++i) has_alnum |= (f & kAlnum) != 0;
      }
      if (i >= n) break;
      // A single middle character joins two letters or two digits (WB6/7, WB11/12); the
      // character after it does not count for has_alnum (as in the string_view version).
      const AsciiClass prev = kClassTable[s[i - 1]];
      const AsciiClass cur = kClassTable[s[i]];
      const AsciiClass next = kClassTable[s[i + 1]];  // i + 1 <= n
      const bool letters = prev == kLetter && next == kLetter && (cur == kApos || cur == kPeriod);
      const bool digits =
          prev == kDigit && next == kDigit && (cur == kApos || cur == kPeriod || cur == kComma);
      if (!letters && !digits) break;
      i += 2;
    }
    if (has_alnum) out->push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(i)});
  }
}

}  // namespace factdedup::dedup::internal
