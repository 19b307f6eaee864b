#include "provenance/note.h"

#include <dirent.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provenance/internal/markup_scan.h"
#include "provenance/internal/simple_yaml.h"
#include "provenance/internal/yaml_limits.h"
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

// A vault keeps a Fact per fact and a Block per block of every note for the whole run (1M
// facts: 1M of each): neither record may grow padding (64-bit libstdc++ sizes; smaller strings
// elsewhere only make them smaller).
TEST(NoteRecords, HaveNoPadding) {
  if (sizeof(void*) != 8 || sizeof(std::string) != 32) GTEST_SKIP() << "sizes for LP64 libstdc++";
  EXPECT_LE(sizeof(Block), 32u);
  EXPECT_LE(sizeof(Fact), 216u);
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
  EXPECT_EQ(DisplayOf(note, note.facts[0]), "First fact");
  EXPECT_EQ(note.facts[0].line, 11);
  EXPECT_EQ(DisplayOf(note, note.facts[1]),
            "Second fact with trailing spaces continued on the next line");
  EXPECT_EQ(note.facts[1].line_end, 13);
  EXPECT_EQ(note.facts[2].marker(), "*");
  EXPECT_EQ(note.facts[3].marker(), "+");
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
  EXPECT_EQ(SectionOf(note, note.facts[0]), "");
  EXPECT_THAT(SectionPath(note, note.facts[1]), ElementsAre("A", "B"));
  EXPECT_THAT(SectionPath(note, note.facts[2]), ElementsAre("A", "C"));
  EXPECT_THAT(SectionPath(note, note.facts[3]), ElementsAre("A", "C", "D"));
  EXPECT_THAT(SectionPath(note, note.facts[4]), ElementsAre("E"));
  EXPECT_EQ(SectionOf(note, note.facts[4]), "E");
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
  EXPECT_EQ(DisplayOf(note, note.facts[0]), "Tab after marker");
  EXPECT_EQ(note.facts[1].depth, 1);
  EXPECT_EQ(note.facts[1].parent, 0);
  EXPECT_EQ(RawText(note, note.facts[2]), "NBSP\xC2\xA0inside and\xC2\xA0 around \xC2\xA0");
  EXPECT_EQ(note.facts[3].marker(), "1.");
  EXPECT_EQ(note.facts[4].marker(), "2)");
  EXPECT_TRUE(note.facts[5].task);
  EXPECT_EQ(note.facts[5].task_state, ' ');
  EXPECT_EQ(DisplayOf(note, note.facts[5]), "open task");
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
  for (const Fact& f : note.facts) texts.push_back(std::string(DisplayOf(note, f)));
  EXPECT_THAT(texts,
              ElementsAre("A fact with bold, emphasis, code, alias, Other > Heading, embed.png and "
                          "a link and web.",
                          "A fact with a snake_case_name and 2 * 3 math",
                          "but this bullet after a paragraph is a fact",
                          "indented four after blank is a nested bullet", "deep fact"));
  EXPECT_TRUE(note.facts[1].ignored);
  EXPECT_FALSE(note.facts[0].ignored);
  EXPECT_EQ(note.facts[3].parent, 2);
  EXPECT_EQ(SectionOf(note, note.facts[4]), "Deeper");
  EXPECT_EQ(SectionPath(note, note.facts[4]),
            (std::vector<std::string>{"Title", "Empty Section", "Deeper"}));
  std::map<BlockKind, int> kinds;
  for (const Block& b : note.blocks) kinds[b.kind]++;
  EXPECT_EQ(kinds[BlockKind::kCode], 2);
  EXPECT_EQ(kinds[BlockKind::kTable], 1);
  EXPECT_EQ(kinds[BlockKind::kHtmlComment], 1);
  EXPECT_EQ(kinds[BlockKind::kQuote], 1);
  EXPECT_EQ(kinds[BlockKind::kRule], 1);
  const absl::Span<const Link> links = LinksOf(note, note.facts[0]);
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

TEST(ParseNote, BulletsRulesAndContinuationLines) {
  // Rules are told from bullets by their bytes after the marker; a line that could be a list
  // item ends the item before it, any other line continues it.
  const std::string bytes =
      "- - -\n"     // rule
      "* * *\n"     // rule
      "_ _ _\n"     // rule
      "- -x\n"      // item "-x"
      "- -\n"       // item "-": two markers are no rule
      "+ + +\n"     // item "+ +"
      "-\tfirst\n"  // item
      "+b\n"        // continues it: no blank after the marker
      "0x1\n"       // continues it: no '.' or ')' after the digits
      "-\n"         // an empty item
      "*\n"         // an empty item
      "1) one\n"    // item
      "  _ _ _\n"   // a rule ends the item
      "- a\n"
      "    indented more\n"  // continues "a"
      "> quote\n";
  Note note = ParseNote("b.md", bytes);
  EXPECT_EQ(RenderNote(note), bytes);
  std::vector<std::string> kinds;
  for (const Block& b : note.blocks) kinds.push_back(BlockKindName(b.kind));
  EXPECT_THAT(
      kinds, ElementsAre("rule", "rule", "rule", "list_item", "list_item", "list_item", "list_item",
                         "list_item", "list_item", "list_item", "rule", "list_item", "quote"));
  std::vector<std::string> texts;
  for (const Fact& f : note.facts) texts.push_back(std::string(DisplayOf(note, f)));
  EXPECT_THAT(texts,
              ElementsAre("-x", "-", "+ +", "first +b 0x1", "", "", "one", "a indented more"));
  EXPECT_EQ(note.facts[3].line, 7);
  EXPECT_EQ(note.facts[3].line_end, 9);
  EXPECT_EQ(note.facts[6].marker(), "1)");
}

TEST(ParseNote, PlainAndMarkedUpFacts) {
  // Plain facts take a shorter way (no markup: display as written, no links, not ignored);
  // the others are read in full. Both kinds side by side, with links in a heading and a
  // paragraph between them.
  const std::string bytes =
      "# Head [[H]]\n"
      "- plain fact with enough words to pass sixteen bytes\n"
      "- fact with [[Link|alias]] and **bold** <!-- factdedup:ignore -->\n"
      "\n"
      "Paragraph [[P]].\n"
      "\n"
      "- another plain one\n"
      "- [x] task with [t](Notes/T.md)\n";
  Note note = ParseNote("p.md", bytes);
  ASSERT_EQ(note.facts.size(), 4u);
  EXPECT_EQ(DisplayOf(note, note.facts[0]), "plain fact with enough words to pass sixteen bytes");
  EXPECT_TRUE(LinksOf(note, note.facts[0]).empty());
  EXPECT_FALSE(note.facts[0].ignored);
  EXPECT_EQ(DisplayOf(note, note.facts[1]), "fact with alias and bold");
  EXPECT_TRUE(note.facts[1].ignored);
  ASSERT_EQ(LinksOf(note, note.facts[1]).size(), 1u);
  EXPECT_EQ(LinksOf(note, note.facts[1])[0].target, "Link");
  EXPECT_EQ(SectionOf(note, note.facts[1]), "Head H");
  EXPECT_EQ(DisplayOf(note, note.facts[2]), "another plain one");
  EXPECT_TRUE(note.facts[3].task);
  EXPECT_EQ(DisplayOf(note, note.facts[3]), "task with t");
  ASSERT_EQ(LinksOf(note, note.facts[3]).size(), 1u);
  EXPECT_EQ(LinksOf(note, note.facts[3])[0].target, "Notes/T.md");
  std::vector<std::string> targets;
  for (const Link& l : note.links) targets.push_back(l.target);
  EXPECT_THAT(targets, ElementsAre("H", "Link", "P", "Notes/T.md"));
  for (size_t i = 1; i < note.links.size(); ++i) {
    EXPECT_LT(note.links[i - 1].span.begin, note.links[i].span.begin);
  }
}

TEST(ParseNoteOwned, SameAsParseNote) {
  for (const std::string& f : MarkdownFilesUnder(SourcePath("tests/data/adversarial"))) {
    const std::string bytes = ReadFileOrDie(f);
    const Note a = ParseNote(f, bytes);
    const Note b = ParseNoteOwned(f, bytes);
    EXPECT_EQ(b.content, bytes);
    EXPECT_EQ(RenderNote(b), bytes);
    ASSERT_EQ(a.facts.size(), b.facts.size()) << f;
    for (size_t i = 0; i < a.facts.size(); ++i) {
      EXPECT_EQ(DisplayOf(a, a.facts[i]), DisplayOf(b, b.facts[i])) << f;
      EXPECT_EQ(a.facts[i].span, b.facts[i].span) << f;
    }
    EXPECT_EQ(a.links.size(), b.links.size()) << f;
    EXPECT_EQ(a.blocks.size(), b.blocks.size()) << f;
  }
}

// A fact's links (a run of its note's links) are those written in its text, in text order.
TEST(ParseNote, FactLinksAreTheLinksOfItsText) {
  for (const std::string& f : MarkdownFilesUnder(SourcePath("tests/data/adversarial"))) {
    const Note note = ParseNote(f, ReadFileOrDie(f));
    for (const Fact& fact : note.facts) {
      const std::vector<Link> want =
          ExtractLinks(RawText(note, fact), fact.text_span.begin, fact.line);
      const absl::Span<const Link> links = LinksOf(note, fact);
      ASSERT_EQ(links.size(), want.size()) << f << ":" << fact.line;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(links[i].span, want[i].span) << f << ":" << fact.line;
        EXPECT_EQ(links[i].target, want[i].target) << f << ":" << fact.line;
      }
    }
  }
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

TEST(ValidateUtf8, BadByteAnywhereInLongAsciiText) {
  // ASCII is checked 64, 16 or 8 bytes at a time: a bad byte in any place of such a block, or
  // in the bytes after the last one, is found and placed.
  for (size_t size = 1; size <= 200; ++size) {
    for (size_t at = 0; at < size; ++at) {
      std::string bytes(size, 'a');
      if (at > 0) bytes[at / 2] = '\n';  // one line break before the bad byte
      bytes[at] = '\xFF';
      int line = 0, column = 0;
      ASSERT_FALSE(ValidateUtf8(bytes, &line, &column)) << size << " " << at;
      EXPECT_EQ(line, at > 0 ? 2 : 1) << size << " " << at;
      EXPECT_EQ(column, at > 0 ? static_cast<int>(at - at / 2) : 1) << size << " " << at;
    }
    EXPECT_TRUE(ValidateUtf8(std::string(size, 'a') + "caf\xC3\xA9", nullptr, nullptr));
    EXPECT_TRUE(ValidateUtf8(std::string(size, 'a'), nullptr, nullptr)) << size;
  }
}

TEST(ValidateUtf8, BadByteAfterValidCharacterInLongText) {
  // After a valid multi-byte character the checks of whole blocks resume: a bad byte later on,
  // in any place of a block, is still found and placed (column in characters).
  for (size_t at = 0; at < 150; at += 7) {
    for (size_t bad = at + 2; bad < 300; ++bad) {
      std::string bytes(320, 'a');
      bytes.replace(at, 2, "\xC3\xA9");
      bytes[bad] = '\x80';
      int line = 0, column = 0;
      ASSERT_FALSE(ValidateUtf8(bytes, &line, &column)) << at << " " << bad;
      EXPECT_EQ(line, 1);
      EXPECT_EQ(column, static_cast<int>(bad)) << at << " " << bad;  // one character of two bytes
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

// What StripMarkdown makes of `n` letters with `insert` at `at` (see the test below).
std::string LettersWith(size_t n, size_t at, const std::string& insert) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + i % 26));
  s.insert(at, insert);
  return s;
}

TEST(ParseNote, ALinkOrDoubleSpaceAnywhereInALongFactIsSeen) {
  // A fact is taken as written only when no byte of it may be markup (checked 16 bytes at a
  // time): a link, or a double space, at any place of a long fact is still read.
  for (size_t n = 1; n <= 100; ++n) {
    for (size_t at = 0; at <= n; ++at) {
      SCOPED_TRACE(absl::StrCat("n=", n, " at=", at));
      const Note link = ParseNote("p.md", "- " + LettersWith(n, at, "[[N]]") + "\n");
      ASSERT_EQ(link.facts.size(), 1u);
      EXPECT_EQ(DisplayOf(link, link.facts[0]), LettersWith(n, at, "N"));
      ASSERT_EQ(LinksOf(link, link.facts[0]).size(), 1u);
      EXPECT_EQ(LinksOf(link, link.facts[0])[0].target, "N");
      if (at == 0 || at == n) continue;  // a space at either end is no double space inside
      const Note spaces = ParseNote("p.md", "- " + LettersWith(n, at, "  ") + "\n");
      ASSERT_EQ(spaces.facts.size(), 1u);
      EXPECT_EQ(DisplayOf(spaces, spaces.facts[0]), LettersWith(n, at, " "));
    }
  }
}

TEST(StripMarkdown, OneMarkupByteAnywhere) {
  // Plain text is given back as written after a check of 16 bytes at a time; one byte that
  // may start markup, or white space to collapse, anywhere (inside a block, at its edges, in
  // the last bytes) must still be seen. Letters around it, so each case has one answer.
  struct Insert {
    std::string bytes;
    std::string becomes;  // in the display
  };
  const std::vector<Insert> inserts = {
      {"*", ""},      {"\t", " "},      {"\n", " "},
      {"\r", " "},    {"  ", " "},      {"~", "~"},
      {"=", "="},     {"_", "_"},       {"!", "!"},
      {"<", "<"},     {"`", "`"},       {"[", "["},
      {"\\", "\\"},   {">", ">"},       {"]", "]"},
      {"^", "^"},     {"\x01", "\x01"}, {"\xC2\xA0", "\xC2\xA0"},  // NBSP stays
      {"**", ""},     {"\\*", "*"},     {"`x`", "x"},
      {"[[N]]", "N"},
  };
  for (size_t n = 1; n <= 100; ++n) {
    EXPECT_EQ(StripMarkdown(LettersWith(n, 0, "")), LettersWith(n, 0, ""));
    for (size_t at = 0; at <= n; ++at) {
      for (const Insert& in : inserts) {
        std::string want = LettersWith(n, at, in.becomes);
        // White space at either end is dropped, and so is '_' outside a word.
        if ((in.becomes == " " || in.becomes == "_") && (at == 0 || at == n)) {
          want = LettersWith(n, 0, "");
        }
        EXPECT_EQ(StripMarkdown(LettersWith(n, at, in.bytes)), want)
            << "n=" << n << " at=" << at << " insert=" << in.bytes;
      }
    }
  }
  EXPECT_EQ(StripMarkdown(" " + LettersWith(30, 0, "")), LettersWith(30, 0, ""));
  EXPECT_EQ(StripMarkdown(LettersWith(30, 0, "") + " "), LettersWith(30, 0, ""));
  EXPECT_EQ(StripMarkdown(LettersWith(30, 15, " ")), LettersWith(30, 15, " "));
}

TEST(NotAsWrittenAt, Avx2GivesTheSse2Answer) {
  // The AVX2 scan (32 bytes at a time) must give the SSE2 scan's answer for every text: one
  // byte of every kind at every place of texts of every length up to 100, and random texts.
  if (!internal::HaveAvx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  const std::vector<std::string> inserts = {
      "*",  "\t", "\n", "\r", "  ", " ", "~", "=",    "_",    "!",        "<",
      "`",  "[",  "\\", ">",  "]",  "^", "{", "\x01", "\x7f", "\xC2\xA0", "\xE2\x80\x99",
      "**", "@",  "-",  "'",  "$",  ",", "#", "|",    "\x0e", "\x1f"};
  for (size_t n = 0; n <= 100; ++n) {
    const std::string plain = LettersWith(n, 0, "");
    ASSERT_EQ(internal::NotAsWrittenAtAvx2(plain), internal::NotAsWrittenAtSse2(plain)) << n;
    for (size_t at = 0; at <= n; ++at) {
      for (const std::string& in : inserts) {
        const std::string text = LettersWith(n, at, in);
        ASSERT_EQ(internal::NotAsWrittenAtAvx2(text), internal::NotAsWrittenAtSse2(text))
            << "n=" << n << " at=" << at << " insert=" << absl::CEscape(in);
      }
    }
  }
  // Every byte value, at every place of texts around one and two 32-byte blocks.
  for (int b = 0; b < 256; ++b) {
    for (size_t n = 30; n <= 70; ++n) {
      for (size_t at = 0; at <= n; ++at) {
        const std::string text = LettersWith(n, at, std::string(1, static_cast<char>(b)));
        ASSERT_EQ(internal::NotAsWrittenAtAvx2(text), internal::NotAsWrittenAtSse2(text))
            << "n=" << n << " at=" << at << " byte=" << b;
      }
    }
  }
  std::mt19937 rng(7);
  const std::string alphabet = "abc XYZ019,.-'$*_~=`[]!<>\\\t\r\n\x01\x80\xC2\xA0";
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng() % 140, 'a');
    // Mostly letters, a few bytes of the alphabet: answers at every place.
    for (char& c : text) {
      if (rng() % 16 == 0) c = alphabet[rng() % alphabet.size()];
    }
    ASSERT_EQ(internal::NotAsWrittenAtAvx2(text), internal::NotAsWrittenAtSse2(text))
        << absl::CEscape(text);
  }
}

