// A parsed Obsidian note: frontmatter, headings, blocks and facts, each with exact byte spans.
//
// Parsing is lossless: the blocks of a note tile its bytes, so rendering an unchanged note
// gives back the input byte for byte (CRLF, BOM, missing final newline, tabs, NBSP and
// trailing spaces included).
//
//   Note note = ParseNote("Accounts/Microsoft.md", bytes);
//   for (const Fact& f : note.facts) std::cout << f.line << " " << DisplayOf(note, f) << "\n";
//   assert(RenderNote(note) == bytes);
//
// A note whose parse met a problem (malformed YAML, unclosed frontmatter) has
// `fully_parsed == false` and `diagnostics` saying where; nothing may rewrite such a note.
#ifndef FACTDEDUP_PROVENANCE_NOTE_H_
#define FACTDEDUP_PROVENANCE_NOTE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace factdedup::provenance {

// A half-open byte range [begin, end) into a note's bytes. 32-bit: a note is at most 4 GiB
// (VaultConfig::max_file_size is at most 1 GiB), and a vault holds a Span or two per fact.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
  size_t size() const { return end - begin; }
  friend bool operator==(const Span&, const Span&) = default;
};

struct Diagnostic {
  enum class Severity { kWarning, kError };
  Severity severity = Severity::kError;
  std::string path;  // relative to the vault root
  int line = 0;      // 1-based; 0 when it concerns the whole file
  int column = 0;    // 1-based; 0 when unknown
  std::string message;
};

// "path:line:column: error: message", the format compilers and editors read.
std::string FormatDiagnostic(const Diagnostic& d);

struct Link {
  enum class Kind {
    kWikilink,   // [[target#heading^block|alias]]
    kEmbed,      // ![[target]]
    kMarkdown,   // [text](target) to a note or file in the vault
    kExternal,   // [text](https://...) — never resolved
    kSourceRef,  // frontmatter `source_ref: path`
  };
  Kind kind = Kind::kWikilink;
  std::string target;   // note path or name as written, URL-decoded, without #heading/^block
  std::string heading;  // after '#', if any
  std::string block;    // after '^', if any
  std::string alias;    // display text, if any
  int line = 0;         // 1-based line of the link
  Span span;            // bytes of the whole link in the note
};

struct FrontmatterKey {
  std::string key;
  int line = 0;  // 1-based line of the key in the note
  // Scalar value as written (empty for lists and maps); list items for a sequence of scalars.
  std::string value;
  std::vector<std::string> items;
  bool is_list = false;
};

struct Frontmatter {
  bool present = false;
  Span span;                         // from the opening "---" through the closing line's terminator
  std::string raw;                   // the YAML text between the delimiters
  std::vector<FrontmatterKey> keys;  // top-level keys in file order

  // The key's entry, or nullptr.
  const FrontmatterKey* Find(absl::string_view key) const;
};

struct Heading {
  int level = 0;     // 1..6
  std::string text;  // Markdown stripped, without the #'s and surrounding spaces
  int line = 0;
  Span span;
};

// The kinds of block a note's body is cut into. Only list items can be facts.
enum class BlockKind {
  kFrontmatter,
  kBlank,
  kHeading,
  kListItem,
  kParagraph,
  kCode,  // fenced ``` or ~~~ block (e.g. ```tasks)
  kTable,
  kHtmlComment,
  kQuote,  // blockquotes and callouts (> [!note])
  kRule,   // thematic break: ---, ***, ___
};

const char* BlockKindName(BlockKind kind);

// (Fields ordered so that the record has no padding: 24 bytes, one per block of every note.)
struct Block {
  BlockKind kind = BlockKind::kParagraph;
  int line_begin = 0;  // 1-based, inclusive
  int line_end = 0;    // 1-based, inclusive
  int fact = -1;       // index into Note::facts for list items
  Span span;           // whole lines, terminators included
};

// (Fields ordered so that the record has as little padding as it can: 76 bytes. The note's
// path, the section's heading text, the display text and the links are the note's, not copied
// into every fact: see Note::path, SectionOf, DisplayOf and LinksOf.)
struct Fact {
  int index = 0;     // position in Note::facts
  int heading = -1;  // index in Note::headings of the innermost heading, -1 before the first
  int line = 0;      // 1-based line of the bullet
  int line_end = 0;  // last line of the item (continuation lines included)
  Span span;         // whole lines of the item, terminators included
  Span text_span;    // the item's text after marker and task box, first line on (RawText)
  // Where DisplayOf finds the fact's display text: bytes of Note::content (the display of most
  // facts is their text as written) or, when `display_in_content` is false, of Note::displays.
  uint32_t display_begin = 0;
  uint32_t display_size = 0;
  // The fact's links (LinksOf): Note::links[links_begin, links_begin + links_size).
  uint32_t links_begin = 0;
  uint32_t links_size = 0;
  int indent = 0;        // columns before the marker (tabs count to the next 4)
  int depth = 0;         // 0 for top-level items, 1 for their children, ...
  int parent = -1;       // index of the enclosing item, or -1
  bool task = false;     // "- [ ] ", "- [x] ", "- [?] "
  char task_state = 0;   // the character inside the box
  bool ignored = false;  // carries <!-- factdedup:ignore -->
  bool display_in_content = true;

