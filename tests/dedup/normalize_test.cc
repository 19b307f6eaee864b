#include "dedup/normalize.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dedup/internal/mojibake.h"
#include "dedup/internal/normalize_internal.h"
#include "dedup/internal/numbers.h"
#include "dedup/internal/stemmer.h"
#include "dedup/internal/stopwords.h"
#include "dedup/internal/unicode.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace factdedup::dedup {
namespace {

using ::testing::Contains;
using ::testing::ElementsAreArray;
using ::testing::Not;

std::vector<std::string> Texts(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& t : tokens) out.push_back(t.text);
  return out;
}

NormalizedText MustNormalize(const Normalizer& n, absl::string_view text) {
  absl::StatusOr<NormalizedText> r = n.Normalize(text);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *std::move(r) : NormalizedText{};
}

// ---------------------------------------------------------------------------------------------
// Mojibake repair.

struct MojibakeCase {
  const char* input;
  const char* want;
  bool repaired;
};

TEST(NormalizeMojibakeTest, Table) {
  const MojibakeCase kCases[] = {
      // The seed vault's example: "’" (E2 80 99) read as cp1252 and re-encoded.
      {"Microsoft\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s", "Microsoft\xE2\x80\x99s", true},
      {"caf\xC3\x83\xC2\xA9", "caf\xC3\xA9", true},                       // cafÃ© -> café
      {"\xC3\xA2\xE2\x82\xAC\xC5\x93quoted\xC3\xA2\xE2\x82\xAC\xC2\x9D",  // â€œquotedâ€<9D>
       "\xE2\x80\x9Cquoted\xE2\x80\x9D", true},                           // cp1252-undefined 0x9D
      {"\xC3\x85\xE2\x80\x9A\xC3\xB3"
       "d\xC5\xBA",
       "\xC5\x82\xC3\xB3"
       "d\xC5\xBA",
       true},                                                   // Å‚ódź
      {"\xC3\x90\xC5\xB8\xC3\x91\xE2\x82\xAC\xC3\x90\xC2\xB8",  // ÐŸÑ€Ð¸
       "\xD0\x9F\xD1\x80\xD0\xB8", true},                       // При
      // Doubly encoded: Ã¢â‚¬â„¢ -> â€™ -> ’.
      {"\xC3\x83\xC2\xA2\xC3\xA2\xE2\x80\x9A\xC2\xAC\xC3\xA2\xE2\x80\x9E\xC2\xA2", "\xE2\x80\x99",
       true},
      // Legitimate text is left alone.
      {"caf\xC3\xA9", "caf\xC3\xA9", false},                        // café
      {"na\xC3\xAFve", "na\xC3\xAFve", false},                      // naïve
      {"\xC3\x85ngstr\xC3\xB6m", "\xC3\x85ngstr\xC3\xB6m", false},  // Ångström
      {"Die Stra\xC3\x9F"
       "e ist sch\xC3\xB6n",
       "Die Stra\xC3\x9F"
       "e ist sch\xC3\xB6n",
       false},
      {"\xE5\xBE\xAE\xE8\xBD\xAF\xE7\x9A\x84", "\xE5\xBE\xAE\xE8\xBD\xAF\xE7\x9A\x84", false},
      {"\xC3\x87"
       "a va \xC3\xA0 Paris",
       "\xC3\x87"
       "a va \xC3\xA0 Paris",
       false},  // Ça va à
      {"plain ascii", "plain ascii", false},
      // Former bugs.
      // A lone Spanish "Ñ" before a closing guillemet (D1 BB) is not taken for Cyrillic.
      {"ESPA\xC3\x91\xC2\xBB", "ESPA\xC3\x91\xC2\xBB", false},
      // "Â" + C1 control would decode to a control character: not a repair.
      {"\xC3\x82\xC2\x85", "\xC3\x82\xC2\x85", false},
  };
  for (const MojibakeCase& c : kCases) {
    bool repaired = false;
    EXPECT_EQ(RepairMojibake(c.input, &repaired), c.want) << c.input;
    EXPECT_EQ(repaired, c.repaired) << c.input;
  }
}

TEST(NormalizeMojibakeTest, SuspectWhenNotRepairable) {
  Normalizer n;
  // "â€" with its third byte lost: nothing decodes, but it looks like mojibake.
  NormalizedText t = MustNormalize(n, "Microsoft\xC3\xA2\xE2\x82\xAC s fleet");
  EXPECT_FALSE(t.repaired_mojibake);
  EXPECT_TRUE(t.suspect_mojibake);
  t = MustNormalize(n, "caf\xC3\xA9 na\xC3\xAFve");
  EXPECT_FALSE(t.suspect_mojibake);
}

TEST(NormalizeMojibakeTest, OptionOff) {
  Normalizer n({.repair_mojibake = false});
  NormalizedText t = MustNormalize(n, "caf\xC3\x83\xC2\xA9");
  EXPECT_FALSE(t.repaired_mojibake);
  EXPECT_EQ(t.clean, "caf\xC3\x83\xC2\xA9");
}

// ---------------------------------------------------------------------------------------------
// `clean`, truncation.

struct CleanCase {
  const char* input;
  const char* clean;
  bool truncated;
};

TEST(NormalizeCleanTest, Table) {
  const CleanCase kCases[] = {
      {"  many   spaces\there\n", "many spaces here", false},
      {"\xE2\x80\x9C"
       "Big Pause\xE2\x80\x9D is over",
       "\"Big Pause\" is over", false},
      {"it\xE2\x80\x99s \xE2\x80\x98quoted\xE2\x80\x99", "it's 'quoted'", false},
      {"a \xE2\x80\x94 b \xE2\x80\x93 c", "a - b - c", false},  // em/en dash
      {"self\xE2\x80\x91"
       "build",
       "self-build", false},                           // U+2011
      {"over\xC2\xA0now", "over now", false},          // NBSP
      {"thin\xE2\x80\x89space", "thin space", false},  // U+2009
      {"zero\xE2\x80\x8Bwidth", "zerowidth", false},   // ZWSP removed
      {"\xEF\xBC\xA1\xEF\xBC\xA9", "AI", false},       // fullwidth (NFKC)
      {"\xEF\xAC\x81nance", "finance", false},         // ﬁ ligature (NFKC)
      {"now scr...", "now scr", true},
      {"a deal ...", "a deal", true},
      {"a deal \xE2\x80\xA6", "a deal", true},  // …
      {"Azur\xE2\x80\xA6", "Azur", true},
      {"wait.. no", "wait.. no", false},
      {"", "", false},
      {"...", "", true},
      // Former bugs.
      {"Microsoft\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s $250B deal ...", "Microsoft's $250B deal", true},
  };
  Normalizer n;
  for (const CleanCase& c : kCases) {
    NormalizedText t = MustNormalize(n, c.input);
    EXPECT_EQ(t.clean, c.clean) << c.input;
    EXPECT_EQ(t.truncated, c.truncated) << c.input;
  }
}

