// Fuzzes YAML input: the bytes as a note's frontmatter and as `.factdedup.yaml`. Neither may
// crash, hang or throw; a frontmatter that does not parse marks the note not fully parsed
// (so nothing rewrites it) with a diagnostic inside the note.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "provenance/config.h"
#include "provenance/note.h"

namespace factdedup::provenance {
namespace {

void CheckFrontmatter(absl::string_view yaml) {
  const std::string bytes = std::string("---\n") + std::string(yaml) + "\n---\n- a fact\n";
  const Note note = ParseNote("fuzz/fm.md", bytes);
  FUZZ_CHECK(RenderNote(note) == bytes);
  const int lines = static_cast<int>(std::count(bytes.begin(), bytes.end(), '\n'));
  for (const Diagnostic& d : note.diagnostics) {
    FUZZ_CHECK(d.line >= 0 && d.line <= lines) << "diagnostic line " << d.line;
    FUZZ_CHECK(d.severity != Diagnostic::Severity::kError || !note.fully_parsed)
        << "an error must clear fully_parsed: " << d.message;
  }
  for (const FrontmatterKey& k : note.frontmatter.keys) {
    FUZZ_CHECK(k.line >= 2 && k.line <= lines) << "key line " << k.line;
  }
  for (const Link& l : note.links) {
    FUZZ_CHECK(l.span.begin <= l.span.end && l.span.end <= bytes.size());
  }
}

void CheckConfig(absl::string_view yaml) {
  absl::StatusOr<Config> config = ParseConfig(yaml, "fuzz/.factdedup.yaml");
  if (!config.ok()) {
    FUZZ_CHECK(absl::string_view(config.status().message()).substr(0, 20) == "fuzz/.factdedup.yaml")
        << "error does not name the file: " << config.status().message();
  }
}

}  // namespace
}  // namespace factdedup::provenance

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view yaml(reinterpret_cast<const char*>(data), size);
  factdedup::provenance::CheckFrontmatter(yaml);
  factdedup::provenance::CheckConfig(yaml);
  return 0;
}
