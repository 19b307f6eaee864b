// The `scan --json` document (format version kJsonFormatVersion, see provenance/version.h):
//
//   {"version":1, "facts":N,
//    "clusters":[{"id", "canonical":{"path","line","text"},
//                 "members":[{"path","line","text","section","similarity","relation"}],
//                 "reason"}],
//    "conflicts":[{"type", "facts":[{"path","line","text","value"(,"field")}], "pairs",
//                  "suggestion"}],
//    "updates":[...as conflicts...], "stats":{...}}
//
// The JSON report (provenance/report.h, docs/report.md) is a superset of it.
#ifndef FACTDEDUP_PROVENANCE_SCAN_JSON_H_
#define FACTDEDUP_PROVENANCE_SCAN_JSON_H_

#include <ostream>
#include <string>
#include <vector>

#include "provenance/conflicts.h"
#include "provenance/scan.h"
#include "provenance/vault.h"

namespace factdedup::provenance {

// The document, indented by 2, with a final newline.
std::string FormatScanJson(const Vault& vault, const ScanResult& scan,
                           const std::vector<Conflict>& conflicts);

// The same bytes, written to `out` as they are formatted: clusters and conflicts a block of 256
// at a time, blocks formatted on `threads` threads (0: one per core) and written in order, so
// memory stays that of a few blocks, not of the whole document (a 1M-fact vault's document is
// about a gigabyte). The bytes do not depend on `threads`.
void WriteScanJson(std::ostream& out, const Vault& vault, const ScanResult& scan,
                   const std::vector<Conflict>& conflicts, int threads = 1);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_SCAN_JSON_H_