// A fact's links and display, taken from the walk that strips its markup, are what
// ExtractLinks and StripMarkdown give for its text on their own.
TEST(ParseNote, FactLinksAndDisplayAreThoseOfItsText) {
  const std::vector<std::string> texts = {
      "plain",
      "[[A]] and [[B|b]] and ![[C.png]]",
      "**[[Bold Link]]** with `code [[not]]` after",
      "escaped \\[[not a link]] then [[Yes]]",
      "comment <!-- [[Hidden]] --> then [[Shown]]",
      "<!-- factdedup:ignore --> [[X]]",
      "[[a<!-- factdedup:ignore -->b]]",
      "[text](Notes/T.md) and [ext](https://e.com/x_(y)) and [t](<a b.md>)",
      "[[[a](b)](c)](d) nested aliases [[[[deep]]]]",
      "[[Target#Heading^block|Alias]] [[#Only heading]] [[^blk]]",
      "unclosed [[link and [text](",
      "mojibake \xC3\xA2\xE2\x82\xAC\xE2\x84\xA2 [[Caf\xC3\xA9]] \xC2\xA0nbsp",
      "tabs\tand  double  spaces [[T]]\t",
      "snake_case __under__ ~~strike~~ ==mark== *em* [[L]]",
      "`unclosed code [[L1]] and ``double `` [[L2]]",
      "! [not] ![alt](img.png) !![[E]]",
      "[[A]]\n  continuation [[B]]\n  and [c](d.md)",
      "%5B [x](a%20b.md#h) [[a%20b]]",
      "\\`[[esc code]]` [[after]]",
  };
  for (const std::string& text : texts) {
    for (const std::string prefix : {"- ", "  * ", "1. ", "- [ ] ", "\t- [x] "}) {
      const std::string bytes = "---\ntype: x\n---\n# H\n" + prefix + text + "\n";
      for (const std::string& variant : {bytes, absl::StrReplaceAll(bytes, {{"\n", "\r\n"}})}) {
        SCOPED_TRACE(absl::CEscape(variant));
        const Note note = ParseNote("n.md", variant);
        ASSERT_EQ(note.facts.size(), 1u);
        const Fact& f = note.facts[0];
        const absl::string_view raw = RawText(note, f);
        EXPECT_EQ(DisplayOf(note, f), StripMarkdown(raw));
        EXPECT_EQ(f.ignored, absl::StrContains(raw, "<!-- factdedup:ignore -->"));
        const std::vector<Link> want = ExtractLinks(raw, f.text_span.begin, f.line);
        const absl::Span<const Link> links = LinksOf(note, f);
        ASSERT_EQ(links.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
          EXPECT_EQ(links[i].kind, want[i].kind) << i;
          EXPECT_EQ(links[i].target, want[i].target) << i;
          EXPECT_EQ(links[i].heading, want[i].heading) << i;
          EXPECT_EQ(links[i].block, want[i].block) << i;
          EXPECT_EQ(links[i].alias, want[i].alias) << i;
          EXPECT_EQ(links[i].line, want[i].line) << i;
          EXPECT_EQ(links[i].span, want[i].span) << i;
        }
      }
    }
  }
}

