// The conflict pass's word scans (provenance/internal/capitalized_words.h) and its word memo
// (provenance/internal/word_memo.h): the scans find exactly the words of the plain definition
// (ForEachCapitalizedWord), and the memo finds exactly what was inserted.
#include "provenance/internal/capitalized_words.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "provenance/internal/word_memo.h"
#include "provenance/note.h"

namespace factdedup::provenance::internal {
namespace {

std::vector<std::string> Plain(absl::string_view text) {
  std::vector<std::string> out;
  ForEachCapitalizedWord(text, [&](absl::string_view w) { out.emplace_back(w); });
  return out;
}

bool PlainHasMarkup(absl::string_view text) {
  for (char c : text) {
    if (kMarkup[static_cast<unsigned char>(c)]) return true;
  }
  return false;
}

// A LetterFilter with one candidate per word of `candidates` (lowercase), which may hold its
// letters; all: a filter that rules out nothing.
LetterFilter MakeFilter(const std::vector<std::string>& candidates, bool all = false) {
  LetterFilter f;
  if (all) {
    f.opens.fill(~uint64_t{0});
    for (auto& h : f.holding) h.fill(~uint64_t{0});
    return f;
  }
  std::array<int, 32> count{};
  for (const std::string& c : candidates) {
    const int x = c[0] & 31;
    const uint64_t bit = uint64_t{1} << count[x]++;
    f.opens[x] |= bit;
    for (char l : c) f.holding[x][l & 31] |= bit;
  }
  return f;
}

// The plain definition of what a LetterFilter keeps of a capitalized word.
bool Kept(const LetterFilter& f, absl::string_view w) {
  for (char c : w) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  uint64_t left = f.opens[w[0] & 31];
  for (size_t i = 1; i < w.size(); ++i) left &= f.holding[w[0] & 31][w[i] & 31];
  return left != 0;
}

// Checks every scan against the plain definition on `text`.
void ExpectScansAgree(absl::string_view text) {
  SCOPED_TRACE(absl::StrCat("text '", text, "'"));
  const std::vector<std::string> plain = Plain(text);
  std::vector<std::string> all;
  EXPECT_EQ(ScanAllCapitalizedWords<false>(text, [&](absl::string_view w) { all.emplace_back(w); }),
            RawScan::kNone);
  EXPECT_EQ(all, plain);
  std::vector<std::string> until_markup;
  const RawScan stop = ScanAllCapitalizedWords<true>(
      text, [&](absl::string_view w) { until_markup.emplace_back(w); });
  EXPECT_EQ(stop, PlainHasMarkup(text) ? RawScan::kHasMarkup : RawScan::kNone);
  if (stop == RawScan::kNone) {
    EXPECT_EQ(until_markup, plain);
  }
  // The filtered scan: the words of the plain definition the filter keeps, up to markup.
  for (const LetterFilter& filter :
       {MakeFilter({}, true), MakeFilter({}), MakeFilter({"jonsi", "abc", "abcz", "mqa", "zzz"})}) {
    std::vector<std::string> kept, plain_kept;
    const RawScan filtered = ScanFilteredCapitalizedWords(
        text, filter, [&](absl::string_view w) { kept.emplace_back(w); });
    EXPECT_EQ(filtered, stop);
    for (const std::string& w : plain) {
      if (Kept(filter, w)) plain_kept.push_back(w);
    }
    if (filtered == RawScan::kNone) {
      EXPECT_EQ(kept, plain_kept);
    }
  }
  // The scan that stops at the first word it is asked to stop at.
  std::vector<std::string> first;
  const RawScan found = ScanCapitalizedWords<false>(text, [&](absl::string_view w) {
    first.emplace_back(w);
    return true;
  });
  EXPECT_EQ(found, plain.empty() ? RawScan::kNone : RawScan::kFound);
  if (!plain.empty()) {
    EXPECT_EQ(first, std::vector<std::string>{plain[0]});
  }
  all.clear();
  EXPECT_EQ(ScanCapitalizedWords<false>(text,
                                        [&](absl::string_view w) {
                                          all.emplace_back(w);
                                          return false;
                                        }),
            RawScan::kNone);
  EXPECT_EQ(all, plain);
}

TEST(CapitalizedWords, ExamplesAgreeWithThePlainDefinition) {
  for (absl::string_view text : {
           "",
           "Jonsi",
           "Jo",
           "Jonsi Stephenson met Aung and Maneesh Sah from Azure Storage.",
           "MAI, CoreWeave and PoC are not names; Nvidia is.",
           "Q1 2026 and B2B and Abc1 and Abcdefghijklmnopqrstuvwxyzabcdefghij end",
           // Accented letters before, inside and after capitals.
           "Renée Dupont, éMile, Zoë and ÉCole",
           "a\xC3\xA9Mile \xC3\xA9 Mile",
           // Markup: emphasis, links, code, escapes.
           "- **Jonsi Ste**fanson asked [[People/Jonsi Stephenson|Jonsi  Stephenson]] `Quimby`",
           "Microsoft AI Infra (MAI) wants \\*Stefanson\\* on the call ~ ok = _x_ <b>!",
           "aaaaaaaaaaaaaaaA Bcd",
           "aaaaaaaaaaaaaaa Bcd Efg",
           "Abcdefghijklmnop",
           "Abcdefghijklmno",
           "Abcdefghijklmnopq Rst",
           "x@y? >^ ] Abc",
       }) {
    ExpectScansAgree(text);
  }
}

TEST(CapitalizedWords, RandomTextsAgreeWithThePlainDefinition) {
  // Bytes that make words and break them, in random runs, at every length around the
  // sixteen-byte blocks.
  const std::vector<std::string> pieces = {"A",
                                           "Z",
                                           "M",
                                           "a",
                                           "z",
                                           "m",
                                           "q",
                                           "0",
                                           "9",
                                           " ",
                                           " ",
                                           ",",
                                           ".",
                                           "-",
                                           "(",
                                           ")",
                                           "*",
                                           "_",
                                           "[",
                                           "]",
                                           "`",
                                           "\\",
                                           "~",
                                           "!",
                                           "=",
                                           "<",
                                           "@",
                                           "^",
                                           "\t",
                                           "é",
                                           "É",
                                           "ß",
                                           "’",
                                           "\xC3",
                                           "Jonsi",
                                           "Abc",
                                           "abcdefghijklmnopqrs"};
  std::mt19937 rng(7);
  for (int round = 0; round < 4000; ++round) {
    std::string text;
    const int parts = static_cast<int>(rng() % 40);
    for (int k = 0; k < parts; ++k) text += pieces[rng() % pieces.size()];
    ExpectScansAgree(text);
    if (HasFailure()) return;
  }
}

TEST(CapitalizedWords, LongRandomTextsAgreeWithThePlainDefinition) {
  // Texts of several 64-byte blocks: words (capitalized or not, some longer than a block)
  // across block boundaries, capitals at a block's last byte, markup here and there.
  const std::vector<std::string> pieces = {
      "A",
      "Q",
      "a",
      "0",
      " ",
      " ",
      " ",
      ",",
      "-",
      "(",
      "*",
      "[[",
      "]]",
      "\\",
      "~",
      "!",
      "=",
      "<",
      "_",
      "`",
      "é",
      "É",
      "’",
      "\xE2\x80",
      "Jonsi",
      "Stephenson",
      "McDonald",
      "B2B",
      "Abc",
      "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopq",
      "Abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu",
      "AbcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuV"};
  std::mt19937 rng(11);
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int parts = static_cast<int>(rng() % 160);
    const bool prose = rng() % 2 == 0;  // half without markup: the scans read every word
    for (int k = 0; k < parts; ++k) {
      const std::string& piece = pieces[rng() % pieces.size()];
      if (prose && PlainHasMarkup(piece)) continue;
      text += piece;
    }
    ExpectScansAgree(text);
    if (HasFailure()) return;
  }
  // A capital at every place around the block bounds, alone and starting a word.
  for (size_t at = 0; at < 200; ++at) {
    for (const std::string word : {"X", "Xy", "Xyz", "Xyzzy", "XYz"}) {
      std::string text(at, ' ');
      text += word;
      text += std::string(at % 7, 'q');
      text += " tail";
      ExpectScansAgree(text);
      text = std::string(at, 'a') + " " + word + std::string(70, 'b');
      ExpectScansAgree(text);
    }
    if (HasFailure()) return;
  }
}

// ReadsAsWritten (sixteen bytes at a time) against its definition, StripMarkdown(raw) == raw,
// and against the plain byte loop, on texts of every length around the block size.
bool PlainReadsAsWritten(absl::string_view raw) {
  if (raw.empty()) return true;
  if (raw.front() == ' ' || raw.back() == ' ') return false;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (kMarkup[static_cast<unsigned char>(c)] || c == '\t' || c == '\n' || c == '\r') return false;
    if (c == ' ' && raw[i + 1] == ' ') return false;
  }
  return true;
}

