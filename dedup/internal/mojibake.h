// Repair of UTF-8 text that was decoded as Windows-1252 (or Latin-1) and re-encoded as UTF-8
// ("Microsoftâ€™s" -> "Microsoft’s", "cafÃ©" -> "café").
#ifndef FACTDEDUP_DEDUP_INTERNAL_MOJIBAKE_H_
#define FACTDEDUP_DEDUP_INTERNAL_MOJIBAKE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace factdedup::dedup::internal {

// The byte that code point `c` has in Windows-1252, reading the five bytes cp1252 leaves
// undefined (0x81 0x8D 0x8F 0x90 0x9D) and Latin-1's C1 controls as U+0080..U+009F. Returns
// -1 for ASCII and for code points with no such byte.
int Cp1252Byte(char32_t c);

// One repair pass over valid UTF-8. A sequence of code points is replaced only when their
// cp1252 bytes form one well-formed UTF-8 character, and
//   - it is 3 or 4 bytes long ("â€™"), or
//   - it is 2 bytes with lead 0xC2..0xC5 (Latin-1 Supplement / Latin Extended-A: "Ã©",
//     "Å‚"), not decoding to a C1 control, or
//   - it is 2 bytes with lead 0xCE..0xD3 (Greek, Cyrillic) and a neighbouring sequence is
//     such a pair too (a mojibake word, not a lone "Ñ»").
// Anything else (legitimate "café", "naïve", "Ångström") is copied unchanged.
std::string RepairMojibakeOnce(absl::string_view utf8, bool* repaired);

// Repeats RepairMojibakeOnce (at most 3 times) so doubly encoded text is repaired too.
std::string RepairMojibakeAll(absl::string_view utf8, bool* repaired);

// True if `utf8` still contains a likely mojibake pair: "Â", "Ã" or "â" followed by a code
// point whose cp1252 byte is a UTF-8 continuation byte (0x80..0xBF).
bool LooksLikeMojibake(absl::string_view utf8);

}  // namespace factdedup::dedup::internal

#endif  // FACTDEDUP_DEDUP_INTERNAL_MOJIBAKE_H_
