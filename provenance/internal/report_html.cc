// The HTML report: one self-contained file (inline CSS and one small script, no external
// assets), every piece of note text escaped, a Content-Security-Policy that allows only the
// page's own nonce-tagged <style> and <script> (no external loads, no inline handlers).
// The only links are fragment links (#...) within the page.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "provenance/internal/report_render.h"

namespace factdedup::provenance::internal {
namespace {

constexpr char kStyle[] = R"css(
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#fff; --note:#0969da;
        --warn:#9a6700; --info:#1a7f37; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
       background: var(--bg); margin: 0 auto; padding: 1rem 1.5rem 3rem; max-width: 1200px; }
h1 { font-size: 1.6rem; margin: .5rem 0; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--line); padding-bottom: .3rem;
     margin-top: 2rem; }
h3 { font-size: 1rem; margin: 0 0 .4rem; }
nav a { margin-right: 1rem; }
.summary { color: var(--muted); }
.controls { position: sticky; top: 0; background: var(--bg); padding: .5rem 0;
            border-bottom: 1px solid var(--line); display: flex; gap: .5rem;
            align-items: center; flex-wrap: wrap; z-index: 1; }
.controls select, .controls button { font: inherit; padding: .2rem .5rem; }
.controls button[aria-pressed="true"] { background: var(--note); color: #fff;
            border: 1px solid var(--note); border-radius: 4px; }
#shown { color: var(--muted); margin-left: auto; }
article { border: 1px solid var(--line); border-left: 4px solid var(--note); border-radius: 6px;
          padding: .6rem .9rem; margin: .8rem 0; }
article.conflict { border-left-color: var(--warn); }
article.update { border-left-color: var(--info); }
.cid { font-family: ui-monospace, monospace; color: var(--muted); }
.badge { display: inline-block; background: #eef1f4; border-radius: 10px; padding: 0 .5rem;
         margin-left: .4rem; font-weight: normal; font-size: .85rem; }
.label { font-weight: 600; margin-right: .3rem; }
.where { font-family: ui-monospace, monospace; font-size: .85rem; color: var(--muted); }
.reason, .sources { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0; }
th, td { border-top: 1px solid var(--line); padding: .25rem .4rem; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.value { background: #fff8c5; padding: 0 .2rem; }
.suggestion { border-top: 1px dashed var(--line); padding-top: .3rem; }
[hidden] { display: none !important; }
)css";

// Filtering by page and sorting; reads "#page=...&sort=size|similarity" on load so a link
// (or a test) can open the report filtered and sorted. It only hides and reorders elements
// the page already has; it never builds markup from text.
constexpr char kScript[] = R"js(
(function () {
  'use strict';
  var list = document.getElementById('cluster-list');
  var select = document.getElementById('page-filter');
  var shown = document.getElementById('shown');
  var clusters = Array.prototype.slice.call(list.querySelectorAll('article.cluster'));
  var buttons = Array.prototype.slice.call(document.querySelectorAll('button[data-sort]'));
  function hasPage(c, page) {
    return Array.prototype.some.call(c.querySelectorAll('[data-page]'), function (e) {
      return e.getAttribute('data-page') === page;
    });
  }
  function filter() {
    var page = select.value, visible = 0;
    clusters.forEach(function (c) {
      var show = page === '' || hasPage(c, page);
      c.hidden = !show;
      if (show) visible++;
    });
    shown.textContent = visible + ' of ' + clusters.length + ' clusters';
    document.body.setAttribute('data-filter', page);
    document.body.setAttribute('data-visible', String(visible));
  }
  function sortBy(key) {
    var sorted = clusters.slice().sort(function (a, b) {
      var ia = Number(a.getAttribute('data-index')), ib = Number(b.getAttribute('data-index'));
      if (key === 'index') return ia - ib;
      var d = Number(b.getAttribute('data-' + key)) - Number(a.getAttribute('data-' + key));
      return d !== 0 ? d : ia - ib;
    });
    sorted.forEach(function (c) { list.appendChild(c); });
    buttons.forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-sort') === key));
    });
    document.body.setAttribute('data-sort', key);
    document.body.setAttribute('data-order', sorted.map(function (c) { return c.id; }).join(' '));
  }
  select.addEventListener('change', filter);
  buttons.forEach(function (b) {
    b.addEventListener('click', function () { sortBy(b.getAttribute('data-sort')); });
  });
  var params = new URLSearchParams(location.hash.slice(1));
  var page = params.get('page');
  if (page !== null && Array.prototype.some.call(select.options, function (o) {
        return o.value === page; })) {
    select.value = page;
  }
  var sort = params.get('sort');
  sortBy(sort === 'size' || sort === 'similarity' ? sort : 'index');
  filter();
  document.body.setAttribute('data-ready', '1');
})();
)js";

std::string E(absl::string_view text) { return HtmlEscape(text); }

