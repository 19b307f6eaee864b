#include "provenance/report.h"

#include <cmath>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#include <yaml-cpp/yaml.h>
#pragma GCC diagnostic pop

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provenance/config.h"
#include "provenance/internal/json.h"
#include "provenance/scan_json.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::ExpectGolden;
using ::factdedup::testing::SourcePath;
using ::testing::HasSubstr;
using ::testing::Not;

struct Built {
  Vault vault;
  ScanResult scan;
  std::vector<Conflict> conflicts;
  CleanPlan plan;
  Report report;
};

Built Build(const std::string& root, const std::string& nonce = "") {
  Built b;
  absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), root, Config{});
  EXPECT_TRUE(vault.ok());
  b.vault = *std::move(vault);
  absl::StatusOr<ScanResult> scan = ScanVault(b.vault, dedup::DedupOptions{});
  EXPECT_TRUE(scan.ok());
  b.scan = *std::move(scan);
  absl::StatusOr<std::vector<Conflict>> conflicts = FindConflicts(b.vault, b.scan);
  EXPECT_TRUE(conflicts.ok());
  b.conflicts = *std::move(conflicts);
  CleanOptions clean;
  clean.conflicts = &b.conflicts;
  absl::StatusOr<CleanPlan> plan = PlanClean(b.vault, b.scan, clean);
  EXPECT_TRUE(plan.ok());
  b.plan = *std::move(plan);
  ReportOptions options;
  options.generated = "2026-01-05T00:00:00Z";
  options.tool_version = "test";
  options.html_nonce = nonce;
  absl::StatusOr<Report> report = BuildReport(b.vault, b.scan, b.conflicts, b.plan, options);
  EXPECT_TRUE(report.ok()) << report.status();
  if (report.ok()) b.report = *std::move(report);
  return b;
}

std::string SampleVault() { return SourcePath("data/vault"); }
std::string HostileVault() { return SourcePath("tests/data/hostile_vault"); }

TEST(Report, GoldenMarkdownAndJsonOnTheSampleVault) {
  Built b = Build(SampleVault());
  ExpectGolden("report.md", RenderReport(b.report, ReportFormat::kMarkdown));
  ExpectGolden("report.json", RenderReport(b.report, ReportFormat::kJson));
}

TEST(Report, GoldenMarkdownAndJsonOnAHostileVault) {
  Built b = Build(HostileVault());
  ExpectGolden("report_hostile.md", RenderReport(b.report, ReportFormat::kMarkdown));
  ExpectGolden("report_hostile.json", RenderReport(b.report, ReportFormat::kJson));
}

TEST(Report, WrittenToAStreamAsRendered) {
  for (const std::string& root : {SampleVault(), HostileVault()}) {
    Built b = Build(root);
    for (ReportFormat f : {ReportFormat::kMarkdown, ReportFormat::kHtml, ReportFormat::kJson}) {
      std::ostringstream out;
      WriteReport(out, b.report, f);
      EXPECT_EQ(out.str(), RenderReport(b.report, f)) << root;
    }
  }
}

TEST(Report, SameInputSameBytes) {
  Built a = Build(SampleVault()), b = Build(SampleVault());
  for (ReportFormat f : {ReportFormat::kMarkdown, ReportFormat::kHtml, ReportFormat::kJson}) {
    EXPECT_EQ(RenderReport(a.report, f), RenderReport(b.report, f));
  }
}

// Every key and value of `sub` is in `super` (arrays element by element, same length).
void ExpectSuperset(const nlohmann::json& super, const nlohmann::json& sub, const std::string& at) {
  if (sub.is_object()) {
    ASSERT_TRUE(super.is_object()) << at;
    for (const auto& [key, value] : sub.items()) {
      ASSERT_TRUE(super.contains(key)) << at << "/" << key;
      ExpectSuperset(super[key], value, at + "/" + key);
    }
  } else if (sub.is_array()) {
    ASSERT_TRUE(super.is_array()) << at;
    ASSERT_EQ(super.size(), sub.size()) << at;
    for (size_t i = 0; i < sub.size(); ++i) {
      ExpectSuperset(super[i], sub[i], at + "/" + std::to_string(i));
    }
  } else {
    EXPECT_EQ(super, sub) << at;
  }
}

