#include "provenance/check.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "dedup/hash.h"

namespace factdedup::provenance {
namespace {

std::string XmlEscape(absl::string_view s) {
  return absl::StrReplaceAll(
      s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&apos;"}});
}

// GitHub workflow commands: data escapes %, CR, LF; properties also ':' and ','.
std::string GithubData(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"%", "%25"}, {"\r", "%0D"}, {"\n", "%0A"}});
}
std::string GithubProperty(absl::string_view s) {
  return absl::StrReplaceAll(GithubData(s), {{":", "%3A"}, {",", "%2C"}});
}

std::string Shorten(absl::string_view s, size_t n = 100) {
  if (s.size() <= n) return std::string(s);
  size_t cut = n;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  return absl::StrCat(s.substr(0, cut), "...");
}

}  // namespace

std::string ClusterId(const Fact& canonical) {
  return absl::StrFormat("c%012x", dedup::Hash64(canonical.display) & 0xFFFFFFFFFFFFULL);
}

std::vector<Finding> DuplicateFindings(const Vault& vault, const ScanResult& scan,
                                       const Vault* base, const ScanResult* base_scan,
                                       const std::vector<std::string>& allowed_ids) {
  // At the base: which pairs of texts were already duplicates of each other.
  std::map<std::string, int> base_cluster;  // display text -> cluster
  if (base != nullptr && base_scan != nullptr) {
    for (size_t c = 0; c < base_scan->dedup.clusters.size(); ++c) {
      for (const dedup::Member& m : base_scan->dedup.clusters[c].members) {
        base_cluster[base_scan->fact(*base, m.item).display] = static_cast<int>(c);
      }
    }
  }
  std::set<std::string> allowed(allowed_ids.begin(), allowed_ids.end());
  std::vector<Finding> out;
  for (const dedup::Cluster& c : scan.dedup.clusters) {
    const Fact& canon = scan.fact(vault, c.canonical);
    const std::string id = ClusterId(canon);
    if (allowed.count(id)) continue;
    for (const dedup::Member& m : c.members) {
      if (m.item == c.canonical) continue;
      const Fact& f = scan.fact(vault, m.item);
      if (base != nullptr) {
        auto a = base_cluster.find(f.display), b = base_cluster.find(canon.display);
        if (a != base_cluster.end() && b != base_cluster.end() && a->second == b->second) continue;
      }
      Finding finding;
      finding.rule = "duplicate";
      finding.cluster_id = id;
      finding.where = {f.path, f.line, f.display};
      finding.message =
          absl::StrFormat("%s duplicate (similarity %.2f) of %s:%d \"%s\" [cluster %s]",
                          dedup::RelationName(m.relation), m.similarity, canon.path, canon.line,
                          Shorten(canon.display), id);
      finding.related.push_back({canon.path, canon.line, canon.display});
      for (const dedup::Member& o : c.members) {
        if (o.item == c.canonical || o.item == m.item) continue;
        const Fact& of = scan.fact(vault, o.item);
        finding.related.push_back({of.path, of.line, of.display});
      }
      out.push_back(std::move(finding));
    }
  }
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.where.path, a.where.line) < std::tie(b.where.path, b.where.line);
  });
  return out;
}

absl::StatusOr<FindingFormat> ParseFindingFormat(absl::string_view name) {
  if (name == "text") return FindingFormat::kText;
  if (name == "json") return FindingFormat::kJson;
  if (name == "github") return FindingFormat::kGithub;
  if (name == "sarif") return FindingFormat::kSarif;
  if (name == "junit") return FindingFormat::kJunit;
  return absl::InvalidArgumentError(
      absl::StrCat("format '", name, "' is not one of text, json, github, sarif, junit"));
}

