// The review report: every duplicate cluster with its sources, the conflicts, and what `clean`
// would do to each page, rendered for a reader (Markdown for Obsidian, one HTML file) or for
// tools (JSON, a superset of `scan --json`; schema in docs/report.md).
//
//   absl::StatusOr<Report> r = BuildReport(vault, scan, conflicts, plan, {.generated =
//   "2026-01-05"}); std::string note = RenderReport(*r, ReportFormat::kMarkdown);
//
// Rendering is deterministic: the same vault and options give the same bytes (the HTML's
// Content-Security-Policy nonce is an option; see ReportOptions::html_nonce).
#ifndef FACTDEDUP_PROVENANCE_REPORT_H_
#define FACTDEDUP_PROVENANCE_REPORT_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dedup/engine.h"
#include "provenance/clean.h"
#include "provenance/conflicts.h"
#include "provenance/scan.h"
#include "provenance/sources.h"
#include "provenance/vault.h"

namespace factdedup::provenance {

// Version of the JSON report (`"report_version"`); bumped on any incompatible change.
inline constexpr int kReportVersion = 1;

struct ReportOptions {
  // The date (or date-time) the report says it was generated; the caller's clock, so that
  // output is reproducible. Required.
  std::string generated;
  // factdedup's version, written into the report. Default "".
  std::string tool_version;
  // Nonce of the HTML report's one <script> and <style> in its Content-Security-Policy:
  // 16 to 64 characters of [A-Za-z0-9+/=_-]. The CLI passes a fresh random one. Default "":
  // derived from the report's content (reproducible, for tests).
  std::string html_nonce;
  SourceOptions sources;
};

struct ReportFact {
  std::string path;
  int line = 0;
  std::string section;
  std::string text;  // display text
  double similarity = 1.0;
  std::string relation;  // "canonical", "exact", "paraphrase", ...
};

struct ReportCluster {
  std::string id;                   // ClusterId of the canonical
  std::vector<ReportFact> members;  // the canonical first (as in `scan --json`)
  std::string reason;               // why the canonical was chosen
  std::vector<Source> sources;      // ClusterSources
  std::vector<std::string> pages;   // distinct paths of the members, sorted
  double mean_similarity = 1.0;     // over the variants (members but the canonical)
};

struct ReportConflictFact {
  ConflictFact fact;
  // LineSources of the fact's line, then the other notes of its cluster (each note once).
  std::vector<Source> sources;
};

struct ReportConflict {
  std::string type;
  std::vector<ReportConflictFact> facts;
  std::string suggestion;  // advice, never applied ("" when none)
  // Pairs of `facts` found to disagree directly (Conflict::pairs).
  std::vector<std::pair<int, int>> pairs;
};

struct PageStats {
  std::string path;
  std::string title;  // frontmatter title, else the file name without .md
  // "page" (clean may rewrite it), "evidence" (meeting notes, raw articles), "copy" (a
  // sync-conflict version of another note) or "unparsed" (never rewritten).
  std::string role;
  int facts = 0;             // bullets in the note
  int compared = 0;          // facts that took part in deduplication
  int in_clusters = 0;       // of those, members of a cluster
  int facts_after = 0;       // bullets after `clean`
  int removed = 0;           // variants `clean` removes
  int conflicting_kept = 0;  // variants `clean` keeps and marks because they conflict
  int clusters_merged = 0;
  int64_t bytes_before = 0, bytes_after = 0;
};

struct Report {
  std::string generated;
  std::string tool_version;
  std::string html_nonce;
  int facts = 0;       // facts compared
  int duplicates = 0;  // cluster members that are not the canonical
  std::vector<ReportCluster> clusters;
  std::vector<ReportConflict> conflicts;      // contradictions
  std::vector<ReportConflict> updates;        // supersessions ("now May (previously January)")
  std::vector<PageStats> pages;               // every note with a compared fact, in vault order
  std::map<std::string, std::string> titles;  // path -> title of every note in the vault
  dedup::DedupStats stats;                    // the scan's counters (`scan --json`'s "stats")
};

// Builds the model. `conflicts` is FindConflicts' output for `scan`; `plan` is PlanClean's.
absl::StatusOr<Report> BuildReport(const Vault& vault, const ScanResult& scan,
                                   const std::vector<Conflict>& conflicts, const CleanPlan& plan,
                                   const ReportOptions& options);

enum class ReportFormat { kMarkdown, kHtml, kJson };

// Parses "md", "html" or "json".
absl::StatusOr<ReportFormat> ParseReportFormat(absl::string_view name);

std::string RenderReport(const Report& report, ReportFormat format);
// RenderReport's bytes, written to `out`; JSON is written as it is formatted, never whole in
// memory (at 1M facts the document is hundreds of MB).
void WriteReport(std::ostream& out, const Report& report, ReportFormat format);

// Text for HTML element content and attribute values: & < > " ' escaped.
std::string HtmlEscape(absl::string_view text);
// Text for Obsidian Markdown, shown literally: Markdown, HTML, math ($), highlights (==),
// comments (%%), tags (#) and links ([ ]) are backslash-escaped.
std::string MarkdownEscape(absl::string_view text);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_REPORT_H_