TEST(Report, JsonIsAVersionedSupersetOfScanJson) {
  for (const std::string& root : {SampleVault(), HostileVault()}) {
    Built b = Build(root);
    nlohmann::json report = nlohmann::json::parse(RenderReport(b.report, ReportFormat::kJson));
    nlohmann::json scan = nlohmann::json::parse(FormatScanJson(b.vault, b.scan, b.conflicts));
    ExpectSuperset(report, scan, root);
    EXPECT_EQ(report["report_version"], kReportVersion);
    ASSERT_FALSE(report["clusters"].empty());
    for (const auto& c : report["clusters"]) {
      ASSERT_FALSE(c["sources"].empty());
      EXPECT_TRUE(c["sources"][0].contains("date"));
    }
    EXPECT_FALSE(report["pages"].empty());
  }
}

// The JSON report as it was first built: the `scan --json` document parsed into a tree, the
// report's keys added, the tree dumped. FormatReportJson writes it directly; this is the
// reference it must match byte for byte.
std::string ReportJsonThroughATree(const Built& b) {
  auto sources = [](const std::vector<Source>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const Source& s : list) out.push_back(internal::SourceJson(s));
    return out;
  };
  const Report& r = b.report;
  nlohmann::json j = nlohmann::json::parse(FormatScanJson(b.vault, b.scan, b.conflicts));
  j["report_version"] = kReportVersion;
  j["generated"] = r.generated;
  j["tool_version"] = r.tool_version;
  j["duplicates"] = r.duplicates;
  for (size_t i = 0; i < r.clusters.size(); ++i) {
    nlohmann::json& jc = j["clusters"][i];
    jc["sources"] = sources(r.clusters[i].sources);
    jc["pages"] = r.clusters[i].pages;
    jc["mean_similarity"] = std::round(r.clusters[i].mean_similarity * 1000) / 1000;
  }
  for (const auto& [list, key] : {std::pair{&r.conflicts, "conflicts"}, {&r.updates, "updates"}}) {
    for (size_t i = 0; i < list->size(); ++i) {
      for (size_t k = 0; k < (*list)[i].facts.size(); ++k) {
        j[key][i]["facts"][k]["sources"] = sources((*list)[i].facts[k].sources);
      }
    }
  }
  nlohmann::json pages = nlohmann::json::array();
  for (const PageStats& p : r.pages) {
    pages.push_back({{"path", p.path},
                     {"title", p.title},
                     {"role", p.role},
                     {"facts", p.facts},
                     {"compared", p.compared},
                     {"in_clusters", p.in_clusters},
                     {"facts_after", p.facts_after},
                     {"removed", p.removed},
                     {"conflicting_kept", p.conflicting_kept},
                     {"clusters_merged", p.clusters_merged},
                     {"bytes_before", p.bytes_before},
                     {"bytes_after", p.bytes_after}});
  }
  j["pages"] = std::move(pages);
  return internal::Dump(j);
}

