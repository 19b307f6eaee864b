// JSON pieces shared by `scan --json` and the JSON report, so the report stays a superset of
// the scan document by construction. Internal: callers outside provenance/ use
// provenance/scan_json.h and provenance/report.h.
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_JSON_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_JSON_H_

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/string_view.h"
#include "dedup/engine.h"
#include "provenance/conflicts.h"
#include "provenance/report.h"
#include "provenance/scan.h"
#include "provenance/sources.h"
#include "provenance/vault.h"

namespace factdedup::provenance::internal {

// {"path", "line", "text"} of `f`, one of `note`'s facts.
nlohmann::json FactJson(const Note& note, const Fact& f);

// One cluster as `scan --json` writes it: {"id", "canonical", "members", "reason"}.
nlohmann::json ClusterJson(const Vault& vault, const ScanResult& scan, const dedup::Cluster& c);

// {"type", "facts":[{"path","line","text","value"(,"field")}], "pairs":[[i,j],...],
// "suggestion"}; pairs index `facts` (Conflict::pairs).
nlohmann::json ConflictJson(const Conflict& c);

// {"path","line","section","date","type","source","evidence","depth","via"}.
nlohmann::json SourceJson(const Source& s);

// The whole `scan --json` document: {"version", "facts", "clusters", "conflicts", "updates",
// "stats"}.
nlohmann::json ScanJson(const Vault& vault, const ScanResult& scan,
                        const std::vector<Conflict>& found);

// The engine's counters, {"candidates", "minhash_candidates", ...}.
nlohmann::json StatsJson(const dedup::DedupStats& s);

// Whether every byte of `s` is printable ASCII other than '"' and '\\' (DEL included), so that
// `"` + s + `"` is its JSON string as written: nothing to escape, and valid UTF-8.
bool JsonPlainAscii(absl::string_view s);

// A similarity as the documents write it (a multiple of 0.001 in [0, 1], e.g. 0.857, 1.0) into
// `out` (8 bytes), exactly as nlohmann::json's dump writes that double: returns its length, or
// 0 for any other value (then dump it with nlohmann::json).
size_t JsonThousandths(double v, char* out);

// The JSON report (docs/report.md): the `scan --json` document of the report's scan, written
// by the same element writers, with the report's keys added in place (keys sorted, as
// everywhere): exactly what Dump would write for that tree.
std::string FormatReportJson(const Report& report);
// The same bytes, written to `out` as they are formatted (64 KiB at a time): the document is
// never whole in memory.
void WriteReportJson(std::ostream& out, const Report& report);

// Serializes the way every factdedup JSON document is written: 2-space indent, invalid UTF-8
// replaced, a final newline.
std::string Dump(const nlohmann::json& j);

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_JSON_H_