TEST(NormalizeCleanTest, CutWordIsDroppedFromTokens) {
  Normalizer n;
  NormalizedText t =
      MustNormalize(n, "Microsoft is described as ending, with Microsoft now scr...");
  EXPECT_TRUE(t.truncated);
  EXPECT_THAT(Texts(t.all_tokens), Not(Contains("scr")));
  EXPECT_EQ(Texts(t.all_tokens).back(), "now");
  // A complete word before " ..." is kept.
  t = MustNormalize(n, "capacity is scarce ...");
  EXPECT_EQ(Texts(t.tokens).back(), "scarc");
}

TEST(NormalizeCleanTest, HeaderExample) {
  Normalizer n;
  NormalizedText t = MustNormalize(n, "Microsoft\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s $250B deal ...");
  EXPECT_EQ(t.clean, "Microsoft's $250B deal");
  EXPECT_THAT(Texts(t.tokens), ElementsAreArray({"microsoft", "$250000000000", "deal"}));
  EXPECT_TRUE(t.truncated);
  EXPECT_TRUE(t.repaired_mojibake);
}

// ---------------------------------------------------------------------------------------------
// Tokens.

struct TokenCase {
  const char* input;
  std::vector<std::string> tokens;  // NormalizedText::tokens
};

TEST(NormalizeTokensTest, Table) {
  const TokenCase kCases[] = {
      {"Microsoft is ramping quickly", {"microsoft", "ramp", "quick"}},
      {"Microsoft's fleet and Microsoft\xE2\x80\x99s fleet",
       {"microsoft", "fleet", "microsoft", "fleet"}},
      {"self-build, leases, and neoclouds", {"self", "build", "leas", "neocloud"}},
      {"It is not over and never was", {"not", "over", "never"}},
      {"without a doubt", {"without", "doubt"}},
      {"doesn't apply; can't stop", {"not", "appli", "can", "not", "stop"}},
      {"RL/SFT mid-training", {"rl", "sft", "mid", "train"}},
      {"U.S. export rules", {"u.s", "export", "rule"}},
      {"Nvidia H100 and GB200 GPUs", {"nvidia", "h100", "gb200", "gpus"}},
      {"Jos\xC3\xA9 met Jose", {"jose", "met", "jose"}},
      // Accented sentence.
      {"Jos\xC3\xA9 Mart\xC3\xADnez visit\xC3\xB3 el caf\xC3\xA9",
       {"jose", "martinez", "visito", "el", "cafe"}},
      // German: full case folding maps ß to ss, accents fold ö to o.
      {"Die Stra\xC3\x9F"
       "e ist sch\xC3\xB6n",
       {"die", "strass", "ist", "schon"}},
      {"STRASSE", {"strass"}},
      // CJK: dictionary segmentation into several words.
      {"\xE5\xBE\xAE\xE8\xBD\xAF\xE7\x9A\x84\xE4\xBA\xBA\xE5\xB7\xA5\xE6\x99\xBA\xE8\x83\xBD",
       {"\xE5\xBE\xAE\xE8\xBD\xAF", "\xE7\x9A\x84", "\xE4\xBA\xBA\xE5\xB7\xA5",
        "\xE6\x99\xBA\xE8\x83\xBD"}},
      {"", {}},
      {"!!! --- ???", {}},
      // Former bugs.
      {"foo_bar ___ baz", {"foo_bar", "baz"}},  // "___" alone is not a word
      {"Note:Azure", {"note", "azur"}},         // ICU joins letters across ':'
  };
  Normalizer n;
  for (const TokenCase& c : kCases) {
    EXPECT_THAT(Texts(MustNormalize(n, c.input).tokens), ElementsAreArray(c.tokens)) << c.input;
  }
}

TEST(NormalizeTokensTest, GermanWithoutStemming) {
  Normalizer n({.stem = false});
  EXPECT_THAT(Texts(MustNormalize(n,
                                  "Die Stra\xC3\x9F"
                                  "e ist sch\xC3\xB6n")
                        .tokens),
              ElementsAreArray({"die", "strasse", "ist", "schon"}));
  Normalizer keep_accents({.fold_accents = false, .stem = false});
  EXPECT_THAT(Texts(MustNormalize(keep_accents,
                                  "Die Stra\xC3\x9F"
                                  "e ist sch\xC3\xB6n")
                        .tokens),
              ElementsAreArray({"die", "strasse", "ist", "sch\xC3\xB6n"}));
}

TEST(NormalizeTokensTest, StopwordsKeptInAllTokens) {
  Normalizer n;
  NormalizedText t = MustNormalize(n, "The capacity of the fleet is not fungible");
  EXPECT_THAT(Texts(t.tokens), ElementsAreArray({"capac", "fleet", "not", "fungibl"}));
  EXPECT_THAT(Texts(t.all_tokens),
              ElementsAreArray({"the", "capac", "of", "the", "fleet", "is", "not", "fungibl"}));
  Normalizer all({.drop_stopwords = false});
  EXPECT_EQ(Texts(MustNormalize(all, "The capacity of the fleet is not fungible").tokens),
            Texts(t.all_tokens));
}

TEST(NormalizeTokensTest, Names) {
  Normalizer n;
  NormalizedText t =
      MustNormalize(n, "Microsoft met Manish and VAST. Then OpenAI signed with Azure");
  std::vector<std::string> names;
  for (const Token& tok : t.tokens) {
    if (tok.kind == TokenKind::kName) names.push_back(tok.text);
  }
  // "Microsoft" and "Then" open sentences; "OpenAI" has inner capitals; "Then" is no name.
  EXPECT_THAT(names, ElementsAreArray({"manish", "vast", "openai", "azur"}));
}