TEST(ReadsAsWritten, AgreesWithStripMarkdownAndThePlainLoop) {
  const std::string pieces[] = {"a", "B", "x", " ", " ", "  ", "\t", "\n", "\r", "7", "\xC3\xA9"};
  std::mt19937 rng(11);
  int as_written = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const int len = static_cast<int>(rng() % 70);
    while (static_cast<int>(text.size()) < len) {
      if (rng() % 40 == 0) {
        text += kMarkupBytes[rng() % kMarkupBytes.size()];
      } else {
        text += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
      }
    }
    const bool plain = PlainReadsAsWritten(text);
    EXPECT_EQ(ReadsAsWritten(text), plain) << "'" << text << "'";
    if (plain) {
      EXPECT_EQ(StripMarkdown(text), text);
      ++as_written;
    }
  }
  EXPECT_GT(as_written, 300);
  // A double space, or any markup or white space byte, at each place of lines of several
  // lengths (blocks, the overlapping last block, the bytes after it).
  const std::string bad = std::string(kMarkupBytes) + "\t\n\r";
  for (size_t len : {5u, 16u, 17u, 18u, 31u, 33u, 40u, 47u, 64u}) {
    const std::string line(len, 'a');
    for (size_t i = 1; i + 2 < line.size(); ++i) {
      std::string spaced = line;
      spaced[i] = spaced[i + 1] = ' ';
      EXPECT_FALSE(ReadsAsWritten(spaced)) << len << " " << i;
      spaced[i + 1] = 'a';
      EXPECT_TRUE(ReadsAsWritten(spaced)) << len << " " << i;
    }
    for (size_t i = 0; i < line.size(); ++i) {
      for (char c : bad) {
        std::string marked = line;
        marked[i] = c;
        EXPECT_FALSE(ReadsAsWritten(marked)) << len << " " << i << " " << int{c};
      }
    }
  }
}

