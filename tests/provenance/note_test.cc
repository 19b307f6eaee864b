#include "provenance/note.h"

#include <dirent.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::ReadFileOrDie;
using ::factdedup::testing::SourcePath;
using ::testing::ElementsAre;

std::vector<std::string> MarkdownFilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::vector<std::string> stack = {dir};
  while (!stack.empty()) {
    std::string d = stack.back();
    stack.pop_back();
    DIR* h = opendir(d.c_str());
    if (!h) continue;
    while (dirent* e = readdir(h)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string p = d + "/" + name;
      if (e->d_type == DT_DIR) {
        stack.push_back(p);
      } else if (name.size() > 3 && name.substr(name.size() - 3) == ".md") {
        out.push_back(p);
      }
    }
    closedir(h);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Blocks must tile the note: contiguous, in order, covering every byte.
void ExpectTiles(const Note& note) {
  size_t pos = 0;
  for (const Block& b : note.blocks) {
    EXPECT_EQ(b.span.begin, pos) << note.path << " block at line " << b.line_begin;
    EXPECT_LE(b.span.begin, b.span.end);
    pos = b.span.end;
  }
  EXPECT_EQ(pos, note.content.size()) << note.path;
}

TEST(NoteRoundTrip, EverySeedAndAdversarialNoteRendersByteIdentical) {
  std::vector<std::string> files = MarkdownFilesUnder(SourcePath("data/vault"));
  std::vector<std::string> adversarial = MarkdownFilesUnder(SourcePath("tests/data/adversarial"));
  files.insert(files.end(), adversarial.begin(), adversarial.end());
  ASSERT_GE(files.size(), 11u);
  for (const std::string& f : files) {
    std::string bytes = ReadFileOrDie(f);
    Note note = ParseNote(f, bytes);
    EXPECT_EQ(RenderNote(note), bytes) << f;
    ExpectTiles(note);
    for (const Fact& fact : note.facts) {
      EXPECT_EQ(RawText(note, fact), bytes.substr(fact.text_span.begin, fact.text_span.size()));
      EXPECT_LE(fact.span.begin, fact.text_span.begin);
      EXPECT_LE(fact.text_span.end, fact.span.end);
    }
  }
}

TEST(NoteRoundTrip, SeedsInVaultAreByteIdenticalToShared) {
  // data/vault is built from ../shared/seeds; skip where shared/ is absent.
  const std::string seeds = SourcePath("../shared/seeds");
  DIR* dir = opendir(seeds.c_str());  // closed at once: LeakSanitizer found it left open
  if (dir == nullptr) GTEST_SKIP() << "no ../shared/seeds";
  closedir(dir);
  EXPECT_EQ(ReadFileOrDie(seeds + "/002_b5e8e54e5df0c078.txt"),
            ReadFileOrDie(SourcePath("data/vault/Accounts/Microsoft.md")));
}

TEST(ParseNote, CrlfNote) {
  std::string bytes = ReadFileOrDie(SourcePath("tests/data/adversarial/crlf.md"));
  Note note = ParseNote("crlf.md", bytes);
  EXPECT_TRUE(note.crlf);
  EXPECT_TRUE(note.fully_parsed);
  ASSERT_TRUE(note.frontmatter.present);
  ASSERT_NE(note.frontmatter.Find("tags"), nullptr);
  EXPECT_THAT(note.frontmatter.Find("tags")->items, ElementsAre("a"));
  EXPECT_EQ(note.frontmatter.Find("title")->line, 2);
  ASSERT_EQ(note.facts.size(), 4u);
  EXPECT_EQ(note.facts[0].display, "First fact");
  EXPECT_EQ(note.facts[0].line, 11);
  EXPECT_EQ(note.facts[1].display, "Second fact with trailing spaces continued on the next line");
  EXPECT_EQ(note.facts[1].line_end, 13);
  EXPECT_EQ(note.facts[2].marker, "*");
  EXPECT_EQ(note.facts[3].marker, "+");
  EXPECT_EQ(SectionPath(note, note.facts[0]), (std::vector<std::string>{"Heading", "Key Facts"}));
}

TEST(ParseNote, SectionPathIsTheHeadingsOpenAtTheFact) {
  // A heading closes every open heading of its level or deeper: "## C" closes "### B" but
  // not "# A"; "#### D" under "## C" skips a level.
  Note note = ParseNote("s.md",
                        "- before any heading\n# A\n### B\n- in B\n## C\n- in C\n#### D\n"
                        "- in D\n# E\n- in E\n");
  ASSERT_EQ(note.facts.size(), 5u);
  EXPECT_THAT(SectionPath(note, note.facts[0]), ::testing::IsEmpty());
  EXPECT_EQ(note.facts[0].section, "");
  EXPECT_THAT(SectionPath(note, note.facts[1]), ElementsAre("A", "B"));
  EXPECT_THAT(SectionPath(note, note.facts[2]), ElementsAre("A", "C"));
  EXPECT_THAT(SectionPath(note, note.facts[3]), ElementsAre("A", "C", "D"));
  EXPECT_THAT(SectionPath(note, note.facts[4]), ElementsAre("E"));
  EXPECT_EQ(note.facts[4].section, "E");
}

TEST(ParseNote, BomAndMissingFinalNewline) {
  std::string bytes = ReadFileOrDie(SourcePath("tests/data/adversarial/bom_no_final_newline.md"));
  Note note = ParseNote("b.md", bytes);
  EXPECT_TRUE(note.has_bom);
  ASSERT_TRUE(note.frontmatter.present);
  EXPECT_EQ(note.frontmatter.Find("type")->value, "account");
  ASSERT_EQ(note.facts.size(), 2u);
  EXPECT_EQ(RawText(note, note.facts[1]), "last fact without final newline");
  EXPECT_EQ(note.facts[1].span.end, bytes.size());
}

TEST(ParseNote, TabsNbspNumberedTasksNested) {
  std::string bytes = ReadFileOrDie(SourcePath("tests/data/adversarial/tabs_nbsp_lists.md"));
  Note note = ParseNote("t.md", bytes);
  ASSERT_EQ(note.facts.size(), 10u);
  EXPECT_EQ(note.facts[0].display, "Tab after marker");
  EXPECT_EQ(note.facts[1].depth, 1);
  EXPECT_EQ(note.facts[1].parent, 0);
  EXPECT_EQ(RawText(note, note.facts[2]), "NBSP\xC2\xA0inside and\xC2\xA0 around \xC2\xA0");
  EXPECT_EQ(note.facts[3].marker, "1.");
  EXPECT_EQ(note.facts[4].marker, "2)");
  EXPECT_TRUE(note.facts[5].task);
  EXPECT_EQ(note.facts[5].task_state, ' ');
  EXPECT_EQ(note.facts[5].display, "open task");
  EXPECT_EQ(note.facts[6].task_state, 'x');
  EXPECT_EQ(note.facts[7].task_state, '?');
  EXPECT_EQ(note.facts[8].depth, 1);
  EXPECT_EQ(note.facts[8].parent, 7);
  EXPECT_EQ(note.facts[9].depth, 2);
  EXPECT_EQ(note.facts[9].parent, 8);
}

TEST(ParseNote, NonFactBlocksAndInlineMarkdown) {
  std::string bytes = ReadFileOrDie(SourcePath("tests/data/adversarial/blocks.md"));
  Note note = ParseNote("blocks.md", bytes);
  std::vector<std::string> texts;
  for (const Fact& f : note.facts) texts.push_back(f.display);
  EXPECT_THAT(texts,
              ElementsAre("A fact with bold, emphasis, code, alias, Other > Heading, embed.png and "
                          "a link and web.",
                          "A fact with a snake_case_name and 2 * 3 math",
                          "but this bullet after a paragraph is a fact",
                          "indented four after blank is a nested bullet", "deep fact"));
  EXPECT_TRUE(note.facts[1].ignored);
  EXPECT_FALSE(note.facts[0].ignored);
  EXPECT_EQ(note.facts[3].parent, 2);
  EXPECT_EQ(note.facts[4].section, "Deeper");
  EXPECT_EQ(SectionPath(note, note.facts[4]),
            (std::vector<std::string>{"Title", "Empty Section", "Deeper"}));
  std::map<BlockKind, int> kinds;
  for (const Block& b : note.blocks) kinds[b.kind]++;
  EXPECT_EQ(kinds[BlockKind::kCode], 2);
  EXPECT_EQ(kinds[BlockKind::kTable], 1);
  EXPECT_EQ(kinds[BlockKind::kHtmlComment], 1);
  EXPECT_EQ(kinds[BlockKind::kQuote], 1);
  EXPECT_EQ(kinds[BlockKind::kRule], 1);
  const std::vector<Link>& links = note.facts[0].links;
  ASSERT_EQ(links.size(), 5u);
  EXPECT_EQ(links[0].kind, Link::Kind::kWikilink);
  EXPECT_EQ(links[0].target, "Target Note");
  EXPECT_EQ(links[0].alias, "alias");
  EXPECT_EQ(links[1].target, "Other");
  EXPECT_EQ(links[1].heading, "Heading");
  EXPECT_EQ(links[2].kind, Link::Kind::kEmbed);
  EXPECT_EQ(links[3].kind, Link::Kind::kMarkdown);
  EXPECT_EQ(links[3].target, "Notes/Some Note.md");
  EXPECT_EQ(links[4].kind, Link::Kind::kExternal);
  EXPECT_EQ(links[4].target, "https://example.com/x_(y)");
  for (const Link& l : links) {
    std::string text = bytes.substr(l.span.begin, l.span.size());
    EXPECT_TRUE(text.front() == '[' || text.front() == '!') << text;
    EXPECT_TRUE(text.back() == ']' || text.back() == ')') << text;
  }
}

TEST(ParseNote, MalformedYamlIsReportedWithFileLineAndBodyStillParsed) {
  std::string bytes = ReadFileOrDie(SourcePath("tests/data/adversarial/malformed_yaml.md"));
  Note note = ParseNote("m.md", bytes);
  EXPECT_FALSE(note.fully_parsed);
  ASSERT_EQ(note.diagnostics.size(), 1u);
  // yaml-cpp marks the error where it finds it: YAML line 2 ("key: value"), file line 3.
  EXPECT_EQ(note.diagnostics[0].line, 3);
  EXPECT_THAT(FormatDiagnostic(note.diagnostics[0]), ::testing::StartsWith("m.md:3:"));
  EXPECT_THAT(note.diagnostics[0].message, ::testing::HasSubstr("malformed YAML"));
  ASSERT_EQ(note.facts.size(), 1u);
  EXPECT_EQ(RenderNote(note), bytes);
}

TEST(ParseNote, UnclosedFrontmatterYieldsNoFactsAndIsNotFullyParsed) {
  std::string bytes = ReadFileOrDie(SourcePath("tests/data/adversarial/unclosed_frontmatter.md"));
  Note note = ParseNote("u.md", bytes);
  EXPECT_FALSE(note.fully_parsed);
  EXPECT_TRUE(note.facts.empty());
  EXPECT_EQ(RenderNote(note), bytes);
}

TEST(ParseNote, SourceRefIsALink) {
  Note note = ParseNote("m.md", "---\nsource_ref: \"Inbox/a b.md\"\n---\n- x\n");
  ASSERT_EQ(note.links.size(), 1u);
  EXPECT_EQ(note.links[0].kind, Link::Kind::kSourceRef);
  EXPECT_EQ(note.links[0].target, "Inbox/a b.md");
  EXPECT_EQ(note.links[0].line, 2);
}

struct Utf8Case {
  std::string bytes;
  bool valid;
  int line, column;
};

TEST(ValidateUtf8, Table) {
  const std::vector<Utf8Case> cases = {
      {"plain ascii", true, 0, 0},       {"caf\xC3\xA9 \xE2\x80\x99 \xF0\x9F\x98\x80", true, 0, 0},
      {"ab\ncd\xFF", false, 2, 3},       {"\xC3", false, 1, 1},  // truncated sequence
      {"x\xC0\xAF", false, 1, 2},                                // overlong
      {"\xED\xA0\x80", false, 1, 1},                             // surrogate
      {"\xF4\x90\x80\x80", false, 1, 1},                         // above U+10FFFF
                                                                 // Former bugs: none yet.
  };
  for (const Utf8Case& c : cases) {
    int line = 0, column = 0;
    EXPECT_EQ(ValidateUtf8(c.bytes, &line, &column), c.valid) << c.bytes;
    if (!c.valid) {
      EXPECT_EQ(line, c.line) << c.bytes;
      EXPECT_EQ(column, c.column) << c.bytes;
    }
  }
}

struct StripCase {
  std::string markdown;
  std::string display;
};

TEST(StripMarkdown, Table) {
  const std::vector<StripCase> cases = {
      {"**bold** and *em* and __strong__", "bold and em and strong"},
      {"`code` span", "code span"},
      {"[[Note]] and [[Note|Alias]]", "Note and Alias"},
      {"[text](http://x.y)", "text"},
      {"a  b\t c", "a b c"},
      {"2 * 3 = 6", "2 * 3 = 6"},
      {"snake_case stays", "snake_case stays"},
      {"~~struck~~ ==marked==", "struck marked"},
      {"escaped \\*star\\*", "escaped *star*"},
      {"before <!-- hidden --> after", "before after"},
      // White space: runs collapse to one space and go at both ends; NBSP stays.
      {"", ""},
      {" \t\r\n ", ""},
      {"  lead and trail\t\n", "lead and trail"},
      {"a\r\nb \n\t c", "a b c"},
      {"x\xC2\xA0 y", "x\xC2\xA0 y"},
      {"**a**   `b`  [[c]]  ", "a b c"},
      {"one", "one"},
      // Former bugs: none yet.
  };
  for (const StripCase& c : cases) EXPECT_EQ(StripMarkdown(c.markdown), c.display) << c.markdown;
}

}  // namespace
}  // namespace factdedup::provenance
