// `factdedup facts VAULT [--json]` and `factdedup links VAULT [--json] [--unresolved]`.
#include <iostream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands.h"
#include "provenance/config.h"

namespace factdedup::cli {
namespace {

using provenance::Fact;
using provenance::Link;
using provenance::LinkResolver;
using provenance::Note;
using provenance::Resolution;
using provenance::Vault;

const char* LinkKindName(Link::Kind kind) {
  switch (kind) {
    case Link::Kind::kWikilink:
      return "wikilink";
    case Link::Kind::kEmbed:
      return "embed";
    case Link::Kind::kMarkdown:
      return "markdown";
    case Link::Kind::kExternal:
      return "external";
    case Link::Kind::kSourceRef:
      return "source_ref";
  }
  return "unknown";
}

nlohmann::json LinkJson(const Vault& vault, const LinkResolver& resolver, const Note& note,
                        const Link& link) {
  Resolution r = resolver.Resolve(note, link);
  nlohmann::json j = {{"kind", LinkKindName(link.kind)},
                      {"target", link.target},
                      {"line", link.line},
                      {"status", provenance::ResolutionStatusName(r.status)}};
  if (!link.heading.empty()) j["heading"] = link.heading;
  if (!link.block.empty()) j["block"] = link.block;
  if (!link.alias.empty()) j["alias"] = link.alias;
  j["resolved"] = r.note >= 0 ? nlohmann::json(vault.notes[r.note].path) : nlohmann::json();
  return j;
}

int ExitFor(const Vault& vault) { return vault.has_errors() ? kExitError : kExitOk; }

int RunFacts(const ParsedArgs& args) {
  absl::StatusOr<Vault> vault = LoadVaultOrReport(args.positionals[0]);
  if (!vault.ok()) return Fail(vault.status());
  const bool json = args.Has("json");
  LinkResolver resolver(*vault);
  for (const Note& note : vault->notes) {
    for (const Fact& f : note.facts) {
      if (json) {
        nlohmann::json j = {
            {"path", note.path},
            {"line", f.line},
            {"line_end", f.line_end},
            {"section", provenance::SectionOf(note, f)},
            {"section_path", provenance::SectionPath(note, f)},
            {"text", provenance::DisplayOf(note, f)},
            {"raw", provenance::RawText(note, f)},
            {"span", {f.span.begin, f.span.end}},
            {"marker", std::string(f.marker())},
            {"depth", f.depth},
            {"task", f.task},
            {"dedup",
             provenance::IsFactSection(vault->config.vault, provenance::SectionOf(note, f)) &&
                 !f.ignored},
        };
        if (f.task) j["task_state"] = std::string(1, f.task_state);
        nlohmann::json links = nlohmann::json::array();
        for (const Link& l : provenance::LinksOf(note, f))
          links.push_back(LinkJson(*vault, resolver, note, l));
        j["links"] = std::move(links);
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        std::cout << note.path << ":" << f.line << ": [" << provenance::SectionOf(note, f) << "] "
                  << provenance::DisplayOf(note, f) << "\n";
      }
    }
  }
  return ExitFor(*vault);
}

int RunLinks(const ParsedArgs& args) {
  absl::StatusOr<Vault> vault = LoadVaultOrReport(args.positionals[0]);
  if (!vault.ok()) return Fail(vault.status());
  const bool json = args.Has("json");
  const bool only_unresolved = args.Has("unresolved");
  LinkResolver resolver(*vault);
  for (const Note& note : vault->notes) {
    for (const Link& link : note.links) {
      Resolution r = resolver.Resolve(note, link);
      if (only_unresolved && (r.status == Resolution::Status::kResolved ||
                              r.status == Resolution::Status::kExternal)) {
        continue;
      }
      if (json) {
        nlohmann::json j = LinkJson(*vault, resolver, note, link);
        j["path"] = note.path;
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        std::cout << note.path << ":" << link.line << ": " << LinkKindName(link.kind) << " '"
                  << link.target << "' " << provenance::ResolutionStatusName(r.status);
        if (r.note >= 0) std::cout << " -> " << vault->notes[r.note].path;
        std::cout << "\n";
      }
    }
  }
  return ExitFor(*vault);
}

}  // namespace

Command FactsCommand() {
  return {{"facts",
           "VAULT [--json]",
           "list every fact (bullet) in the vault",
           "Prints one line per bullet: path:line: [section] text. With --json, one JSON object\n"
           "per line with path (relative to the vault root), line (1-based), line_end, section,\n"
           "section_path, text (Markdown stripped), raw, span (byte range), marker, depth, task,\n"
           "dedup (whether its section is deduplicated) and links (with how each resolved).\n"
           "Notes that cannot be read are reported on stderr and skipped; the exit code is\n"
           "then 2, after every other note was listed.",
           {{"json", "", "one JSON object per fact per line"}},
           1,
           1},
          RunFacts};
}

Command LinksCommand() {
  return {{"links",
           "VAULT [--json] [--unresolved]",
           "list links and how each resolved",
           "Lists wikilinks, embeds, Markdown links and frontmatter source_ref in every note,\n"
           "resolved as Obsidian does (path, else unique basename, case-insensitive). Links that\n"
           "do not resolve, resolve to several notes, or leave the vault are reported, never\n"
           "guessed.",
           {{"json", "", "one JSON object per link per line"},
            {"unresolved", "", "only links that did not resolve to one note"}},
           1,
           1},
          RunLinks};
}

}  // namespace factdedup::cli