std::string FormatFindings(const std::vector<Finding>& findings, FindingFormat format,
                           const std::vector<std::string>& notes, absl::string_view version) {
  auto dump = [](const nlohmann::json& j) {
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  };
  switch (format) {
    case FindingFormat::kText: {
      std::string out;
      for (const Finding& f : findings) {
        absl::StrAppend(&out, f.where.path, ":", f.where.line, ": ", f.rule, ": ", f.message, "\n");
      }
      absl::StrAppend(&out, findings.size(), " finding(s)\n");
      return out;
    }
    case FindingFormat::kJson: {
      nlohmann::json arr = nlohmann::json::array();
      for (const Finding& f : findings) {
        nlohmann::json related = nlohmann::json::array();
        for (const auto& r : f.related) {
          related.push_back({{"path", r.path}, {"line", r.line}, {"text", r.text}});
        }
        arr.push_back({{"path", f.where.path},
                       {"line", f.where.line},
                       {"rule", f.rule},
                       {"cluster", f.cluster_id},
                       {"message", f.message},
                       {"text", f.where.text},
                       {"related", std::move(related)}});
      }
      return dump({{"version", 1}, {"findings", std::move(arr)}});
    }
    case FindingFormat::kGithub: {
      std::string out;
      for (const Finding& f : findings) {
        absl::StrAppend(&out, "::warning file=", GithubProperty(f.where.path),
                        ",line=", f.where.line, ",title=", GithubProperty("factdedup " + f.rule),
                        "::", GithubData(f.message), "\n");
      }
      return out;
    }
    case FindingFormat::kSarif: {
      nlohmann::json results = nlohmann::json::array();
      for (const Finding& f : findings) {
        nlohmann::json related = nlohmann::json::array();
        int id = 1;
        for (const auto& r : f.related) {
          related.push_back(
              {{"id", id++},
               {"physicalLocation",
                {{"artifactLocation", {{"uri", r.path}}}, {"region", {{"startLine", r.line}}}}},
               {"message", {{"text", Shorten(r.text)}}}});
        }
        results.push_back({{"ruleId", f.rule},
                           {"level", "warning"},
                           {"message", {{"text", f.message}}},
                           {"locations",
                            {{{"physicalLocation",
                               {{"artifactLocation", {{"uri", f.where.path}}},
                                {"region", {{"startLine", f.where.line}}}}}}}},
                           {"relatedLocations", std::move(related)},
                           {"partialFingerprints", {{"factdedupCluster/v1", f.cluster_id}}}});
      }
      nlohmann::json sarif = {
          {"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs",
           {{{"tool",
              {{"driver",
                {{"name", "factdedup"},
                 {"version", std::string(version)},
                 {"rules",
                  {{{"id", "duplicate"},
                    {"shortDescription", {{"text", "A fact that duplicates another fact"}}}}}}}}}},
             {"results", std::move(results)}}}}};
      return dump(sarif);
    }
    case FindingFormat::kJunit: {
      std::map<std::string, std::vector<const Finding*>> by_note;
      for (const Finding& f : findings) by_note[f.where.path].push_back(&f);
      std::string cases;
      for (const std::string& note : notes) {
        auto it = by_note.find(note);
        if (it == by_note.end()) {
          absl::StrAppend(&cases, "    <testcase classname=\"factdedup\" name=\"", XmlEscape(note),
                          "\"/>\n");
          continue;
        }
        std::string body;
        for (const Finding* f : it->second) {
          absl::StrAppend(&body, f->where.path, ":", f->where.line, ": ", f->message, "\n");
        }
        absl::StrAppend(&cases, "    <testcase classname=\"factdedup\" name=\"", XmlEscape(note),
                        "\">\n      <failure message=\"", it->second.size(),
                        " finding(s)\" type=\"duplicate\">", XmlEscape(body),
                        "</failure>\n    </testcase>\n");
      }
      return absl::StrCat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n",
                          "  <testsuite name=\"factdedup\" tests=\"", notes.size(),
                          "\" failures=\"", by_note.size(), "\">\n", cases,
                          "  </testsuite>\n</testsuites>\n");
    }
  }
  return "";
}

}  // namespace factdedup::provenance
