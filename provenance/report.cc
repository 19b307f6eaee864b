#include "provenance/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dedup/hash.h"
#include "provenance/check.h"
#include "provenance/internal/json.h"
#include "provenance/internal/report_render.h"

namespace factdedup::provenance {
namespace {

std::string NoteTitle(const Note& note) {
  const FrontmatterKey* title = note.frontmatter.Find("title");
  if (title != nullptr && !title->value.empty()) return title->value;
  absl::string_view name = note.path;
  if (size_t slash = name.rfind('/'); slash != absl::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  if (absl::EndsWith(name, ".md")) name.remove_suffix(3);
  return std::string(name);
}

std::string PageRole(const Note& note, const SourceOptions& options) {
  if (!note.fully_parsed) return "unparsed";
  if (BaseNotePath(note.path) != note.path) return "copy";
  if (IsEvidenceNote(note, options)) return "evidence";
  return "page";
}

ReportCluster BuildCluster(const Vault& vault, const LinkResolver& resolver, const ScanResult& scan,
                           const dedup::Cluster& c, const SourceOptions& options) {
  ReportCluster rc;
  rc.id = ClusterId(scan.display(vault, c.canonical));
  rc.reason = c.reason;
  rc.sources = ClusterSources(vault, resolver, scan, c, options);
  std::set<std::string> pages;
  double sum = 0;
  for (const dedup::Member& m : c.members) {
    const Fact& f = scan.fact(vault, m.item);
    const Note& note = scan.note(vault, m.item);
    rc.members.push_back({note.path, f.line, SectionOf(note, f), std::string(DisplayOf(note, f)),
                          m.similarity, dedup::RelationName(m.relation)});
    pages.insert(note.path);
    if (m.relation != dedup::Relation::kCanonical) sum += m.similarity;
  }
  rc.pages.assign(pages.begin(), pages.end());
  if (c.members.size() > 1) rc.mean_similarity = sum / static_cast<double>(c.members.size() - 1);
  return rc;
}

std::vector<PageStats> BuildPages(const Vault& vault, const ScanResult& scan, const CleanPlan& plan,
                                  const SourceOptions& options) {
  std::vector<int> compared(vault.notes.size(), 0), in_clusters(vault.notes.size(), 0);
  for (const FactRef& r : scan.facts) ++compared[r.note];
  for (const dedup::Cluster& c : scan.dedup.clusters) {
    for (const dedup::Member& m : c.members) ++in_clusters[scan.facts[m.item].note];
  }
  std::map<int, const PagePlan*> planned;
  for (const PagePlan& p : plan.pages) planned[p.note] = &p;
  std::vector<PageStats> out;
  for (size_t n = 0; n < vault.notes.size(); ++n) {
    if (compared[n] == 0) continue;
    const Note& note = vault.notes[n];
    PageStats s;
    s.path = note.path;
    s.title = NoteTitle(note);
    s.role = PageRole(note, options);
    s.facts = static_cast<int>(note.facts.size());
    s.compared = compared[n];
    s.in_clusters = in_clusters[n];
    s.facts_after = s.facts;
    s.bytes_before = s.bytes_after = static_cast<int64_t>(note.content.size());
    if (auto it = planned.find(static_cast<int>(n)); it != planned.end()) {
      const PagePlan& p = *it->second;
      s.facts_after = p.facts_after;
      s.removed = static_cast<int>(p.removed.size());
      s.conflicting_kept = static_cast<int>(p.conflicting.size());
      s.clusters_merged = p.clusters_merged;
      s.bytes_after = static_cast<int64_t>(p.after.size());
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool ValidNonce(absl::string_view nonce) {
  if (nonce.size() < 16 || nonce.size() > 64) return false;
  return std::all_of(nonce.begin(), nonce.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=' || c == '_' || c == '-';
  });
}

}  // namespace

absl::StatusOr<Report> BuildReport(const Vault& vault, const ScanResult& scan,
                                   const std::vector<Conflict>& conflicts, const CleanPlan& plan,
                                   const ReportOptions& options) {
  if (options.generated.empty()) {
    return absl::InvalidArgumentError("report: the generation date is required");
  }
  if (!options.html_nonce.empty() && !ValidNonce(options.html_nonce)) {
    return absl::InvalidArgumentError(
        "report: the HTML nonce must be 16 to 64 characters of [A-Za-z0-9+/=_-]");
  }
  Report r;
  r.generated = options.generated;
  r.tool_version = options.tool_version;
  r.facts = static_cast<int>(scan.facts.size());
  LinkResolver resolver(vault);
  std::map<int, int> cluster_of;  // scan item -> index into r.clusters
  for (const dedup::Cluster& c : scan.dedup.clusters) {
    for (const dedup::Member& m : c.members) {
      cluster_of[m.item] = static_cast<int>(r.clusters.size());
    }
    r.clusters.push_back(BuildCluster(vault, resolver, scan, c, options.sources));
    r.duplicates += static_cast<int>(c.members.size()) - 1;
  }
  std::map<std::pair<std::string, int>, int> item_at;
  for (size_t i = 0; i < scan.facts.size(); ++i) {
    const int item = static_cast<int>(i);
    item_at[{scan.note(vault, item).path, scan.fact(vault, item).line}] = item;
  }
  for (const Conflict& c : conflicts) {
    ReportConflict rc{c.type, {}, c.suggestion, c.pairs};
    for (const ConflictFact& f : c.facts) {
      ReportConflictFact rf{f, {}};
      // The fact's own note and its source chain, then the other notes of its cluster.
      if (int n = vault.FindNote(f.path); n >= 0) {
        rf.sources = LineSources(vault, resolver, n, f.line, options.sources);
      }
      auto item = item_at.find({f.path, f.line});
      auto cluster = item == item_at.end() ? cluster_of.end() : cluster_of.find(item->second);
      if (cluster != cluster_of.end()) {
        for (const Source& s : r.clusters[cluster->second].sources) {
          bool seen = std::any_of(rf.sources.begin(), rf.sources.end(),
                                  [&](const Source& x) { return x.path == s.path; });
          if (!seen) rf.sources.push_back(s);
        }
      }
      rc.facts.push_back(std::move(rf));
    }
    (IsContradiction(c) ? r.conflicts : r.updates).push_back(std::move(rc));
  }
  r.pages = BuildPages(vault, scan, plan, options.sources);
  for (const Note& note : vault.notes) r.titles[note.path] = NoteTitle(note);
  r.stats = scan.dedup.stats;
  r.html_nonce = options.html_nonce;
  if (r.html_nonce.empty()) {
    // Reproducible: the same report gets the same nonce (a hash of its JSON document).
    r.html_nonce = absl::StrFormat("fd%016x%016x", dedup::Hash64(internal::FormatReportJson(r)),
                                   dedup::Hash64(absl::StrCat(r.generated, r.tool_version)));
  }
  return r;
}

absl::StatusOr<ReportFormat> ParseReportFormat(absl::string_view name) {
  if (name == "md") return ReportFormat::kMarkdown;
  if (name == "html") return ReportFormat::kHtml;
  if (name == "json") return ReportFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("report format '", name, "' is not one of md, html, json"));
}

std::string RenderReport(const Report& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kMarkdown:
      return internal::RenderMarkdownReport(report);
    case ReportFormat::kHtml:
      return internal::RenderHtmlReport(report);
    case ReportFormat::kJson:
      return internal::FormatReportJson(report);
  }
  return "";
}

void WriteReport(std::ostream& out, const Report& report, ReportFormat format) {
  if (format == ReportFormat::kJson) {
    internal::WriteReportJson(out, report);
  } else {
    out << RenderReport(report, format);
  }
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string MarkdownEscape(absl::string_view text) {
  static constexpr absl::string_view kSpecial = "\\`*_[]<>#|$~=^%&";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (kSpecial.find(c) != absl::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace factdedup::provenance
