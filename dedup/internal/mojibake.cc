#include "dedup/internal/mojibake.h"

#include <vector>

#include "unicode/utf8.h"

namespace factdedup::dedup::internal {
namespace {

struct CodePoint {
  char32_t c;
  uint32_t begin;  // byte offset in the input
  uint32_t end;
};

std::vector<CodePoint> Decode(absl::string_view utf8) {
  std::vector<CodePoint> out;
  out.reserve(utf8.size());
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t length = static_cast<int32_t>(utf8.size());
  int32_t i = 0;
  while (i < length) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    out.push_back({c < 0 ? char32_t{0xFFFD} : static_cast<char32_t>(c),
                   static_cast<uint32_t>(start), static_cast<uint32_t>(i)});
  }
  return out;
}

bool IsContinuation(int b) { return b >= 0x80 && b <= 0xBF; }

// Length of the UTF-8 sequence that lead byte `b` starts, or 0.
int LeadLength(int b) {
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}

// If the code points at cps[i..] re-encode to one well-formed UTF-8 character, returns its
// length in code points and stores the bytes; else 0.
int MatchAt(const std::vector<CodePoint>& cps, size_t i, std::string* bytes) {
  const int lead = Cp1252Byte(cps[i].c);
  const int n = LeadLength(lead);
  if (n == 0 || i + static_cast<size_t>(n) > cps.size()) return 0;
  bytes->clear();
  bytes->push_back(static_cast<char>(lead));
  for (int k = 1; k < n; ++k) {
    const int b = Cp1252Byte(cps[i + static_cast<size_t>(k)].c);
    if (!IsContinuation(b)) return 0;
    bytes->push_back(static_cast<char>(b));
  }
  const auto* s = reinterpret_cast<const uint8_t*>(bytes->data());
  int32_t j = 0;
  UChar32 c;
  U8_NEXT(s, j, n, c);
  if (c < 0 || j != n) return 0;  // overlong, surrogate or out of range
  return n;
}

bool IsGreekCyrillicPair(const std::vector<CodePoint>& cps, size_t i) {
  if (i + 1 >= cps.size()) return false;
  const int lead = Cp1252Byte(cps[i].c);
  return lead >= 0xCE && lead <= 0xD3 && IsContinuation(Cp1252Byte(cps[i + 1].c));
}

}  // namespace

int Cp1252Byte(char32_t c) {
  if (c < 0x80) return -1;
  if (c <= 0xFF) return static_cast<int>(c);  // Latin-1, and C1 controls read as Latin-1
  switch (c) {
    case 0x20AC:
      return 0x80;  // €
    case 0x201A:
      return 0x82;  // ‚
    case 0x0192:
      return 0x83;  // ƒ
    case 0x201E:
      return 0x84;  // „
    case 0x2026:
      return 0x85;  // …
    case 0x2020:
      return 0x86;  // †
    case 0x2021:
      return 0x87;  // ‡
    case 0x02C6:
      return 0x88;  // ˆ
    case 0x2030:
      return 0x89;  // ‰
    case 0x0160:
      return 0x8A;  // Š
    case 0x2039:
      return 0x8B;  // ‹
    case 0x0152:
      return 0x8C;  // Œ
    case 0x017D:
      return 0x8E;  // Ž
    case 0x2018:
      return 0x91;  // ‘
    case 0x2019:
      return 0x92;  // ’
    case 0x201C:
      return 0x93;  // “
    case 0x201D:
      return 0x94;  // ”
    case 0x2022:
      return 0x95;  // •
    case 0x2013:
      return 0x96;  // –
    case 0x2014:
      return 0x97;  // —
    case 0x02DC:
      return 0x98;  // ˜
    case 0x2122:
      return 0x99;  // ™
    case 0x0161:
      return 0x9A;  // š
    case 0x203A:
      return 0x9B;  // ›
    case 0x0153:
      return 0x9C;  // œ
    case 0x017E:
      return 0x9E;  // ž
    case 0x0178:
      return 0x9F;  // Ÿ
    default:
      return -1;
  }
}

std::string RepairMojibakeOnce(absl::string_view utf8, bool* repaired) {
  const std::vector<CodePoint> cps = Decode(utf8);
  std::string out;
  out.reserve(utf8.size());
  std::string bytes;
  bool prev_greek_cyrillic = false;
  for (size_t i = 0; i < cps.size();) {
    const int n = MatchAt(cps, i, &bytes);
    bool accept = false;
    if (n >= 3) {
      accept = true;
    } else if (n == 2) {
      const int lead = static_cast<unsigned char>(bytes[0]);
      const int second = static_cast<unsigned char>(bytes[1]);
      if (lead >= 0xC2 && lead <= 0xC5) {
        accept = !(lead == 0xC2 && second < 0xA0);  // not a C1 control
      } else if (lead >= 0xCE && lead <= 0xD3) {
        accept = prev_greek_cyrillic || IsGreekCyrillicPair(cps, i + 2);
      }
    }
    if (accept) {
      out.append(bytes);
      if (repaired != nullptr) *repaired = true;
      const int lead = static_cast<unsigned char>(bytes[0]);
      prev_greek_cyrillic = n == 2 && lead >= 0xCE && lead <= 0xD3;
      i += static_cast<size_t>(n);
      continue;
    }
    prev_greek_cyrillic = false;
    out.append(utf8.data() + cps[i].begin, cps[i].end - cps[i].begin);
    ++i;
  }
  return out;
}

std::string RepairMojibakeAll(absl::string_view utf8, bool* repaired) {
  std::string text(utf8);
  for (int pass = 0; pass < 3; ++pass) {
    bool changed = false;
    std::string next = RepairMojibakeOnce(text, &changed);
    if (!changed) break;
    if (repaired != nullptr) *repaired = true;
    text = std::move(next);
  }
  return text;
}

bool LooksLikeMojibake(absl::string_view utf8) {
  const std::vector<CodePoint> cps = Decode(utf8);
  for (size_t i = 0; i + 1 < cps.size(); ++i) {
    const char32_t c = cps[i].c;
    if ((c == 0xC2 || c == 0xC3 || c == 0xE2) && IsContinuation(Cp1252Byte(cps[i + 1].c))) {
      return true;
    }
  }
  return false;
}

}  // namespace factdedup::dedup::internal