// ---------------------------------------------------------------------------------------------
// Numbers, money, percentages, quantities, dates: every input of a group gives one token.

struct CanonicalGroup {
  std::vector<const char*> inputs;
  const char* text;
  TokenKind kind;
};

TEST(NormalizeNumbersTest, EquivalenceTable) {
  const CanonicalGroup kGroups[] = {
      {{"$250B", "$250 billion", "250 billion dollars", "USD 250B", "+$250B", "$250B+", "250B USD",
        "$250,000,000,000", "$250bn", "USD 250 billion"},
       "$250000000000",
       TokenKind::kMoney},
      {{"$1.5M", "$1.5 million", "1.5 million dollars", "$1,500,000"},
       "$1500000",
       TokenKind::kMoney},
      {{"two billion dollars", "$2B"}, "$2000000000", TokenKind::kMoney},
      {{"\xE2\x82\xAC"
        "3M",
        "EUR 3M", "3 million euros"},
       "\xE2\x82\xAC"
       "3000000",
       TokenKind::kMoney},
      {{"$2.50"}, "$2.5", TokenKind::kMoney},
      {{"15%", "15 percent", "15 per cent", "15 pct", "15\xEF\xBC\x85"},
       "15%",
       TokenKind::kPercent},
      {{"2.5%"}, "2.5%", TokenKind::kPercent},
      {{"2EB", "2 EB", "2 exabytes", "2,000 PB", "two exabytes"},
       "2000000000000000000:byte",
       TokenKind::kNumber},
      {{"1.5 GW", "1,500 MW", "1.5GW"}, "1500000000:w", TokenKind::kNumber},
      {{"400Gbps"}, "400000000000:bps", TokenKind::kNumber},
      {{"5 TiB"}, "5:tib", TokenKind::kNumber},
      {{"10x", "10X"}, "10:x", TokenKind::kNumber},
      {{"1,000", "1000.0", "1k", "one thousand"}, "1000", TokenKind::kNumber},
      {{"1.5 million", "1.5M", "1,500,000"}, "1500000", TokenKind::kNumber},
      {{"2.5", "2.50"}, "2.5", TokenKind::kNumber},
      {{"0.5", ".5"}, "0.5", TokenKind::kNumber},
      {{"3rd"}, "3rd", TokenKind::kNumber},
      {{"January 6, 2026", "Jan 6 2026", "Jan. 6, 2026", "6 January 2026", "2026-01-06",
        "January 6th, 2026", "6th of January 2026", "2026/01/06", "1/6/2026"},
       "2026-01-06",
       TokenKind::kDate},
      {{"28/10/2025", "October 28, 2025", "2025-10-28"}, "2025-10-28", TokenKind::kDate},
      {{"February 2026", "Feb 2026", "2026-02"}, "2026-02", TokenKind::kDate},
      {{"Oct 28", "October 28", "28 October", "Oct. 28th"}, "--10-28", TokenKind::kDate},
      {{"2026", "in 2026"}, "2026", TokenKind::kDate},
      {{"Q1 2026", "Q1'26", "Q1 '26", "1Q26", "2026 Q1", "2026Q1", "q1 2026", "Q1 FY26"},
       "2026-q1",
       TokenKind::kDate},
      {{"H2 2025"}, "2025-h2", TokenKind::kDate},
      {{"Q3"}, "q3", TokenKind::kDate},
      {{"FY26", "FY2026", "fy26"}, "fy2026", TokenKind::kDate},
      {{"h2 2025"}, "2025-h2", TokenKind::kDate},
      {{"five million dollars", "Five million dollars", "$5M"}, "$5000000", TokenKind::kMoney},
      {{"GBP 3M"},
       "\xC2\xA3"
       "3000000",
       TokenKind::kMoney},
      {{"twelve percent", "Twelve percent"}, "12%", TokenKind::kPercent},
      {{"Sept 3rd"}, "--09-03", TokenKind::kDate},
      {{"the 2020s"}, "2020s", TokenKind::kDate},
  };
  Normalizer n;
  for (const CanonicalGroup& g : kGroups) {
    for (const char* input : g.inputs) {
      NormalizedText t = MustNormalize(n, input);
      ASSERT_EQ(t.tokens.size(), 1u) << input << " -> " << absl::StrJoin(Texts(t.tokens), " ");
      EXPECT_EQ(t.tokens[0].text, g.text) << input;
      EXPECT_EQ(static_cast<int>(t.tokens[0].kind), static_cast<int>(g.kind)) << input;
    }
  }
}

TEST(NormalizeNumbersTest, SequenceTable) {
  const TokenCase kCases[] = {
      {"a 2-3 year cycle", {"2", "3", "year", "cycl"}},
      {"1,5 and 1.2.3", {"1", "5", "1.2.3"}},
      {"rights extended to 2032", {"right", "extend", "2032"}},
      {"On 2025-10-28, Microsoft disclosed", {"2025-10-28", "microsoft", "disclos"}},
      {"more than $250B of Azure services", {"more", "$250000000000", "azur", "servic"}},
      {"grew 15% in Q1 2026 to 2EB", {"grew", "15%", "2026-q1", "2000000000000000000:byte"}},
      {"one of the two", {"one", "two"}},  // number words alone stay words
      {"she may march in May 2026", {"may", "march", "2026-05"}},
      {"GPT-4o and 3D", {"gpt", "4o", "3d"}},
      {"at 3:00", {"3", "0"}},
      // Former bugs.
      {"2025-11-12: Microsoft's internal \"Big Pause\"",
       {"2025-11-12", "microsoft", "intern", "big", "paus"}},
  };
  Normalizer n;
  for (const TokenCase& c : kCases) {
    EXPECT_THAT(Texts(MustNormalize(n, c.input).tokens), ElementsAreArray(c.tokens)) << c.input;
  }
}

TEST(NormalizeNumbersTest, OptionOffKeepsDigits) {
  Normalizer n({.canonicalize_numbers = false});
  EXPECT_THAT(Texts(MustNormalize(n, "$250B on 2026-01-06").tokens),
              ElementsAreArray({"250b", "2026", "01", "06"}));
}

