// Version of the factdedup libraries and of the formats they write.
#ifndef FACTDEDUP_PROVENANCE_VERSION_H_
#define FACTDEDUP_PROVENANCE_VERSION_H_

namespace factdedup::provenance {

// Version of `facts --json` / `scan --json` documents.
inline constexpr int kJsonFormatVersion = 1;

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_VERSION_H_