std::string Where(const std::string& path, int line, const std::string& section) {
  std::string out =
      absl::StrCat("<span class=\"where\" data-page=\"", E(path), "\">", E(path), ":", line);
  if (!section.empty()) absl::StrAppend(&out, " · ", E(section));
  return out + "</span>";
}

std::string SourceItem(const Report& r, const Source& s) {
  std::vector<std::string> parts = {absl::StrCat("<span class=\"where\">", E(s.path), "</span> <q>",
                                                 E(TitleOf(r, s.path)), "</q>")};
  if (!s.date.empty()) parts.push_back(absl::StrCat("<time>", E(s.date), "</time>"));
  if (!s.type.empty()) parts.push_back(E(s.type));
  if (!s.source.empty()) parts.push_back(E(s.source));
  if (s.evidence) parts.push_back("evidence");
  if (s.line > 0) parts.push_back(absl::StrCat("line ", s.line));
  if (!s.section.empty()) parts.push_back(E(s.section));
  if (!s.via.empty()) parts.push_back(absl::StrCat("via ", E(s.via)));
  return absl::StrCat("<li>", absl::StrJoin(parts, " · "), "</li>");
}

void Head(const Report& r, std::string* out) {
  const std::string nonce = E(r.html_nonce);
  absl::StrAppend(
      out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src "
      "'nonce-",
      nonce, "'; style-src 'nonce-", nonce,
      "'; img-src 'none'; base-uri 'none'; form-action 'none'\">\n",
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
      "<meta name=\"generator\" content=\"factdedup ", E(r.tool_version), "\">\n",
      "<title>factdedup report ", E(r.generated), "</title>\n<style nonce=\"", nonce, "\">", kStyle,
      "</style>\n</head>\n");
}

void Summary(const Report& r, std::string* out) {
  absl::StrAppend(out, "<body data-ready=\"0\">\n<header>\n<h1>Duplicate facts report</h1>\n",
                  "<p class=\"summary\">", r.facts, " facts compared: ", r.clusters.size(),
                  " clusters (", r.duplicates, " duplicates), ", r.conflicts.size(), " conflicts, ",
                  r.updates.size(), " updates. Generated <time>", E(r.generated), "</time>");
  if (!r.tool_version.empty()) absl::StrAppend(out, " by factdedup ", E(r.tool_version));
  out->append(
      ".</p>\n<nav><a href=\"#clusters\">Clusters</a><a href=\"#conflicts\">Conflicts</a>"
      "<a href=\"#updates\">Updates</a><a href=\"#pages\">Pages</a></nav>\n</header>\n");
}

void Controls(const Report& r, std::string* out) {
  std::map<std::string, int> per_page;
  for (const ReportCluster& c : r.clusters) {
    for (const std::string& p : c.pages) ++per_page[p];
  }
  absl::StrAppend(out, "<div class=\"controls\">\n<label for=\"page-filter\">Page</label>\n",
                  "<select id=\"page-filter\"><option value=\"\">All pages</option>");
  for (const auto& [page, count] : per_page) {
    absl::StrAppend(out, "<option value=\"", E(page), "\">", E(page), " (", count, ")</option>");
  }
  out->append(
      "</select>\n<span>Sort by</span>\n"
      "<button type=\"button\" data-sort=\"index\" aria-pressed=\"true\">order found</button>\n"
      "<button type=\"button\" data-sort=\"size\" aria-pressed=\"false\">size</button>\n"
      "<button type=\"button\" data-sort=\"similarity\" aria-pressed=\"false\">similarity"
      "</button>\n");
  absl::StrAppend(out, "<output id=\"shown\">", r.clusters.size(), " of ", r.clusters.size(),
                  " clusters</output>\n</div>\n");
}

void Cluster(const Report& r, const ReportCluster& c, size_t index, std::string* out) {
  const ReportFact& canon = c.members[0];
  absl::StrAppend(out, "<article class=\"cluster\" id=\"", E(c.id), "\" data-index=\"", index,
                  "\" data-size=\"", c.members.size(), "\" data-similarity=\"",
                  absl::StrFormat("%.3f", c.mean_similarity), "\">\n");
  absl::StrAppend(out, "<h3><span class=\"cid\">", E(c.id), "</span><span class=\"badge\">",
                  c.members.size(), " facts</span><span class=\"badge\">similarity ",
                  FormatSimilarity(c.mean_similarity), "</span></h3>\n");
  absl::StrAppend(out, "<p class=\"canonical\"><span class=\"label\">Canonical</span>",
                  E(canon.text), " ", Where(canon.path, canon.line, canon.section), "</p>\n");
  absl::StrAppend(out, "<p class=\"reason\"><span class=\"label\">Why this one</span>", E(c.reason),
                  "</p>\n");
  out->append(
      "<table class=\"variants\"><thead><tr><th class=\"num\">Similarity</th><th>Relation</th>"
      "<th>Variant</th><th>Where</th></tr></thead><tbody>\n");
  for (size_t i = 1; i < c.members.size(); ++i) {
    const ReportFact& m = c.members[i];
    absl::StrAppend(out, "<tr><td class=\"num\">", FormatSimilarity(m.similarity), "</td><td>",
                    E(m.relation), "</td><td>", E(m.text), "</td><td>",
                    Where(m.path, m.line, m.section), "</td></tr>\n");
  }
  absl::StrAppend(out, "</tbody></table>\n<details><summary>Sources (", c.sources.size(),
                  ")</summary><ul class=\"sources\">");
  for (const Source& s : c.sources) out->append(SourceItem(r, s));
  out->append("</ul></details>\n</article>\n");
}