TEST(NormalizeNumbersTest, FormatDecimal) {
  EXPECT_EQ(internal::FormatDecimal({"0250", 0}), "250");
  EXPECT_EQ(internal::FormatDecimal({"250", -2}), "2.5");
  EXPECT_EQ(internal::FormatDecimal({"5", -3}), "0.005");
  EXPECT_EQ(internal::FormatDecimal({"15", 8}), "1500000000");
  EXPECT_EQ(internal::FormatDecimal({"000", -2}), "0");
}

// ---------------------------------------------------------------------------------------------
// Invalid UTF-8.

TEST(NormalizeInvalidUtf8Test, BecomesReplacementCharacter) {
  Normalizer n;
  const std::string kFffd = "\xEF\xBF\xBD";
  NormalizedText t = MustNormalize(n, "bad\xFF\xFEword \xC3 end");
  EXPECT_EQ(t.clean, "bad" + kFffd + kFffd + "word " + kFffd + " end");
  EXPECT_THAT(Texts(t.tokens), ElementsAreArray({"bad", "word", "end"}));
  // Truncated sequences, overlongs, surrogates, out-of-range.
  for (const char* bytes :
       {"\xE2\x82", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80", "a\0b"}) {
    EXPECT_TRUE(n.Normalize(bytes).ok()) << bytes;
  }
  const std::string with_nul("x\0y", 3);
  EXPECT_THAT(Texts(MustNormalize(n, with_nul).tokens), ElementsAreArray({"x", "y"}));
}

TEST(NormalizeInternalTest, IsAscii) {
  EXPECT_TRUE(internal::IsAscii(""));
  const std::string plain = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t len = 0; len <= plain.size(); ++len) {
    EXPECT_TRUE(internal::IsAscii(absl::string_view(plain).substr(0, len))) << len;
    for (size_t at = 0; at < len; ++at) {  // a high byte at every position of every length
      std::string s = plain.substr(0, len);
      s[at] = '\x80';
      EXPECT_FALSE(internal::IsAscii(s)) << len << " " << at;
      s[at] = '\xFF';
      EXPECT_FALSE(internal::IsAscii(s)) << len << " " << at;
    }
  }
}

TEST(NormalizeInternalTest, CollapseSpace) {
  const std::pair<std::string, std::string> kCases[] = {
      {"", ""},
      {"a", "a"},
      {"a b c", "a b c"},
      {" a", "a"},
      {"a ", "a"},
      {"  a  b  ", "a b"},
      {"a\tb", "a b"},
      {"a \tb", "a b"},
      {"a\nb\r\nc", "a b c"},
      {std::string("a\x7F") + "b", "a b"},
      {std::string("a\x01") + "b", "a b"},
      {"   ", ""},
      {"a\x80 b", "a\x80 b"},  // bytes >= 0x80 are not space
  };
  for (const auto& [in, want] : kCases) {
    EXPECT_EQ(internal::CollapseSpace(in), want) << "'" << in << "'";
  }
}

// ---------------------------------------------------------------------------------------------
// The ASCII fast path agrees with the ICU path.

std::vector<std::string> AsciiCorpus() {
  std::vector<std::string> lines = {
      "Microsoft's internal \"Big Pause\" on AI infrastructure capacity is described as over.",
      "U.S. e.g. i.e. don't can't won't cannot o'clock rock'n'roll",
      "1,000.5 1,5 1.2.3 2-3 3:00 a:b Note:Azure foo_bar ___ _x x_ 1'26 a.1 1.a a..b 1..2",
      "$250B, $250 billion, 250 billion dollars, USD 250B, +$250B and $250B+ (approx.)",
      "Q1'26 Q1 '26 1Q26 2026Q1 FY26 H2 2025 Jan. 6th, 2026 6 January 2026 2026/01/06",
      "2EB 2 exabytes 2,000 PB 15% 15 percent 10x 1.5GW 400Gbps 5 TiB",
      "RL/SFT/mid-training; latency-insensitive; e-mail: a@b.com http://x.y/z?q=1#f",
      "Tabs\tand\nnewlines\r\nand\vcontrol\x01"
      "chars\x7F"
      "here",
      "ALLCAPS MixedCase lowerCase ___init__ __ x_1 1_x 12_34",
      "...leading dots and trailing scr...",
      "'quoted' \"double\" (paren) [bracket] {brace} <angle> #hash @at &amp ~tilde",
      "3.14.15 1,23,456 1,234,567.89 0.001 .5 5. 5.x x.5",
  };
  const std::filesystem::path vault = std::filesystem::path(FACTDEDUP_SOURCE_DIR) / "data";
  std::error_code ec;
  if (std::filesystem::exists(vault, ec)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(vault, ec)) {
      if (entry.path().extension() != ".md") continue;
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) {
        if (internal::IsAscii(line)) lines.push_back(line);
      }
    }
  }
  return lines;
}

TEST(NormalizeFastPathTest, SegmentationMatchesIcu) {
  for (const std::string& line : AsciiCorpus()) {
    std::vector<internal::WordSpan> fast, icu;
    internal::SegmentWordsAscii(line, &fast);
    ASSERT_TRUE(internal::SegmentWordsIcu(line, &icu).ok());
    ASSERT_EQ(fast.size(), icu.size()) << line;
    for (size_t i = 0; i < fast.size(); ++i) {
      EXPECT_TRUE(fast[i] == icu[i])
          << line << "\n fast: " << line.substr(fast[i].begin, fast[i].end - fast[i].begin)
          << "\n icu:  " << line.substr(icu[i].begin, icu[i].end - icu[i].begin);
    }
  }
}

