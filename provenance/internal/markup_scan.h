// The scan that tells a fact's text that is plain (its display is its bytes as written) from
// one with markup, in two versions: SSE2 (16 bytes at a time, any x86-64) and AVX2 (32 bytes
// at a time, where the CPU has it). Defined in provenance/note.cc, which picks one at run time;
// declared here for tests, which check that both give the same answers.
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_MARKUP_SCAN_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_MARKUP_SCAN_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace factdedup::provenance::internal {

// npos when StripMarkdown(md) == md for sure; else the first byte from which it may not give
// `md` back as written (a byte of "\\<`[!*~=_\t\n\r", a space at either end or followed by a
// space) or an earlier byte, with no such byte before it. Both versions give the same answer
// for every `md`.
size_t NotAsWrittenAtSse2(absl::string_view md);
size_t NotAsWrittenAtAvx2(absl::string_view md);  // only where HaveAvx2()

// Whether this CPU runs AVX2 (checked once).
bool HaveAvx2();

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_MARKUP_SCAN_H_
