// Where a fact came from: every note a cluster's members appear in, followed through
// frontmatter `source_ref` and "Source:" links to the notes those were made from.
//
//   LinkResolver resolver(vault);
//   std::vector<Source> sources = ClusterSources(vault, resolver, scan, cluster);
//   // an account-page fact extracted from a meeting note that was made from a raw article
//   // lists the page, the meeting note (depth 0) and the article (depth 1).
#ifndef FACTDEDUP_PROVENANCE_SOURCES_H_
#define FACTDEDUP_PROVENANCE_SOURCES_H_

#include <string>
#include <vector>

#include "provenance/scan.h"
#include "provenance/vault.h"

namespace factdedup::provenance {

struct SourceOptions {
  // Notes whose frontmatter `type` is one of these are evidence (meeting notes, raw articles):
  // cited, never rewritten by default. Default: the seeds' source types.
  std::vector<std::string> evidence_types = {"customer",   "people",  "meeting",
                                             "transcript", "article", "source"};
  // Notes under these folders (globs) are evidence too. Default: meetings and the inbox.
  std::vector<std::string> evidence_folders = {"Meetings/**", "Inbox/**"};
  // How far to follow source_ref chains. Default 3.
  int max_depth = 3;
};

struct Source {
  std::string path;       // vault-relative
  int line = 0;           // the member's line in this note; 0 for notes reached by links
  std::string section;    // the member's section ("" for linked notes)
  std::string date;       // frontmatter date, else created, else last_contact ("" if none)
  std::string type;       // frontmatter type
  std::string source;     // frontmatter source
  bool evidence = false;  // an evidence note (see SourceOptions)
  int depth = 0;          // 0: a member's own note; 1: its source_ref; ...
  std::string via;        // for depth > 0: the path of the note that linked here
};

// Whether `note` is evidence (never rewritten by default).
bool IsEvidenceNote(const Note& note, const SourceOptions& options);

// The path of the note that `path` is a version of ("A/B.sync-conflict-2026...-X.md" and
// "A/B (conflicted copy 2026-01-05).md" -> "A/B.md"); `path` itself when it is no copy.
std::string BaseNotePath(absl::string_view path);

// Sources of one cluster: its members' notes (in member order, each note once), then the notes
// reached from them through source_ref and "Source:" links (breadth first, each once).
std::vector<Source> ClusterSources(const Vault& vault, const LinkResolver& resolver,
                                   const ScanResult& scan, const dedup::Cluster& cluster,
                                   const SourceOptions& options = {});

// Sources of one line of one note (a fact, or a frontmatter key): the note itself, then the
// notes reached from it through source_ref and "Source:" links, as ClusterSources does.
std::vector<Source> LineSources(const Vault& vault, const LinkResolver& resolver, int note,
                                int line, const SourceOptions& options = {});

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_SOURCES_H_