TEST(NormalizeFastPathTest, NormalizeMatchesIcuPath) {
  const NormalizeOptions options;
  for (const std::string& line : AsciiCorpus()) {
    absl::StatusOr<NormalizedText> fast =
        internal::NormalizeText(options, line, internal::AsciiPath::kFast);
    absl::StatusOr<NormalizedText> icu =
        internal::NormalizeText(options, line, internal::AsciiPath::kForceIcu);
    ASSERT_TRUE(fast.ok() && icu.ok()) << line;
    EXPECT_EQ(fast->clean, icu->clean) << line;
    EXPECT_EQ(fast->truncated, icu->truncated) << line;
    EXPECT_EQ(Texts(fast->all_tokens), Texts(icu->all_tokens)) << line;
    for (size_t i = 0; i < fast->all_tokens.size() && i < icu->all_tokens.size(); ++i) {
      EXPECT_EQ(fast->all_tokens[i].kind, icu->all_tokens[i].kind) << line;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The hand-written paths agree with the general ones on random text: ASCII and its few
// punctuation code points that CleanSimpleText takes, other non-ASCII letters, mojibake and
// ill-formed bytes that it must leave to the general path, and words in every case.

// What the general path's cleaning gives (NormalizeText, before the trailing ellipsis).
std::string GeneralClean(absl::string_view text) {
  bool repaired = false;
  std::string s = internal::SanitizeUtf8(text, nullptr);
  s = internal::RepairMojibakeAll(s, &repaired);
  absl::StatusOr<std::string> folded = internal::NfkcAndFoldPunctuation(s);
  EXPECT_TRUE(folded.ok());
  return internal::CollapseSpace(folded.ok() ? *folded : "");
}

// The code points CleanSimpleText handles (besides ASCII), and others it must refuse.
const std::vector<std::string>& SimplePunctuation() {
  static const auto* const kChars =
      new std::vector<std::string>{"\xC2\xA0",     "\xE2\x80\x90", "\xE2\x80\x91", "\xE2\x80\x92",
                                   "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95", "\xE2\x80\x98",
                                   "\xE2\x80\x99", "\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\xA6"};
  return *kChars;
}
const std::vector<std::string>& OtherNonAscii() {
  static const auto* const kChars = new std::vector<std::string>{
      "\xC3\xA9",                          // é
      "\xC3\x89",                          // É
      "\xC3\x9F",                          // ß
      "\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2",  // mojibake of ’
      "\xC3\x83\xC2\xA9",                  // mojibake of é
      "\xC2\xAB",                          // «
      "\xC2\xAD",                          // soft hyphen
      "\xE2\x80\x8B",                      // ZWSP
      "\xE2\x80\x89",                      // thin space
      "\xE2\x80\x9A",                      // ‚
      "\xE2\x80\x9E",                      // „
      "\xE2\x80\xA2",                      // •
      "\xE2\x80\xB2",                      // ′
      "\xE2\x80\xB3",                      // ″ (NFKC: two primes)
      "\xE2\x80\xA5",                      // ‥ (NFKC: "..")
      "\xE2\x88\x92",                      // minus sign
      "\xEF\xBC\xA1",                      // fullwidth A
      "\xEF\xAC\x81",                      // ﬁ
      "\xCC\x81",                          // combining acute
      "\xE5\xBE\xAE\xE8\xBD\xAF",          // CJK
      "\xCE\xA3\xCE\xBF",                  // Greek
      "\xD0\x9C\xD0\xBE",                  // Cyrillic
      "\xFF",                              // ill-formed
      "\xE2\x80",                          // truncated sequence
      "\xC2",                              // truncated sequence
  };
  return *kChars;
}

// A random fact of words (in every case), numbers, stop words and separators, with
// `non_ascii_share` of its pieces drawn from SimplePunctuation() or OtherNonAscii().
std::string RandomFact(std::mt19937& rng, double simple_share, double other_share) {
  static const std::vector<std::string> kWords = {
      "Microsoft", "OpenAI",    "capacity",  "ramping", "VAST",    "storage", "can't",   "won't",
      "cannot",    "isn't",     "o'clock",   "U.S.",    "e.g.",    "Q1",      "FY26",    "2026",
      "2,000",     "1.5",       "$250B",     "15%",     "the",     "of",      "It's",    "THE",
      "either",    "January",   "Jan",       "SEPT",    "may",     "two",     "Billion", "dollars",
      "EUR",       "exabytes",  "10x",       "3rd",     "6th",     "Oct",     "28",      "percent",
      "per",       "cent",      "_x",        "@name",   "a@b.com", "foo_bar", "Jos",     "MiXeD",
      "aB",        "Contoso's", "VAST'S",    "said",    "...",     "x",       "I",       "A",
      "a",         "1/6/2026",  "2026-01-06"};
  static const std::vector<std::string> kSeps = {" ",  " ",  " ",  ", ", "; ", ". ",   "! ",   "-",
                                                 "/",  "'",  "  ", "\t", "\n", "\x01", "\x7F", " (",
                                                 ") ", "\"", " $", "%",  ":",  "."};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto pick = [&](const std::vector<std::string>& v) -> const std::string& {
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };
  std::string s;
  const int n = std::uniform_int_distribution<int>(0, 14)(rng);
  for (int i = 0; i < n; ++i) {
    const double r = unit(rng);
    if (r < simple_share) {
      s += pick(SimplePunctuation());
    } else if (r < simple_share + other_share) {
      s += pick(OtherNonAscii());
    } else {
      s += pick(kWords);
    }
    s += pick(kSeps);
  }
  if (unit(rng) < 0.2) s += unit(rng) < 0.5 ? "..." : "\xE2\x80\xA6";
  return s;
}

TEST(NormalizeFastPathTest, CleanSimpleTextMatchesTheGeneralCleaning) {
  std::vector<std::string> inputs = {"", " ", "a", " a ", "a\x7F", "\x01"};
  for (const std::string& c : SimplePunctuation()) {
    for (const std::string& text :
         {c, " " + c, c + " ", "a" + c + "b", "a " + c + " b", c + c + c, "x." + c, c + "a" + c}) {
      inputs.push_back(text);
    }
  }
  std::mt19937 rng(7);
  for (int k = 0; k < 3000; ++k) inputs.push_back(RandomFact(rng, 0.3, 0.0));
  for (const std::string& text : inputs) {
    std::string fast;
    ASSERT_TRUE(internal::CleanSimpleText(text, &fast)) << text;
    EXPECT_EQ(fast, GeneralClean(text)) << text;
    EXPECT_TRUE(internal::IsAscii(fast)) << text;
  }
  // Any other non-ASCII text is refused.
  for (const std::string& c : OtherNonAscii()) {
    std::string unused;
    EXPECT_FALSE(internal::CleanSimpleText("a " + c + " b", &unused)) << c;
    EXPECT_FALSE(internal::CleanSimpleText(c, &unused)) << c;
  }
}

void ExpectSameTokens(const std::vector<Token>& a, const std::vector<Token>& b,
                      absl::string_view text) {
  ASSERT_EQ(Texts(a), Texts(b)) << text;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].kind, b[i].kind) << text << " #" << i;
    EXPECT_EQ(a[i].lowercase, b[i].lowercase) << text << " #" << i;
    EXPECT_EQ(a[i].capitalized, b[i].capitalized) << text << " #" << i;
  }
}

