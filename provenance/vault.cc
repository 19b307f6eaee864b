#include "provenance/vault.h"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace factdedup::provenance {
namespace {

// The 1-based line of the first NUL byte (binary data, or text in UTF-16), or 0 if none.
int NulLine(absl::string_view bytes) {
  size_t nul = bytes.find('\0');
  if (nul == absl::string_view::npos) return 0;
  return 1 + static_cast<int>(std::count(bytes.begin(), bytes.begin() + nul, '\n'));
}

std::string Lower(absl::string_view s) { return absl::AsciiStrToLower(s); }

std::string StripMd(absl::string_view p) {
  if (p.size() > 3 && absl::EndsWithIgnoreCase(p, ".md")) p.remove_suffix(3);
  return std::string(p);
}

std::string Basename(absl::string_view p) {
  size_t slash = p.rfind('/');
  return std::string(slash == absl::string_view::npos ? p : p.substr(slash + 1));
}

std::string Dirname(absl::string_view p) {
  size_t slash = p.rfind('/');
  return slash == absl::string_view::npos ? "" : std::string(p.substr(0, slash));
}

struct Walker {
  FileSystem* fs;
  std::string root;
  std::string root_real;
  const VaultOptions& options;
  std::vector<Diagnostic>* diags;
  std::vector<std::string> out;
  std::vector<std::string> temps;
  std::set<std::string> visited;  // real paths of folders, against symlink loops
  std::vector<std::pair<std::string, int>> symlinked_dirs;  // walked after the real ones

  bool Included(const std::string& rel) const {
    bool in = false;
    for (const auto& g : options.include) {
      // The default, "**/*.md", matches the paths ending in ".md" (as written): said without
      // the glob matcher, which tries the pattern's tail after every '/'.
      in = in || (g == "**/*.md" ? absl::EndsWith(rel, ".md") : GlobMatch(g, rel));
    }
    if (!in) return false;
    for (const auto& g : options.exclude) {
      if (GlobMatch(g, rel)) return false;
    }
    return true;
  }

  void Warn(const std::string& rel, std::string msg) {
    diags->push_back({Diagnostic::Severity::kWarning, rel, 0, 0, std::move(msg)});
  }