TEST(Report, JsonIsWhatTheTreeOfTheScanDocumentAndTheReportsKeysDumps) {
  for (const std::string& root : {SampleVault(), HostileVault()}) {
    Built b = Build(root);
    ASSERT_FALSE(b.report.clusters.empty());
    ASSERT_FALSE(b.report.conflicts.empty());
    EXPECT_EQ(RenderReport(b.report, ReportFormat::kJson), ReportJsonThroughATree(b)) << root;
  }
  // Cases the vaults do not have: empty lists, invalid UTF-8, control bytes, quotes, an
  // update, sources reached by links, odd similarities.
  Built b = Build(SampleVault());
  Report& r = b.report;
  r.clusters.resize(2);
  r.clusters[0].sources.clear();
  r.clusters[0].pages.clear();
  r.clusters[0].mean_similarity = 0.8571428;
  r.clusters[1].members[0].text = "bad \xFF byte, \"quoted\", tab\there";
  r.clusters[1].members[0].similarity = 1.0 / 3;
  Source linked;
  linked.path = "Inbox/raw \x01.md";
  linked.depth = 2;
  linked.evidence = true;
  linked.via = "A/b.md";
  r.clusters[1].sources.push_back(linked);
  r.updates = r.conflicts;
  r.updates.resize(1);
  r.updates[0].type = "update";
  r.updates[0].pairs.clear();
  r.updates[0].facts[0].sources = {linked};
  r.updates[0].facts[0].fact.field = "date";
  r.conflicts.clear();
  const std::string fast = RenderReport(r, ReportFormat::kJson);
  // (The tree reference reads the vault's texts, not the edited model: the edits are checked
  // one by one, and the formatting as nlohmann dumps what it parses.)
  nlohmann::json fast_tree = nlohmann::json::parse(fast);
  EXPECT_EQ(fast_tree["clusters"][1]["members"][0]["text"],
            "bad \uFFFD byte, \"quoted\", tab\there");
  EXPECT_EQ(fast_tree["clusters"][0]["mean_similarity"], 0.857);
  EXPECT_EQ(fast_tree["clusters"][1]["sources"].back()["via"], "A/b.md");
  EXPECT_EQ(fast_tree["updates"][0]["facts"][0]["field"], "date");
  EXPECT_TRUE(fast_tree["conflicts"].empty());
  // And byte for byte as nlohmann dumps the same tree.
  EXPECT_EQ(fast, internal::Dump(fast_tree));
}

TEST(Report, MarkdownIsAnObsidianNoteWhoseLinksResolve) {
  Built b = Build(SampleVault());
  const std::string md = RenderReport(b.report, ReportFormat::kMarkdown);
  // Valid YAML frontmatter with the report's type.
  Note note = ParseNote("factdedup-report.md", md);
  ASSERT_TRUE(note.fully_parsed);
  ASSERT_TRUE(note.frontmatter.present);
  YAML::Node fm = YAML::Load(note.frontmatter.raw);
  EXPECT_EQ(fm["type"].as<std::string>(), "factdedup-report");
  EXPECT_EQ(fm["generated"].as<std::string>(), "2026-01-05T00:00:00Z");
  EXPECT_EQ(fm["version"].as<std::string>(), "test");
  EXPECT_EQ(fm["clusters"].as<size_t>(), b.report.clusters.size());
  // Every cluster is a note callout; every conflict a warning callout.
  size_t notes = 0, warnings = 0;
  for (size_t p = 0; (p = md.find("\n> [!note] ", p)) != std::string::npos; ++p) ++notes;
  for (size_t p = 0; (p = md.find("\n> [!warning] ", p)) != std::string::npos; ++p) ++warnings;
  EXPECT_EQ(notes, b.report.clusters.size());
  EXPECT_EQ(warnings, b.report.conflicts.size());
  EXPECT_THAT(md, HasSubstr("*Suggestion (not applied):*"));
  // Every link resolves to a note of the vault, as Obsidian would resolve it.
  LinkResolver resolver(b.vault);
  const std::vector<Link> links = ExtractLinks(md, 0, 1);
  ASSERT_GT(links.size(), 100u);
  for (const Link& link : links) {
    Resolution r = resolver.Resolve(note, link);
    EXPECT_EQ(r.status, Resolution::Status::kResolved) << link.target << " line " << link.line;
  }
}