TEST(NormalizeFastPathTest, RandomFactsMatchTheGeneralPath) {
  std::mt19937 rng(11);
  NormalizeOptions no_numbers;
  no_numbers.canonicalize_numbers = false;
  NormalizeOptions keep_all;
  keep_all.drop_stopwords = false;
  keep_all.stem = false;
  keep_all.fold_accents = false;
  keep_all.repair_mojibake = false;
  int fast_cleaned = 0;
  for (int k = 0; k < 4000; ++k) {
    const std::string text = RandomFact(rng, k % 2 == 0 ? 0.15 : 0.0, k % 4 == 1 ? 0.15 : 0.0);
    std::string unused;
    fast_cleaned += internal::CleanSimpleText(text, &unused) ? 1 : 0;
    for (const NormalizeOptions& options : {NormalizeOptions{}, no_numbers, keep_all}) {
      absl::StatusOr<NormalizedText> fast =
          internal::NormalizeText(options, text, internal::AsciiPath::kFast);
      absl::StatusOr<NormalizedText> general =
          internal::NormalizeText(options, text, internal::AsciiPath::kForceIcu);
      ASSERT_TRUE(fast.ok() && general.ok()) << text;
      EXPECT_EQ(fast->clean, general->clean) << text;
      EXPECT_EQ(fast->truncated, general->truncated) << text;
      EXPECT_EQ(fast->repaired_mojibake, general->repaired_mojibake) << text;
      EXPECT_EQ(fast->suspect_mojibake, general->suspect_mojibake) << text;
      ExpectSameTokens(fast->tokens, general->tokens, text);
      ExpectSameTokens(fast->all_tokens, general->all_tokens, text);
    }
  }
  // Both kinds of input were drawn.
  EXPECT_GT(fast_cleaned, 1000);
  EXPECT_LT(fast_cleaned, 3900);
}

TEST(NormalizeInternalTest, StopwordsAreExactlyTheList) {
  const absl::flat_hash_set<std::string> kList = {
      "a",    "an",    "the",  "of",    "to",    "and",   "or",     "is",    "are",  "was",
      "were", "be",    "been", "being", "am",    "for",   "in",     "on",    "at",   "by",
      "with", "as",    "that", "this",  "these", "those", "it",     "its",   "it's", "from",
      "into", "onto",  "than", "then",  "there", "their", "they",   "them",  "he",   "she",
      "his",  "her",   "him",  "we",    "our",   "us",    "you",    "your",  "i",    "me",
      "my",   "so",    "such", "also",  "which", "who",   "whom",   "whose", "what", "while",
      "if",   "but",   "has",  "have",  "had",   "do",    "does",   "did",   "very", "just",
      "via",  "about", "upon", "per",   "each",  "both",  "either", "s"};
  std::vector<std::string> inputs = {"",
                                     std::string("a\0", 2),
                                     std::string("\0a", 2),
                                     std::string(1, '\0'),
                                     "eithers",
                                     "The",
                                     "A",
                                     "its'"};
  for (const std::string& w : kList) {
    inputs.push_back(w);
    inputs.push_back(w + "s");
    inputs.push_back("x" + w);
    inputs.push_back(w.substr(0, w.size() - 1));
    inputs.push_back(w + std::string(1, '\0'));
    std::string upper = w;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    inputs.push_back(upper);
  }
  // Every string of up to three letters and '.
  const std::string kAlphabet = "abcdefghijklmnopqrstuvwxyz'";
  for (char a : kAlphabet) {
    inputs.push_back(std::string(1, a));
    for (char b : kAlphabet) {
      inputs.push_back(std::string{a, b});
      for (char c : kAlphabet) inputs.push_back(std::string{a, b, c});
    }
  }
  std::mt19937 rng(3);
  for (int k = 0; k < 20000; ++k) {
    std::string w(std::uniform_int_distribution<size_t>(4, 7)(rng), ' ');
    for (char& c : w) c = kAlphabet[std::uniform_int_distribution<size_t>(0, 26)(rng)];
    inputs.push_back(w);
  }
  int hits = 0;
  for (const std::string& w : inputs) {
    EXPECT_EQ(internal::IsStopword(w), kList.contains(w)) << "'" << w << "'";
    hits += internal::IsStopword(w) ? 1 : 0;
  }
  EXPECT_GE(hits, static_cast<int>(kList.size()));
}

TEST(NormalizeInternalTest, StemViewAgreesWithStemmerThroughCacheResets) {
  // More distinct words than the per-thread cache holds (1 << 16), then the first ones again.
  std::vector<std::string> words;
  const std::string kLetters = "abcdefghijklmnopqrstuvwxyz";
  for (int k = 0; k < 70000; ++k) {
    std::string w;
    for (int v = k; v > 0 || w.empty(); v /= 26) w.push_back(kLetters[static_cast<size_t>(v % 26)]);
    w += k % 3 == 0 ? "ing" : k % 3 == 1 ? "ations" : "s";
    words.push_back(std::move(w));
  }
  const std::vector<std::string> kKnown = {"ramping",  "ramp",  "scarce",    "scarc",
                                           "capacity", "capac", "described", "describ"};
  for (size_t k = 0; k + 1 < kKnown.size(); k += 2) {
    EXPECT_EQ(internal::StemEnglishView(kKnown[k]), kKnown[k + 1]);
  }
  std::vector<std::string> first;
  for (const std::string& w : words) first.emplace_back(internal::StemEnglishView(w));
  for (size_t k = 0; k < words.size(); k += 7) {
    EXPECT_EQ(internal::StemEnglish(words[k]), first[k]) << words[k];
    EXPECT_EQ(internal::StemEnglishView(words[k]), first[k]) << words[k];
  }
  for (size_t k = 0; k + 1 < kKnown.size(); k += 2) {
    EXPECT_EQ(internal::StemEnglishView(kKnown[k]), kKnown[k + 1]);
  }
}

