#include "dedup/normalize.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dedup/internal/mojibake.h"
#include "dedup/internal/normalize_internal.h"
#include "dedup/internal/numbers.h"
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
