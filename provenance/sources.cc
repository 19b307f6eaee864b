#include "provenance/sources.h"

#include <deque>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "provenance/config.h"

namespace factdedup::provenance {
namespace {

std::string FrontmatterValue(const Note& note, absl::string_view key) {
  const FrontmatterKey* k = note.frontmatter.Find(key);
  return k == nullptr ? "" : k->value;
}

Source SourceOf(const Note& note, const SourceOptions& options) {
  Source s;
  s.path = note.path;
  s.date = FrontmatterValue(note, "date");
  if (s.date.empty()) s.date = FrontmatterValue(note, "created");
  if (s.date.empty()) s.date = FrontmatterValue(note, "last_contact");
  s.type = FrontmatterValue(note, "type");
  s.source = FrontmatterValue(note, "source");
  s.evidence = IsEvidenceNote(note, options);
  return s;
}

// The line of `note` that holds byte `offset`, without its terminator.
absl::string_view LineAt(const Note& note, size_t offset) {
  size_t begin = note.content.rfind('\n', offset == 0 ? 0 : offset - 1);
  begin = begin == std::string::npos ? 0 : begin + 1;
  size_t end = note.content.find('\n', offset);
  if (end == std::string::npos) end = note.content.size();
  return absl::string_view(note.content).substr(begin, end - begin);
}

// Links that name where a note came from: frontmatter source_ref, and links on a line that
// starts with "Source:" (optionally emphasized: "*Source: [[...]]*").
bool IsSourceLink(const Note& note, const Link& link) {
  if (link.kind == Link::Kind::kSourceRef) return true;
  if (link.kind == Link::Kind::kExternal) return false;
  absl::string_view line = absl::StripLeadingAsciiWhitespace(LineAt(note, link.span.begin));
  while (!line.empty() && (line[0] == '*' || line[0] == '_')) line.remove_prefix(1);
  return absl::StartsWithIgnoreCase(line, "source:") ||
         absl::StartsWithIgnoreCase(line, "sources:");
}

}  // namespace

bool IsEvidenceNote(const Note& note, const SourceOptions& options) {
  const std::string type = FrontmatterValue(note, "type");
  for (const std::string& t : options.evidence_types) {
    if (!type.empty() && type == t) return true;
  }
  for (const std::string& g : options.evidence_folders) {
    if (GlobMatch(g, note.path)) return true;
  }
  return false;
}

std::string BaseNotePath(absl::string_view path) {
  absl::string_view p = path;
  if (!absl::ConsumeSuffix(&p, ".md")) return std::string(path);
  size_t sync = p.find(".sync-conflict-");
  if (sync != absl::string_view::npos) return std::string(p.substr(0, sync)) + ".md";
  size_t copy = p.find(" (conflicted copy");
  if (copy != absl::string_view::npos && absl::EndsWith(p, ")")) {
    return std::string(p.substr(0, copy)) + ".md";
  }
  return std::string(path);
}

namespace {

// Appends the notes reached from `queue` through source links, breadth first, each once.
void FollowSourceLinks(const Vault& vault, const LinkResolver& resolver,
                       const SourceOptions& options, std::deque<std::pair<int, int>> queue,
                       std::set<int>* seen, std::vector<Source>* out) {
  while (!queue.empty()) {
    auto [n, depth] = queue.front();
    queue.pop_front();
    if (depth >= options.max_depth) continue;
    const Note& note = vault.notes[n];
    for (const Link& link : note.links) {
      if (!IsSourceLink(note, link)) continue;
      Resolution r = resolver.Resolve(note, link);
      if (r.status != Resolution::Status::kResolved || !seen->insert(r.note).second) continue;
      Source s = SourceOf(vault.notes[r.note], options);
      s.depth = depth + 1;
      s.via = note.path;
      out->push_back(std::move(s));
      queue.emplace_back(r.note, depth + 1);
    }
  }
}

}  // namespace

std::vector<Source> ClusterSources(const Vault& vault, const LinkResolver& resolver,
                                   const ScanResult& scan, const dedup::Cluster& cluster,
                                   const SourceOptions& options) {
  std::vector<Source> out;
  std::set<int> seen;
  std::deque<std::pair<int, int>> queue;  // (note, depth)
  for (const dedup::Member& m : cluster.members) {
    const FactRef& ref = scan.facts[m.item];
    if (!seen.insert(ref.note).second) continue;
    const Note& note = vault.notes[ref.note];
    Source s = SourceOf(note, options);
    const Fact& f = note.facts[ref.fact];
    s.line = f.line;
    s.section = SectionOf(note, f);
    out.push_back(std::move(s));
    queue.emplace_back(ref.note, 0);
  }
  FollowSourceLinks(vault, resolver, options, std::move(queue), &seen, &out);
  return out;
}

std::vector<Source> LineSources(const Vault& vault, const LinkResolver& resolver, int note,
                                int line, const SourceOptions& options) {
  std::vector<Source> out;
  Source s = SourceOf(vault.notes[note], options);
  s.line = line;
  for (const Fact& f : vault.notes[note].facts) {
    if (f.line == line) s.section = SectionOf(vault.notes[note], f);
  }
  out.push_back(std::move(s));
  std::set<int> seen = {note};
  FollowSourceLinks(vault, resolver, options, {{note, 0}}, &seen, &out);
  return out;
}

}  // namespace factdedup::provenance
