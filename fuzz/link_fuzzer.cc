// Fuzzes link extraction and resolution. The input is "FROM\nTEXT": FROM is the linking
// note's path, TEXT any Markdown. Invariants: NormalizeRelativePath never returns a path that
// climbs out ("..", a leading '/'), a link resolves only to a note of the vault, and a target
// that climbs above the vault root both ways (relative to the note and to the root) is
// refused as outside the vault.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "provenance/io.h"
#include "provenance/note.h"
#include "provenance/vault.h"

namespace factdedup::provenance {
namespace {

const Vault& FuzzVault() {
  static const Vault* vault = [] {
    std::unique_ptr<FileSystem> mem = NewMemFileSystem();
    for (const char* p : {"v/a.md", "v/A/b.md", "v/A/B/c.md", "v/etc/passwd.md", "v/x y.md"}) {
      (void)mem->WriteFileAtomic(p, "- fact\n", {});
    }
    return new Vault(*LoadVault(mem.get(), "v", Config{}, {.threads = 1}));
  }();
  return *vault;
}

void CheckNormalized(absl::string_view path) {
  std::string out;
  if (!NormalizeRelativePath(path, &out)) return;
  FUZZ_CHECK(out.empty() || out[0] != '/') << out;
  for (absl::string_view part : absl::StrSplit(out, '/')) {
    FUZZ_CHECK(part != ".." && part != ".") << "'" << out << "' from '" << path << "'";
    FUZZ_CHECK(!part.empty() || out.empty()) << "empty component in '" << out << "'";
  }
}

std::string Dirname(absl::string_view p) {
  size_t slash = p.rfind('/');
  return slash == absl::string_view::npos ? "" : std::string(p.substr(0, slash));
}

void CheckLinks(absl::string_view input) {
  const Vault& vault = FuzzVault();
  static const LinkResolver* resolver = new LinkResolver(vault);
  size_t nl = input.find('\n');
  absl::string_view text = nl == absl::string_view::npos ? input : input.substr(nl + 1);
  // The linking note is one of the vault's, chosen by the first byte.
  const Note& from =
      vault.notes[input.empty() ? 0 : static_cast<unsigned char>(input[0]) % vault.notes.size()];
  CheckNormalized(input.substr(0, nl == absl::string_view::npos ? input.size() : nl));
  for (Link link : ExtractLinks(text, 0, 1)) {
    FUZZ_CHECK(link.span.begin <= link.span.end && link.span.end <= text.size());
    CheckNormalized(link.target);
    for (Link::Kind kind : {link.kind, Link::Kind::kSourceRef, Link::Kind::kMarkdown}) {
      link.kind = kind;
      Resolution r = resolver->Resolve(from, link);
      if (r.status == Resolution::Status::kResolved) {
        FUZZ_CHECK(r.note >= 0 && r.note < static_cast<int>(vault.notes.size()));
      }
      std::string rel, root;
      const bool climbs = !NormalizeRelativePath(JoinPath(Dirname(from.path), link.target), &rel) &&
                          !NormalizeRelativePath(link.target, &root);
      if (kind != Link::Kind::kExternal && climbs) {
        FUZZ_CHECK(r.status == Resolution::Status::kOutsideVault)
            << "'" << link.target << "' climbs out but is " << ResolutionStatusName(r.status);
      }
    }
  }
}

}  // namespace
}  // namespace factdedup::provenance

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  factdedup::provenance::CheckLinks(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