TEST(Report, HostileMarkdownLinksResolveAndTextStaysLiteral) {
  Built b = Build(HostileVault());
  const std::string md = RenderReport(b.report, ReportFormat::kMarkdown);
  Note note = ParseNote("factdedup-report.md", md);
  LinkResolver resolver(b.vault);
  const std::vector<Link> links = ExtractLinks(md, 0, 1);
  ASSERT_GT(links.size(), 10u);
  for (const Link& link : links) {
    EXPECT_EQ(resolver.Resolve(note, link).status, Resolution::Status::kResolved) << link.target;
  }
  // Every '<' of note text is escaped, so Obsidian never sees a tag.
  for (size_t p = 0; (p = md.find('<', p)) != std::string::npos; ++p) {
    ASSERT_GT(p, 0u);
    EXPECT_EQ(md[p - 1], '\\') << md.substr(p, 40);
  }
  EXPECT_THAT(md, HasSubstr("\\<script\\>alert(1)\\</script\\>"));
  EXPECT_THAT(md, HasSubstr("\\$100 and \\$200"));  // not Obsidian math
}

// All start tags of an HTML document, as written.
std::vector<std::string> StartTags(const std::string& html) {
  std::vector<std::string> tags;
  std::regex tag("<[a-zA-Z][^>]*>");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator();
       ++it) {
    tags.push_back(it->str());
  }
  return tags;
}

TEST(Report, HtmlEscapesEveryPieceOfNoteText) {
  Built b = Build(HostileVault(), "n0nce0123456789abcdef");
  const std::string html = RenderReport(b.report, ReportFormat::kHtml);
  // The hostile text is there, escaped.
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt; The board approved"));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=alert(1)&gt; Contoso"));
  EXPECT_THAT(html, HasSubstr("&quot;&gt;&lt;script&gt;document.title=&#39;pwned&#39;"));
  EXPECT_THAT(html, HasSubstr("Evil &amp; Co&#39;s.md"));
  EXPECT_THAT(html, HasSubstr("&lt;svg onload=alert(1)&gt;"));
  // Only the report's own tags: one script, one style, no images, frames or SVG.
  std::set<std::string> names;
  int scripts = 0;
  for (const std::string& t : StartTags(html)) {
    std::string name = t.substr(1, t.find_first_of(" >") - 1);
    names.insert(name);
    if (name == "script") {
      ++scripts;
      EXPECT_EQ(t, "<script nonce=\"n0nce0123456789abcdef\">");
    }
    // No inline event handlers, no javascript: URLs, only in-page links.
    EXPECT_FALSE(std::regex_search(t, std::regex("\\son[a-z]+\\s*=", std::regex::icase))) << t;
    EXPECT_THAT(t, Not(HasSubstr("javascript:")));
    std::smatch href;
    if (std::regex_search(t, href, std::regex("href=\"([^\"]*)\""))) {
      EXPECT_EQ(href[1].str().substr(0, 1), "#") << t;
    }
  }
  EXPECT_EQ(scripts, 1);
  for (const char* banned : {"img", "svg", "iframe", "object", "embed", "link", "base", "form"}) {
    EXPECT_EQ(names.count(banned), 0u) << banned;
  }
  // The policy: nothing external, the nonce for the one script and style.
  EXPECT_THAT(html, HasSubstr("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                              "'none'; script-src 'nonce-n0nce0123456789abcdef'; style-src "
                              "'nonce-n0nce0123456789abcdef'; img-src 'none'"));
  EXPECT_THAT(html, HasSubstr("<style nonce=\"n0nce0123456789abcdef\">"));
  // One article per cluster, and the page filter offers every page of a cluster.
  size_t articles = 0;
  for (size_t p = 0; (p = html.find("<article class=\"cluster\"", p)) != std::string::npos; ++p) {
    ++articles;
  }
  EXPECT_EQ(articles, b.report.clusters.size());
  EXPECT_THAT(html, HasSubstr("<option value=\"Meetings/2026-01-02 &lt;b&gt;Sync &#39;x&#39; &amp; "
                              "y.md\">"));
}

TEST(Report, HtmlNonceDefaultsToAReproducibleValue) {
  Built b = Build(SampleVault());
  EXPECT_EQ(b.report.html_nonce.size(), 34u);
  EXPECT_EQ(b.report.html_nonce, Build(SampleVault()).report.html_nonce);
}

