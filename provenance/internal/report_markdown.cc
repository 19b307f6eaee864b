// The Markdown report: an Obsidian note with frontmatter, callouts and wikilinks.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "provenance/internal/report_render.h"

namespace factdedup::provenance::internal {
namespace {

// Percent-encodes everything but unreserved characters and '/'.
std::string PercentEncode(absl::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

// An Obsidian link to the note at `path`: [[path-without-.md|title]], or [[path-without-.md]]
// when `alias` is false (inside tables, where '|' splits cells). A path that a wikilink
// cannot hold ([ ] | # ^, or < > that could read as HTML) gets a Markdown link with a
// percent-encoded target instead.
std::string NoteLink(const Report& report, const std::string& path, bool alias = true) {
  absl::string_view target = path;
  absl::ConsumeSuffix(&target, ".md");
  // An alias is shown as written: characters that would end the link or open markup are
  // replaced by look-alikes.
  std::string title = absl::StrReplaceAll(
      TitleOf(report, path),
      {{"[", "("}, {"]", ")"}, {"|", "/"}, {"\n", " "}, {"<", "\u2039"}, {">", "\u203A"}});
  if (target.find_first_of("[]|#^<>\n") != absl::string_view::npos) {
    return absl::StrCat("[", MarkdownEscape(title), "](", PercentEncode(path), ")");
  }
  if (!alias) return absl::StrCat("[[", target, "]]");
  return absl::StrCat("[[", target, "|", title, "]]");
}

std::string Where(const Report& report, const std::string& path, int line,
                  const std::string& section) {
  std::string out = absl::StrCat(NoteLink(report, path), " line ", line);
  if (!section.empty()) absl::StrAppend(&out, " · ", MarkdownEscape(section));
  return out;
}

// "[[note|title]] · 2025-11-12 · customer, transcript · evidence · line 25, Key Information"
std::string SourceLine(const Report& report, const Source& s) {
  std::vector<std::string> parts = {NoteLink(report, s.path)};
  if (!s.date.empty()) parts.push_back(MarkdownEscape(s.date));
  std::string kind = s.type;
  if (!s.source.empty()) kind = kind.empty() ? s.source : absl::StrCat(kind, ", ", s.source);
  if (!kind.empty()) parts.push_back(MarkdownEscape(kind));
  if (s.evidence) parts.push_back("evidence");
  if (s.line > 0) {
    parts.push_back(s.section.empty()
                        ? absl::StrCat("line ", s.line)
                        : absl::StrCat("line ", s.line, ", ", MarkdownEscape(s.section)));
  }
  if (!s.via.empty()) parts.push_back(absl::StrCat("via ", NoteLink(report, s.via)));
  return absl::StrJoin(parts, " · ");
}

void Frontmatter(const Report& r, std::string* out) {
  auto quoted = [](absl::string_view v) {
    return absl::StrCat("\"", absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
  };
  absl::StrAppend(out, "---\ntype: factdedup-report\n", "generated: ", quoted(r.generated), "\n",
                  "version: ", quoted(r.tool_version), "\n", "report_version: ", kReportVersion,
                  "\n", "facts: ", r.facts, "\n", "clusters: ", r.clusters.size(), "\n",
                  "duplicates: ", r.duplicates, "\n", "conflicts: ", r.conflicts.size(), "\n",
                  "updates: ", r.updates.size(), "\n", "tags:\n  - factdedup\n---\n\n");
}

void Cluster(const Report& r, const ReportCluster& c, std::string* out) {
  const ReportFact& canon = c.members[0];
  absl::StrAppend(out, "> [!note] Cluster ", c.id, " · ", c.members.size(), " facts · similarity ",
                  FormatSimilarity(c.mean_similarity), "\n");
  absl::StrAppend(out, "> **Canonical:** ", MarkdownEscape(canon.text), "\n");
  absl::StrAppend(out, "> ", Where(r, canon.path, canon.line, canon.section), "\n");
  absl::StrAppend(out, "> **Why this one:** ", MarkdownEscape(c.reason), "\n>\n");
  absl::StrAppend(out, "> **Variants**\n");
  for (size_t i = 1; i < c.members.size(); ++i) {
    const ReportFact& m = c.members[i];
    absl::StrAppend(out, "> - ", FormatSimilarity(m.similarity), " ", m.relation, " · ",
                    Where(r, m.path, m.line, m.section), ": ", MarkdownEscape(m.text), "\n");
  }
  absl::StrAppend(out, ">\n> **Sources**\n");
  for (const Source& s : c.sources) absl::StrAppend(out, "> - ", SourceLine(r, s), "\n");
  out->append("\n");
}

void ConflictCallout(const Report& r, const ReportConflict& c, const std::string& kind,
                     const std::string& title, std::string* out) {
  absl::StrAppend(out, "> [!", kind, "] ", title, " · ", c.type, "\n");
  for (const ReportConflictFact& f : c.facts) {
    const ConflictFact& x = f.fact;
    std::string value = MarkdownEscape(x.value);
    if (!x.field.empty()) value = absl::StrCat(MarkdownEscape(x.field), ": ", value);
    absl::StrAppend(out, "> - **", value, "** — ", NoteLink(r, x.path), " line ", x.line, ": ",
                    MarkdownEscape(x.text), "\n");
    for (const Source& s : f.sources) absl::StrAppend(out, ">   - ", SourceLine(r, s), "\n");
  }
  if (!c.suggestion.empty()) {
    absl::StrAppend(out, ">\n> *Suggestion (not applied):* ",
                    MarkdownEscape(SuggestionBody(c.suggestion)), "\n");
  }
  out->append("\n");
}

void PagesTable(const Report& r, std::string* out) {
  out->append(
      "What `factdedup clean` would do to each note with compared facts. Evidence notes, "
      "sync-conflict copies and notes that did not parse are never rewritten.\n\n"
      "| Page | Role | Facts | Compared | In clusters | After clean | Removed | Conflicting kept "
      "| Clusters merged | Bytes before | Bytes after |\n"
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  PageStats total;
  for (const PageStats& p : r.pages) {
    absl::StrAppend(out, "| ", NoteLink(r, p.path, /*alias=*/false), " | ", p.role, " | ", p.facts,
                    " | ", p.compared, " | ", p.in_clusters, " | ", p.facts_after, " | ", p.removed,
                    " | ", p.conflicting_kept, " | ", p.clusters_merged, " | ", p.bytes_before,
                    " | ", p.bytes_after, " |\n");
    total.facts += p.facts;
    total.compared += p.compared;
    total.in_clusters += p.in_clusters;
    total.facts_after += p.facts_after;
    total.removed += p.removed;
    total.conflicting_kept += p.conflicting_kept;
    total.clusters_merged += p.clusters_merged;
    total.bytes_before += p.bytes_before;
    total.bytes_after += p.bytes_after;
  }
  absl::StrAppend(out, "| **Total** |  | ", total.facts, " | ", total.compared, " | ",
                  total.in_clusters, " | ", total.facts_after, " | ", total.removed, " | ",
                  total.conflicting_kept, " | ", total.clusters_merged, " | ", total.bytes_before,
                  " | ", total.bytes_after, " |\n");
}

}  // namespace

std::string FormatSimilarity(double similarity) { return absl::StrFormat("%.2f", similarity); }

std::string SuggestionBody(absl::string_view suggestion) {
  absl::ConsumePrefix(&suggestion, "suggestion: ");
  return std::string(suggestion);
}

std::string TitleOf(const Report& report, const std::string& path) {
  auto it = report.titles.find(path);
  return it == report.titles.end() ? path : it->second;
}

std::string RenderMarkdownReport(const Report& r) {
  std::string out;
  Frontmatter(r, &out);
  absl::StrAppend(&out, "# Duplicate facts report\n\n", r.facts,
                  " facts compared: ", r.clusters.size(), " clusters (", r.duplicates,
                  " duplicates), ", r.conflicts.size(), " conflicts, ", r.updates.size(),
                  " updates. Generated ", MarkdownEscape(r.generated));
  if (!r.tool_version.empty()) {
    absl::StrAppend(&out, " by factdedup ", MarkdownEscape(r.tool_version));
  }
  out.append(".\n\n## Clusters\n\n");
  if (r.clusters.empty()) out.append("No duplicate facts.\n\n");
  for (const ReportCluster& c : r.clusters) Cluster(r, c, &out);
  out.append("## Conflicts\n\n");
  if (r.conflicts.empty()) out.append("No conflicts.\n\n");
  for (size_t i = 0; i < r.conflicts.size(); ++i) {
    ConflictCallout(r, r.conflicts[i], "warning", absl::StrCat("Conflict ", i + 1), &out);
  }
  if (!r.updates.empty()) {
    out.append(
        "## Updates\n\nLater statements that supersede earlier ones; not contradictions.\n\n");
  }
  for (size_t i = 0; i < r.updates.size(); ++i) {
    ConflictCallout(r, r.updates[i], "info", absl::StrCat("Update ", i + 1), &out);
  }
  out.append("## Pages\n\n");
  PagesTable(r, &out);
  return out;
}

}  // namespace factdedup::provenance::internal