void ConflictArticle(const Report& r, const ReportConflict& c, const std::string& css,
                     const std::string& title, std::string* out) {
  absl::StrAppend(out, "<article class=\"", css, "\" data-type=\"", E(c.type), "\">\n<h3>",
                  E(title), " <span class=\"badge\">", E(c.type), "</span></h3>\n<ul>\n");
  for (const ReportConflictFact& f : c.facts) {
    const ConflictFact& x = f.fact;
    std::string value = x.field.empty() ? E(x.value) : absl::StrCat(E(x.field), ": ", E(x.value));
    absl::StrAppend(out, "<li><span class=\"value\">", value, "</span> ", Where(x.path, x.line, ""),
                    "<br>", E(x.text), "<ul class=\"sources\">");
    for (const Source& s : f.sources) out->append(SourceItem(r, s));
    out->append("</ul></li>\n");
  }
  out->append("</ul>\n");
  if (!c.suggestion.empty()) {
    absl::StrAppend(out,
                    "<p class=\"suggestion\"><span class=\"label\">Suggestion (not applied)"
                    "</span>",
                    E(SuggestionBody(c.suggestion)), "</p>\n");
  }
  out->append("</article>\n");
}

void PagesTable(const Report& r, std::string* out) {
  out->append(
      "<h2 id=\"pages\">Pages</h2>\n<p class=\"summary\">What <code>factdedup clean</code> would "
      "do to each note with compared facts. Evidence notes, sync-conflict copies and notes that "
      "did not parse are never rewritten.</p>\n<table class=\"pages\"><thead><tr><th>Page</th>"
      "<th>Role</th><th class=\"num\">Facts</th><th class=\"num\">Compared</th>"
      "<th class=\"num\">In clusters</th><th class=\"num\">After clean</th>"
      "<th class=\"num\">Removed</th><th class=\"num\">Conflicting kept</th>"
      "<th class=\"num\">Clusters merged</th><th class=\"num\">Bytes before</th>"
      "<th class=\"num\">Bytes after</th></tr></thead><tbody>\n");
  for (const PageStats& p : r.pages) {
    absl::StrAppend(out, "<tr><td>", E(p.path), "</td><td>", E(p.role), "</td>");
    for (int64_t v : {int64_t{p.facts}, int64_t{p.compared}, int64_t{p.in_clusters},
                      int64_t{p.facts_after}, int64_t{p.removed}, int64_t{p.conflicting_kept},
                      int64_t{p.clusters_merged}, p.bytes_before, p.bytes_after}) {
      absl::StrAppend(out, "<td class=\"num\">", v, "</td>");
    }
    out->append("</tr>\n");
  }
  out->append("</tbody></table>\n");
}

}  // namespace

std::string RenderHtmlReport(const Report& r) {
  std::string out;
  Head(r, &out);
  Summary(r, &out);
  out.append("<main>\n<h2 id=\"clusters\">Clusters</h2>\n");
  Controls(r, &out);
  out.append("<div id=\"cluster-list\">\n");
  if (r.clusters.empty()) out.append("<p>No duplicate facts.</p>\n");
  for (size_t i = 0; i < r.clusters.size(); ++i) Cluster(r, r.clusters[i], i, &out);
  out.append("</div>\n<h2 id=\"conflicts\">Conflicts</h2>\n");
  if (r.conflicts.empty()) out.append("<p>No conflicts.</p>\n");
  for (size_t i = 0; i < r.conflicts.size(); ++i) {
    ConflictArticle(r, r.conflicts[i], "conflict", absl::StrCat("Conflict ", i + 1), &out);
  }
  out.append(
      "<h2 id=\"updates\">Updates</h2>\n<p class=\"summary\">Later statements that supersede "
      "earlier ones; not contradictions.</p>\n");
  for (size_t i = 0; i < r.updates.size(); ++i) {
    ConflictArticle(r, r.updates[i], "update", absl::StrCat("Update ", i + 1), &out);
  }
  PagesTable(r, &out);
  absl::StrAppend(&out, "</main>\n<script nonce=\"", E(r.html_nonce), "\">", kScript,
                  "</script>\n</body>\n</html>\n");
  return out;
}

}  // namespace factdedup::provenance::internal