TEST(Report, PageStatisticsFollowTheCleanPlan) {
  Built b = Build(SampleVault());
  ASSERT_EQ(b.plan.pages.size(), 1u);
  const PagePlan& p = b.plan.pages[0];
  const PageStats* account = nullptr;
  for (const PageStats& s : b.report.pages) {
    if (s.path == p.path) account = &s;
    if (s.path != p.path) {
      EXPECT_EQ(s.facts_after, s.facts) << s.path;
      EXPECT_NE(s.role, "page") << s.path;  // evidence notes and the sync-conflict copy
    }
  }
  ASSERT_NE(account, nullptr);
  EXPECT_EQ(account->role, "page");
  EXPECT_EQ(account->facts, p.facts_before);
  EXPECT_EQ(account->facts_after, p.facts_after);
  EXPECT_EQ(account->removed, static_cast<int>(p.removed.size()));
  EXPECT_LT(account->facts_after, account->facts);
  EXPECT_EQ(account->bytes_after, static_cast<int64_t>(p.after.size()));
}

TEST(Report, ConflictSidesCarryTheirOwnLineFirst) {
  Built b = Build(SampleVault());
  ASSERT_FALSE(b.report.conflicts.empty());
  for (const ReportConflict& c : b.report.conflicts) {
    for (const ReportConflictFact& f : c.facts) {
      ASSERT_FALSE(f.sources.empty());
      EXPECT_EQ(f.sources[0].path, f.fact.path);
      EXPECT_EQ(f.sources[0].line, f.fact.line);
    }
  }
}

TEST(Report, RejectsMissingDateBadNonceAndUnknownFormat) {
  Built b = Build(HostileVault());
  ReportOptions options;
  EXPECT_FALSE(BuildReport(b.vault, b.scan, b.conflicts, b.plan, options).ok());
  options.generated = "2026-01-05";
  options.html_nonce = "short";
  EXPECT_FALSE(BuildReport(b.vault, b.scan, b.conflicts, b.plan, options).ok());
  options.html_nonce = "0123456789abcdef'\"";
  EXPECT_FALSE(BuildReport(b.vault, b.scan, b.conflicts, b.plan, options).ok());
  options.html_nonce = "0123456789abcdef";
  EXPECT_TRUE(BuildReport(b.vault, b.scan, b.conflicts, b.plan, options).ok());
  EXPECT_EQ(*ParseReportFormat("md"), ReportFormat::kMarkdown);
  EXPECT_EQ(*ParseReportFormat("html"), ReportFormat::kHtml);
  EXPECT_EQ(*ParseReportFormat("json"), ReportFormat::kJson);
  EXPECT_FALSE(ParseReportFormat("pdf").ok());
}

TEST(HtmlEscape, Table) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain", "plain"},
      {"a & b", "a &amp; b"},
      {"<script>", "&lt;script&gt;"},
      {"\"q\" 'a'", "&quot;q&quot; &#39;a&#39;"},
      {"&amp;", "&amp;amp;"},  // escaping is not idempotent on purpose: text is text
      {"caf\u00e9 \u2014 ok", "caf\u00e9 \u2014 ok"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(HtmlEscape(in), out) << in;
}

TEST(MarkdownEscape, Table) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain text, (ok).", "plain text, (ok)."},
      {"$250B and $80B", "\\$250B and \\$80B"},
      {"[[link|x]]", "\\[\\[link\\|x\\]\\]"},
      {"<b>x</b>", "\\<b\\>x\\</b\\>"},
      {"**bold** _it_ `code`", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\`"},
      {"#tag ==hl== %%c%% ~~s~~ ^block",
       "\\#tag \\=\\=hl\\=\\= \\%\\%c\\%\\% \\~\\~s\\~\\~ \\^block"},
      {"a\\b & c", "a\\\\b \\& c"},
      {"two\nlines", "two lines"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(MarkdownEscape(in), out) << in;
}

}  // namespace
}  // namespace factdedup::provenance