TEST(ExtractLinks, TextsWithoutOpeningBracketHaveNone) {
  EXPECT_TRUE(ExtractLinks("no links here ! ` ]] ) > <x>", 0, 1).empty());
  EXPECT_TRUE(ExtractLinks("", 0, 1).empty());
  // A '[' anywhere, after code spans and '!'s, is still found.
  const std::string text = "a `code` ! b ` c and then\n[[Target]] and ![[img.png]]";
  std::vector<Link> links = ExtractLinks(text, 10, 3);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].kind, Link::Kind::kWikilink);
  EXPECT_EQ(links[0].target, "Target");
  EXPECT_EQ(links[0].line, 4);
  EXPECT_EQ(links[0].span.begin, 10 + text.find("[[Target]]"));
  EXPECT_EQ(links[1].kind, Link::Kind::kEmbed);
  EXPECT_EQ(links[1].target, "img.png");
  // A '[' inside a code span is no link.
  EXPECT_TRUE(ExtractLinks("`[[Hidden]]` text", 0, 1).empty());
}

// ParseNote checks the YAML limits only for frontmatter outside ParseSimpleYaml's subset (or
// over the size limit): everything in the subset must be within them.
TEST(ParseNote, SimpleFrontmatterIsWithinTheYamlLimits) {
  // In the subset (with the bytes the limits look at, inside quotes), and outside it.
  const std::vector<std::string> inside = {"account", "'*a'",  "\"*b\"", "'&x'",  "\"[[A]]\"",
                                           "'|'",     "\">\"", "'['",    "\"{\"", "''",
                                           "O'Brien", "x - y", "(EMEA)"};
  const std::vector<std::string> outside = {"a*b", "*a", "&a b", "[x]", "{a: b}", "|"};
  auto value = [&](std::mt19937& r) {
    return r() % 50 == 0 ? outside[r() % outside.size()] : inside[r() % inside.size()];
  };
  std::mt19937 rng(11);
  int accepted = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string yaml;
    const int keys = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < keys; ++k) {
      const std::string key = "k" + std::to_string(k);
      if (rng() % 3 == 0) {
        yaml += key + ":\n";
        const int items = static_cast<int>(rng() % 8);
        for (int i = 0; i < items; ++i) yaml += "  - " + value(rng) + "\n";
      } else {
        yaml += key + ": " + value(rng) + "\n";
      }
    }
    std::vector<internal::SimpleYamlKey> simple;
    if (!internal::ParseSimpleYaml(yaml, &simple)) continue;
    ++accepted;
    int line = 0;
    EXPECT_TRUE(internal::CheckYamlLimits(yaml, {}, &line).ok()) << yaml;
  }
  EXPECT_GT(accepted, 300);
  // Over the size limit, simple or not, the frontmatter is refused.
  std::string big = "---\n";
  while (big.size() <= internal::YamlLimits{}.max_bytes)
    big += "key" + std::to_string(big.size()) + ": v\n";
  big += "---\n- a fact\n";
  const Note note = ParseNote("big.md", big);
  EXPECT_FALSE(note.fully_parsed);
  ASSERT_FALSE(note.diagnostics.empty());
  EXPECT_THAT(note.diagnostics[0].message, ::testing::HasSubstr("frontmatter not read"));
}

}  // namespace
}  // namespace factdedup::provenance
