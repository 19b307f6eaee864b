// Fuzzes the note parser: any bytes parse without crashing, the blocks tile the input so
// RenderNote gives it back byte for byte, and every span stays inside the note.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "provenance/note.h"

namespace factdedup::provenance {
namespace {

void CheckSpan(const Span& s, size_t size, const char* what) {
  FUZZ_CHECK(s.begin <= s.end && s.end <= size) << what << " [" << s.begin << "," << s.end << ")";
}

void CheckNote(absl::string_view input) {
  const Note note = ParseNote("fuzz/note.md", input);
  FUZZ_CHECK(note.content == input);
  FUZZ_CHECK(RenderNote(note) == input) << "render is not byte-identical";
  // Blocks tile the content in order, without gaps or overlaps.
  size_t pos = 0;
  for (const Block& b : note.blocks) {
    FUZZ_CHECK(b.span.begin == pos) << "gap or overlap at byte " << pos;
    FUZZ_CHECK(b.span.end > b.span.begin) << "empty block at byte " << pos;
    FUZZ_CHECK(b.line_begin >= 1 && b.line_begin <= b.line_end);
    if (b.kind == BlockKind::kListItem) {
      FUZZ_CHECK(b.fact >= 0 && b.fact < static_cast<int>(note.facts.size()));
    }
    pos = b.span.end;
  }
  FUZZ_CHECK(pos == input.size()) << "blocks end at " << pos << " of " << input.size();
  for (const Fact& f : note.facts) {
    CheckSpan(f.span, input.size(), "fact span");
    CheckSpan(f.text_span, input.size(), "fact text span");
    FUZZ_CHECK(f.text_span.begin >= f.span.begin && f.text_span.end <= f.span.end);
    FUZZ_CHECK(f.heading < static_cast<int>(note.headings.size()));
    const std::vector<std::string> sections = SectionPath(note, f);
    FUZZ_CHECK(sections.empty() ? SectionOf(note, f).empty()
                                : sections.back() == SectionOf(note, f))
        << "section path ends with a heading other than the fact's section";
    const std::string& display_bytes = f.display_in_content ? note.content : note.displays;
    FUZZ_CHECK(uint64_t{f.display_begin} + f.display_size <= display_bytes.size())
        << "display outside its bytes";
    FUZZ_CHECK(f.parent < f.index);
    for (const Link& l : LinksOf(note, f)) CheckSpan(l.span, input.size(), "fact link span");
  }
  for (const Link& l : note.links) CheckSpan(l.span, input.size(), "link span");
  for (const Heading& h : note.headings) CheckSpan(h.span, input.size(), "heading span");
  if (note.frontmatter.present) CheckSpan(note.frontmatter.span, input.size(), "frontmatter");
  for (const Diagnostic& d : note.diagnostics) FUZZ_CHECK(!d.message.empty());
}

}  // namespace
}  // namespace factdedup::provenance

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  factdedup::provenance::CheckNote(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