  void Walk(const std::string& rel_dir, int depth) {
    if (depth > 64) {
      Warn(rel_dir, "folder nesting deeper than 64 levels; not descended");
      return;
    }
    std::string dir = rel_dir.empty() ? root : JoinPath(root, rel_dir);
    absl::StatusOr<std::string> real = fs->RealPath(dir);
    if (real.ok() && !visited.insert(*real).second) {
      Warn(rel_dir, "symlink loop: folder already visited; skipped");
      return;
    }
    absl::StatusOr<std::vector<DirEntry>> entries = fs->ListDir(dir);
    if (!entries.ok()) {
      diags->push_back({Diagnostic::Severity::kError, rel_dir.empty() ? "." : rel_dir, 0, 0,
                        std::string(entries.status().message())});
      return;
    }
    // In name order (names in a folder are unique); pointers move faster than entries.
    std::vector<const DirEntry*> sorted(entries->size());
    for (size_t i = 0; i < sorted.size(); ++i) sorted[i] = &(*entries)[i];
    std::sort(sorted.begin(), sorted.end(),
              [](const DirEntry* a, const DirEntry* b) { return a->name < b->name; });
    for (const DirEntry* entry : sorted) {
      const DirEntry& e = *entry;
      if (absl::StartsWith(e.name, ".")) continue;  // .obsidian, .git, .trash, .factdedup
      std::string rel = rel_dir.empty() ? e.name : JoinPath(rel_dir, e.name);
      if (e.type == FileInfo::Type::kFile && IsTempFileName(e.name)) {
        temps.push_back(rel);
        continue;
      }
      FileInfo::Type type = e.type;
      if (type == FileInfo::Type::kSymlink) {
        std::string full = JoinPath(root, rel);
        absl::StatusOr<std::string> target = fs->RealPath(full);
        if (!target.ok()) {
          Warn(rel, "broken symlink; skipped");
          continue;
        }
        if (*target != root_real && !absl::StartsWith(*target, root_real + "/")) {
          Warn(rel, "symlink leaves the vault; skipped");
          continue;
        }
        absl::StatusOr<FileInfo> info = fs->Stat(full, /*follow=*/true);
        if (!info.ok()) continue;
        type = info->type;
      }
      if (type == FileInfo::Type::kDirectory && e.type == FileInfo::Type::kSymlink) {
        symlinked_dirs.emplace_back(rel, depth + 1);  // after every real folder
      } else if (type == FileInfo::Type::kDirectory) {
        Walk(rel, depth + 1);
      } else if (type == FileInfo::Type::kFile && absl::EndsWithIgnoreCase(e.name, ".md") &&
                 Included(rel)) {
        out.push_back(rel);
      }
    }
  }
};

// `from` with `content` (its bytes, read again) as its content: the parse is copied, the bytes
// are not. Copies every field of Note but `content` (note.h): keep it in step with Note.
void CopyParsedNote(const Note& from, std::string content, Note* to) {
  to->path = from.path;
  to->content = std::move(content);
  to->has_bom = from.has_bom;
  to->crlf = from.crlf;
  to->fully_parsed = from.fully_parsed;
  to->frontmatter = from.frontmatter;
  to->headings = from.headings;
  to->blocks = from.blocks;
  to->facts = from.facts;
  to->displays = from.displays;
  to->links = from.links;
  to->diagnostics = from.diagnostics;
  to->read_size = from.read_size;
  to->read_mtime_ns = from.read_mtime_ns;
  to->read_inode = from.read_inode;
}

// *ok: whether `note` was read; *left_out: whether it was left out instead (leave_out).
void ReadOne(FileSystem* fs, const std::string& root, const std::string& rel, uint64_t max_size,
             const Vault* reuse, bool leave_out, Note* note, std::vector<Diagnostic>* diags,
             bool* ok, bool* left_out) {
  *ok = false;
  *left_out = false;
  const std::string full = JoinPath(root, rel);
  const int same = reuse != nullptr ? reuse->FindNote(rel) : -1;
  // A note to leave out when it has the reused note's bytes: compared as read, not kept. (Any
  // other answer, or an error, and it is read as below, which reports the error.)
  if (same >= 0 && leave_out) {
    if (absl::StatusOr<bool> has = fs->HasBytes(full, reuse->notes[same].content, max_size);
        has.ok() && *has) {
      *left_out = true;
      return;
    }
  }
  FileInfo info;  // as read (zero when it cannot be had)
  absl::StatusOr<std::string> bytes = fs->ReadFileAndInfo(full, max_size, &info);
  if (!bytes.ok()) {
    diags->push_back({Diagnostic::Severity::kError, rel, 0, 0,
                      absl::StrCat("skipped: ", bytes.status().message())});
    return;
  }
  if (same >= 0 && reuse->notes[same].content == *bytes) {
    if (leave_out) {  // changed back since HasBytes
      *left_out = true;
      return;
    }
    // Parsed from the same path and bytes: the same note.
    CopyParsedNote(reuse->notes[same], *std::move(bytes), note);
    note->read_size = info.size;
    note->read_mtime_ns = info.mtime_ns;
    note->read_inode = info.inode;
    for (const Diagnostic& d : note->diagnostics) diags->push_back(d);
    *ok = true;
    return;
  }
  if (int line = NulLine(*bytes); line > 0) {
    diags->push_back({Diagnostic::Severity::kError, rel, line, 0,
                      "skipped: NUL byte (a binary file named .md, or not UTF-8 text)"});
    return;
  }
  int line = 0, column = 0;
  if (!ValidateUtf8(*bytes, &line, &column)) {
    diags->push_back({Diagnostic::Severity::kError, rel, line, column, "skipped: invalid UTF-8"});
    return;
  }
  *note = ParseNoteOwned(rel, *std::move(bytes));
  note->read_size = info.size;
  note->read_mtime_ns = info.mtime_ns;
  note->read_inode = info.inode;
  for (const Diagnostic& d : note->diagnostics) diags->push_back(d);
  *ok = true;
}

}  // namespace

int Vault::FindNote(absl::string_view path) const {
  auto it = by_path.find(path);
  return it == by_path.end() ? -1 : it->second;
}

bool Vault::has_errors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  });
}

absl::StatusOr<std::vector<std::string>> ListNotes(FileSystem* fs, const std::string& root,
                                                   const VaultOptions& options,
                                                   std::vector<Diagnostic>* diagnostics,
                                                   std::vector<std::string>* temp_files) {
  absl::StatusOr<FileInfo> info = fs->Stat(root, /*follow=*/true);
  if (!info.ok()) return absl::NotFoundError(absl::StrCat(root, ": vault folder not found"));
  if (info->type != FileInfo::Type::kDirectory) {
    return absl::InvalidArgumentError(absl::StrCat(root, ": not a folder"));
  }
  absl::StatusOr<std::string> real = fs->RealPath(root);
  Walker w{fs, root, real.ok() ? *real : root, options, diagnostics, {}, {}, {}};
  w.Walk("", 0);
  // Folders reached through symlinks come last, so a folder is read under its own path when
  // it is in the vault, and once.
  for (size_t i = 0; i < w.symlinked_dirs.size(); ++i) {
    auto [rel, depth] = w.symlinked_dirs[i];
    w.Walk(rel, depth);
  }
  // Walked in name order, the paths are most often sorted already (not always: "a/b.md" is
  // walked before "a.md"); a sort of sorted strings still compares n log n times.
  if (!std::is_sorted(w.out.begin(), w.out.end())) std::sort(w.out.begin(), w.out.end());
  if (temp_files != nullptr) {
    std::sort(w.temps.begin(), w.temps.end());
    *temp_files = std::move(w.temps);
  }
  return w.out;
}