// Month names, number words and units are matched without regard to case (months must be
// capitalized); each spelling gives its value.
TEST(NormalizeNumbersTest, EveryMonthNumberWordAndUnitSpelling) {
  const Normalizer n;
  auto tokens = [&](absl::string_view text) {
    return absl::StrJoin(Texts(MustNormalize(n, text).all_tokens), "|");
  };
  const char* const kMonths[] = {"January",   "February", "March",    "April",
                                 "May",       "June",     "July",     "August",
                                 "September", "October",  "November", "December"};
  for (int m = 1; m <= 12; ++m) {
    const std::string full = kMonths[m - 1];
    const std::string want = absl::StrCat("2026-", m < 10 ? "0" : "", m, "-07");
    std::string upper = full;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (const std::string& name : {full, full.substr(0, 3), upper, upper.substr(0, 3)}) {
      EXPECT_EQ(tokens(name + " 7, 2026"), want) << name;
      EXPECT_EQ(tokens("7 " + name + " 2026"), want) << name;
      EXPECT_EQ(tokens(name + " 2026"), want.substr(0, 7)) << name;
    }
    // Lower case is a word, not a month ("may", "march").
    EXPECT_NE(tokens(absl::StrCat(std::string(1, static_cast<char>(std::tolower(full[0]))),
                                  full.substr(1), " 7, 2026")),
              want);
  }
  EXPECT_EQ(tokens("Sept 7, 2026"), "2026-09-07");
  EXPECT_EQ(tokens("SEPT 7, 2026"), "2026-09-07");
  EXPECT_EQ(tokens("Oct 28"), "--10-28");
  EXPECT_EQ(tokens("Octo 28"), "octo|28");
  EXPECT_EQ(tokens("Janu 2026"), "janu|2026");

  const std::pair<const char*, int> kNumberWords[] = {
      {"zero", 0},     {"one", 1},      {"two", 2},        {"three", 3},     {"four", 4},
      {"five", 5},     {"six", 6},      {"seven", 7},      {"eight", 8},     {"nine", 9},
      {"ten", 10},     {"eleven", 11},  {"twelve", 12},    {"thirteen", 13}, {"fourteen", 14},
      {"fifteen", 15}, {"sixteen", 16}, {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19},
      {"twenty", 20},  {"thirty", 30},  {"forty", 40},     {"fifty", 50},    {"sixty", 60},
      {"seventy", 70}, {"eighty", 80},  {"ninety", 90},    {"hundred", 100}, {"dozen", 12}};
  for (const auto& [word, value] : kNumberWords) {
    std::string upper = word;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string capitalized = word;
    capitalized[0] = upper[0];
    for (const std::string& w : {std::string(word), upper, capitalized}) {
      EXPECT_EQ(tokens(w + " billion dollars"),
                value == 0 ? "$0" : absl::StrCat("$", value, "000000000"))
          << w;
      EXPECT_EQ(tokens(w + " percent"), absl::StrCat(value, "%")) << w;
    }
    // Not before a scale, unit, currency or percent: a word.
    EXPECT_NE(tokens(absl::StrCat(word, " apples")), absl::StrCat(value, "|appl"));
    EXPECT_EQ(tokens(absl::StrCat(word, "s billion")).find('$'), std::string::npos);
  }

  const std::pair<const char*, const char*> kUnits[] = {
      {"2EB", "2000000000000000000:byte"},
      {"2 ZETTABYTES", "2000000000000000000000:byte"},
      {"2 Kilobytes", "2000:byte"},
      {"2 byte", "2:byte"},
      {"2 GiB", "2:gib"},
      {"2 Gbps", "2000000000:bps"},
      {"2 megawatts", "2000000:w"},
      {"2 MegaHertz", "2000000:hz"},
      {"2X", "2:x"},
      {"2 x", "2|x"},
      {"2 thousand", "2000"},
      {"2 TRILLION", "2000000000000"},
      {"2 Bn", "2000000000"},
      {"2mm", "2000000"},
      {"2 Dollars", "$2"},
      {"2 EUROS",
       "\xE2\x82\xAC"
       "2"},
      {"2 PCT", "2%"},
      {"2 Per Cent", "2%"},
      {"2ND", "2nd"},
      {"2 zettabytess", "2|zettabytess"},
  };
  for (const auto& [text, want] : kUnits) EXPECT_EQ(tokens(text), want) << text;
}

TEST(NormalizeFastPathTest, SegmentationOfAStringMatchesTheStringView) {
  std::vector<std::string> inputs = AsciiCorpus();
  const std::string kAlphabet = "aZ9_@.,;' -x0";
  std::mt19937 rng(5);
  for (int k = 0; k < 20000; ++k) {
    std::string s(std::uniform_int_distribution<size_t>(0, 12)(rng), ' ');
    for (char& c : s) {
      c = kAlphabet[std::uniform_int_distribution<size_t>(0, kAlphabet.size() - 1)(rng)];
    }
    inputs.push_back(std::move(s));
  }
  for (const std::string& line : inputs) {
    std::vector<internal::WordSpan> view, string;
    internal::SegmentWordsAscii(absl::string_view(line), &view);
    internal::SegmentWordsAsciiString(line, &string);
    ASSERT_EQ(view.size(), string.size()) << "'" << line << "'";
    for (size_t i = 0; i < view.size(); ++i) EXPECT_TRUE(view[i] == string[i]) << line;
  }
}

// Text that needs no cleaning is copied as it is; the test of that works 8 bytes at a time,
// so spaces and other bytes are tried at every place around the 8-byte boundaries.
TEST(NormalizeFastPathTest, CleanSimpleTextAtEveryPlace) {
  const std::string kBytes[] = {" ", "  ",   "\t",   "\x1F",     "\x7F",         "~",
                                "!", "\x01", "\x80", "\xC2\xA0", "\xE2\x80\x99", " \xE2\x80\xA6"};
  for (size_t len = 1; len <= 19; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      for (const std::string& b : kBytes) {
        std::string text(len, 'a');
        text.insert(at, b);
        std::string fast;
        const bool ok = internal::CleanSimpleText(text, &fast);
        EXPECT_EQ(ok, b != "\x80") << "'" << text << "'";
        if (ok) {
          EXPECT_EQ(fast, GeneralClean(text)) << "'" << text << "'";
        }
      }
    }
  }
}