TEST(WordMemo, FindsWhatWasInserted) {
  // Words that share their first or last bytes, of every length from 1 to 40.
  std::vector<std::string> words;
  for (int len = 1; len <= 40; ++len) {
    for (char c : std::string("abcXYZ")) {
      std::string w(static_cast<size_t>(len), 'm');
      w[0] = c;
      words.push_back(w);
      w[0] = 'm';
      w[static_cast<size_t>(len) - 1] = c;
      words.push_back(w);
      w[static_cast<size_t>(len) / 2] = c;  // the middle, when it is neither end
      words.push_back(w);
    }
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  WordMemo memo;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i % 2 == 0) memo.Insert(words[i], static_cast<int>(i));
  }
  EXPECT_EQ(memo.size(), (words.size() + 1) / 2);  // grew past its first table
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string copy = words[i];  // found by its bytes, not its address
    const int* v = memo.Find(copy);
    if (i % 2 == 0) {
      ASSERT_NE(v, nullptr) << words[i];
      EXPECT_EQ(*v, static_cast<int>(i));
    } else {
      EXPECT_EQ(v, nullptr) << words[i];
    }
  }
  EXPECT_EQ(memo.Find("not there"), nullptr);
}

TEST(WordMemo, KeepsItsOwnCopiesOfTheWords) {
  WordMemo memo;
  const std::string huge(100000, 'h');
  {
    std::string word = huge;  // a word longer than the memo's blocks, first
    memo.Insert(word, 1);
  }
  for (int i = 0; i < 5000; ++i) {
    std::string word = absl::StrCat("Word", i);  // gone when the loop turns
    memo.Insert(word, i + 2);
  }
  memo.Insert("", 0);
  ASSERT_NE(memo.Find(huge), nullptr);
  EXPECT_EQ(*memo.Find(huge), 1);
  for (int i = 0; i < 5000; ++i) {
    const int* v = memo.Find(absl::StrCat("Word", i));
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(*v, i + 2);
  }
  ASSERT_NE(memo.Find(""), nullptr);
  EXPECT_EQ(*memo.Find(""), 0);
}

}  // namespace
}  // namespace factdedup::provenance::internal