absl::StatusOr<Vault> LoadVault(FileSystem* fs, const std::string& root, const Config& config,
                                const LoadOptions& options) {
  Vault vault;
  vault.root = root;
  vault.config = config;
  absl::StatusOr<std::vector<std::string>> paths =
      ListNotes(fs, root, config.vault, &vault.diagnostics, &vault.temp_files);
  if (!paths.ok()) return paths.status();
  const size_t n = paths->size();
  // Read into their places in vault.notes, then the notes not read are closed up (no second
  // list of every note to move them into).
  std::vector<Note>& notes = vault.notes;
  notes.resize(n);
  std::vector<std::vector<Diagnostic>> diags(n);
  std::vector<char> ok(n, 0), left_out(n, 0);
  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, std::min<int>(threads, static_cast<int>(n)));
  std::atomic<size_t> next{0};
  std::atomic<size_t> read{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      bool good = false, out = false;
      ReadOne(fs, root, (*paths)[i], config.vault.max_file_size, options.reuse,
              options.leave_out_reused, &notes[i], &diags[i], &good, &out);
      ok[i] = good;
      left_out[i] = out;
      if (options.progress) options.progress(static_cast<int64_t>(++read), static_cast<int64_t>(n));
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    for (Diagnostic& d : diags[i]) vault.diagnostics.push_back(std::move(d));
    if (ok[i]) {
      if (kept != i) notes[kept] = std::move(notes[i]);
      ++kept;
    } else if (left_out[i]) {
      vault.left_out.push_back((*paths)[i]);  // in path order, as `paths`
    }
  }
  notes.erase(notes.begin() + static_cast<std::ptrdiff_t>(kept), notes.end());
  // A vault that left most notes out (a base beside its vault) keeps no room for them.
  if (kept < n / 2) notes.shrink_to_fit();
  vault.by_path.reserve(kept);
  for (size_t i = 0; i < kept; ++i) vault.by_path[notes[i].path] = static_cast<int>(i);
  std::stable_sort(vault.diagnostics.begin(), vault.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.path, a.line) < std::tie(b.path, b.line);
                   });
  return vault;
}

const char* ResolutionStatusName(Resolution::Status status) {
  switch (status) {
    case Resolution::Status::kResolved:
      return "resolved";
    case Resolution::Status::kUnresolved:
      return "unresolved";
    case Resolution::Status::kAmbiguous:
      return "ambiguous";
    case Resolution::Status::kOutsideVault:
      return "outside_vault";
    case Resolution::Status::kExternal:
      return "external";
  }
  return "unknown";
}

bool NormalizeRelativePath(absl::string_view path, std::string* out) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return false;
      parts.pop_back();
    } else {
      parts.push_back(part);
    }
  }
  out->clear();
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out->push_back('/');
    out->append(parts[i].data(), parts[i].size());
  }
  return true;
}

LinkResolver::LinkResolver(const Vault& vault) : vault_(vault) {
  for (size_t i = 0; i < vault.notes.size(); ++i) {
    const std::string& p = vault.notes[i].path;
    by_lower_path_[Lower(StripMd(p))] = static_cast<int>(i);
    by_lower_name_[Lower(StripMd(Basename(p)))].push_back(static_cast<int>(i));
  }
}

Resolution LinkResolver::Resolve(const Note& from, const Link& link) const {
  Resolution r;
  if (link.kind == Link::Kind::kExternal) {
    r.status = Resolution::Status::kExternal;
    return r;
  }
  if (link.target.empty()) {  // [[#heading]]: the note itself
    r.status = Resolution::Status::kResolved;
    r.note = vault_.FindNote(from.path);
    return r;
  }
  absl::string_view target = link.target;
  if (absl::StartsWith(target, "/")) {
    r.status = Resolution::Status::kOutsideVault;
    return r;
  }
  std::vector<std::string> tries;
  const bool relative_first = link.kind == Link::Kind::kMarkdown ||
                              absl::StartsWith(target, "./") || absl::StartsWith(target, "../");
  if (relative_first) {
    std::string rel;
    if (!NormalizeRelativePath(JoinPath(Dirname(from.path), target), &rel)) {
      r.status = Resolution::Status::kOutsideVault;
      return r;
    }
    tries.push_back(rel);
  }
  std::string from_root;
  if (!NormalizeRelativePath(target, &from_root)) {
    if (!relative_first) {
      r.status = Resolution::Status::kOutsideVault;
      return r;
    }
  } else {
    tries.push_back(from_root);
  }
  for (const std::string& t : tries) {
    auto it = by_lower_path_.find(Lower(StripMd(t)));
    if (it != by_lower_path_.end()) {
      r.status = Resolution::Status::kResolved;
      r.note = it->second;
      return r;
    }
  }
  if (target.find('/') == absl::string_view::npos) {
    auto it = by_lower_name_.find(Lower(StripMd(target)));
    if (it != by_lower_name_.end()) {
      if (it->second.size() == 1) {
        r.status = Resolution::Status::kResolved;
        r.note = it->second[0];
      } else {
        r.status = Resolution::Status::kAmbiguous;
        r.candidates = it->second;
      }
      return r;
    }
  }
  r.status = Resolution::Status::kUnresolved;
  return r;
}

}  // namespace factdedup::provenance