  // "-", "*", "+", "1.", "2)": at most 9 digits and '.' or ')'.
  absl::string_view marker() const { return absl::string_view(marker_, marker_size_); }
  void set_marker(absl::string_view m);

 private:
  static constexpr size_t kMaxMarker = 10;
  char marker_[kMaxMarker] = {};
  uint8_t marker_size_ = 0;
};

// (LoadVault copies a note it reuses field by field: provenance/vault.cc CopyParsedNote.)
struct Note {
  std::string path;     // relative to the vault root, '/'-separated
  std::string content;  // the exact bytes read
  bool has_bom = false;
  bool crlf = false;  // the first line ends with CRLF
  bool fully_parsed = true;
  Frontmatter frontmatter;
  std::vector<Heading> headings;
  std::vector<Block> blocks;  // tile `content` in order
  std::vector<Fact> facts;
  std::string displays;  // the facts' display texts that differ from their bytes, one after another
  // Every link in the note, frontmatter source_ref included, by place in the note (a fact's
  // links are a run of them: LinksOf).
  std::vector<Link> links;
  std::vector<Diagnostic> diagnostics;
  // Size/mtime/inode when read (set by LoadVault), so a rewrite can refuse a changed file.
  uint64_t read_size = 0;
  int64_t read_mtime_ns = 0;
  uint64_t read_inode = 0;
};

// The fact's display text: Markdown stripped, continuation lines joined by a space (the text
// the engine compares). `fact` must be one of `note`'s facts.
inline absl::string_view DisplayOf(const Note& note, const Fact& fact) {
  const std::string& bytes = fact.display_in_content ? note.content : note.displays;
  return absl::string_view(bytes.data() + fact.display_begin, fact.display_size);
}

// The links written in the fact's text, in text order. `fact` must be one of `note`'s facts.
inline absl::Span<const Link> LinksOf(const Note& note, const Fact& fact) {
  return absl::MakeConstSpan(note.links).subspan(fact.links_begin, fact.links_size);
}

// The fact's text as written: the bytes of its text_span in `note` (after the list marker and
// task box, continuation lines included). `fact` must be one of `note`'s facts.
inline absl::string_view RawText(const Note& note, const Fact& fact) {
  return absl::string_view(note.content).substr(fact.text_span.begin, fact.text_span.size());
}

// The text of the innermost heading `fact` is under in `note` ("" before the first heading).
const std::string& SectionOf(const Note& note, const Fact& fact);

// The texts of the headings `fact` is under in `note`, outermost first (the innermost is
// SectionOf); empty before the first heading.
std::vector<std::string> SectionPath(const Note& note, const Fact& fact);

// Parses `content` (the note's bytes). Never fails: problems are recorded in `diagnostics`
// and clear `fully_parsed`. Invalid UTF-8 is checked by the caller (see vault.h).
Note ParseNote(absl::string_view path, absl::string_view content);
// ParseNote that takes `content` over as Note::content instead of copying it.
// `content` is at most 4 GiB (VaultConfig::max_file_size is at most 1 GiB): Fact offsets are
// 32-bit.
Note ParseNoteOwned(absl::string_view path, std::string content);

// Concatenates the blocks' bytes: equal to `note.content` for any parsed note.
std::string RenderNote(const Note& note);

// Checks that `bytes` is valid UTF-8. On failure sets the 1-based line and column (in
// characters) of the first invalid byte.
bool ValidateUtf8(absl::string_view bytes, int* line, int* column);

// Markdown to display text: strips emphasis, `code` ticks, [[target|alias]] -> alias (or the
// target), [text](url) -> text, ![[embed]] -> target, HTML comments, and collapses white space.
std::string StripMarkdown(absl::string_view markdown);

// Links written in `text`, which starts at byte `offset` and line `line` of its note.
std::vector<Link> ExtractLinks(absl::string_view text, size_t offset, int line);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_NOTE_H_