// PlainWord's shortcut (MayBeNamedWord) agrees with the plain test on every month name,
// currency code and number word in every case, on near misses, and on random words.
TEST(NormalizeNumbersTest, PlainWordShortcutMatchesReference) {
  const std::vector<std::string> kNames = {
      "zero",     "one",      "two",     "three",     "four",     "five",     "six",
      "seven",    "eight",    "nine",    "ten",       "eleven",   "twelve",   "thirteen",
      "fourteen", "fifteen",  "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
      "thirty",   "forty",    "fifty",   "sixty",     "seventy",  "eighty",   "ninety",
      "hundred",  "dozen",    "january", "jan",       "february", "feb",      "march",
      "mar",      "april",    "apr",     "may",       "june",     "jun",      "july",
      "jul",      "august",   "aug",     "september", "sep",      "sept",     "october",
      "oct",      "november", "nov",     "december",  "dec",      "usd",      "eur",
      "gbp"};
  std::vector<std::string> words;
  for (const std::string& name : kNames) {
    std::string upper = name;
    for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
    std::string capitalized = name;
    capitalized[0] = upper[0];
    for (const std::string& w : {name, upper, capitalized}) {
      EXPECT_TRUE(internal::MayBeNamedWord(w)) << w;
      words.push_back(w);
      words.push_back(w + "s");
      words.push_back(w.substr(0, w.size() - 1));
      words.push_back(w.substr(1));
    }
  }
  std::mt19937 rng(5);
  const std::string kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@'.";
  for (int k = 0; k < 200000; ++k) {
    const size_t n = std::uniform_int_distribution<size_t>(1, 11)(rng);
    std::string w;
    for (size_t i = 0; i < n; ++i) {
      w.push_back(kAlphabet[std::uniform_int_distribution<size_t>(0, kAlphabet.size() - 1)(rng)]);
    }
    words.push_back(w);
  }
  int plain = 0;
  for (const std::string& w : words) {
    const bool want = internal::PlainWordReference(w);
    ASSERT_EQ(internal::PlainWord(w), want) << w;
    plain += want ? 1 : 0;
  }
  EXPECT_GT(plain, 100000);  // both answers were drawn
  EXPECT_LT(plain, static_cast<int>(words.size()));
}

// Words starting with q, h or f skip the period and quantity matchers unless they can start
// a period (a digit second, or "fy"), February or a number word.
TEST(NormalizeNumbersTest, WordsStartingWithPeriodLetters) {
  const Normalizer n;
  const std::pair<const char*, const char*> kCases[] = {
      {"Q1 2026", "2026-q1"},
      {"h2 2025", "2025-h2"},
      {"q3", "q3"},
      {"Q1'26", "2026-q1"},
      {"FY26", "fy2026"},
      {"fY2026", "fy2026"},
      {"Q1 FY26", "2026-q1"},
      {"Feb 2026", "2026-02"},
      {"February 6, 2026", "2026-02-06"},
      {"five percent", "5%"},
      {"Fifty billion dollars", "$50000000000"},
      {"HUNDRED percent", "100%"},
      {"for from has he his Q H f", "for|from|has|he|his|q|h|f"},
      {"h2o fyodor Fyodor q1x", "h2o|fyodor|fyodor|q1x"},
      {"fifty apples", "fifti|appl"},
  };
  for (const auto& [text, want] : kCases) {
    EXPECT_EQ(absl::StrJoin(Texts(MustNormalize(n, text).all_tokens), "|"), want) << text;
  }
}

// NormalizeInto with one NormalizedText for many texts gives each text's Normalize result:
// nothing of an earlier text (flags, tokens, a longer `clean`) is left over.
TEST(NormalizeFastPathTest, NormalizeIntoReusesWithoutLeftovers) {
  const Normalizer n;
  std::vector<std::string> texts = {
      "Microsoft\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s $250B deal ...",  // repaired, truncated
      "a",
      "",
      "Caf\xC3\x83\xC2 \xC2\xA9 suspect",
      "It's \xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x80\x94 and long enough to need a heap buffer",
      "..."};
  std::mt19937 rng(13);
  for (int k = 0; k < 500; ++k) texts.push_back(RandomFact(rng, 0.1, 0.1));
  NormalizedText reused;
  for (const std::string& text : texts) {
    ASSERT_TRUE(n.NormalizeInto(text, &reused).ok()) << text;
    const NormalizedText want = MustNormalize(n, text);
    EXPECT_EQ(reused.clean, want.clean) << text;
    EXPECT_EQ(reused.truncated, want.truncated) << text;
    EXPECT_EQ(reused.repaired_mojibake, want.repaired_mojibake) << text;
    EXPECT_EQ(reused.suspect_mojibake, want.suspect_mojibake) << text;
    ExpectSameTokens(reused.tokens, want.tokens, text);
    ExpectSameTokens(reused.all_tokens, want.all_tokens, text);
  }
}

// ---------------------------------------------------------------------------------------------
// Thread-safety.

TEST(NormalizeThreadTest, TwoThreadsAgreeWithOne) {
  std::vector<std::string> inputs = AsciiCorpus();
  inputs.push_back(
      "Die Stra\xC3\x9F"
      "e ist sch\xC3\xB6n");
  inputs.push_back("\xE5\xBE\xAE\xE8\xBD\xAF\xE7\x9A\x84\xE4\xBA\xBA\xE5\xB7\xA5\xE6\x99\xBA");
  inputs.push_back("Microsoft\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s fleet");
  const Normalizer n;
  std::vector<std::string> want;
  for (const std::string& s : inputs)
    want.push_back(absl::StrJoin(Texts(MustNormalize(n, s).tokens), "|"));
  std::vector<std::vector<std::string>> got(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (const std::string& s : inputs) {
          absl::StatusOr<NormalizedText> r = n.Normalize(s);
          got[static_cast<size_t>(t)].push_back(r.ok() ? absl::StrJoin(Texts(r->tokens), "|")
                                                       : "error");
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const auto& results : got) {
    ASSERT_EQ(results.size(), 20 * inputs.size());
    for (size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results[i], want[i % inputs.size()]);
  }
}

}  // namespace
}  // namespace factdedup::dedup
