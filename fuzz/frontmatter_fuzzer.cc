// Fuzzes YAML input: the bytes as a note's frontmatter and as `.factdedup.yaml`. Neither may
// crash, hang or throw; a frontmatter that does not parse marks the note not fully parsed
// (so nothing rewrites it) with a diagnostic inside the note. Where the fast path for simple
// frontmatter (provenance/internal/simple_yaml.h) accepts the bytes, it must read what
// yaml-cpp reads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "provenance/config.h"
#include "provenance/internal/simple_yaml.h"
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

// Wherever the fast path for simple frontmatter accepts the text, it reads what yaml-cpp reads.
void CheckSimpleYaml(absl::string_view yaml) {
  const std::string text = std::string(yaml) + "\n";
  std::vector<internal::SimpleYamlKey> simple;
  if (!internal::ParseSimpleYaml(text, &simple)) return;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    FUZZ_CHECK(false) << "the fast path accepted what yaml-cpp rejects: " << e.msg;
  }
  if (simple.empty()) {
    FUZZ_CHECK(root.IsNull());
    return;
  }
  FUZZ_CHECK(root.IsMap() && root.size() == simple.size());
  size_t k = 0;
  for (auto it = root.begin(); it != root.end(); ++it, ++k) {
    const internal::SimpleYamlKey& s = simple[k];
    FUZZ_CHECK(it->first.Scalar() == s.key && it->first.Mark().line == s.line) << s.key;
    const YAML::Node v = it->second;
    FUZZ_CHECK(v.IsScalar() ? v.Scalar() == s.value && !s.is_list : s.value.empty()) << s.key;
    FUZZ_CHECK(v.IsSequence() == s.is_list) << s.key;
    if (v.IsSequence()) {
      std::vector<std::string> items;
      for (const auto& item : v) {
        if (item.IsScalar()) items.push_back(item.Scalar());
      }
      FUZZ_CHECK(items == s.items) << s.key;
    }
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
  factdedup::provenance::CheckSimpleYaml(yaml);
  factdedup::provenance::CheckConfig(yaml);
  return 0;
}
