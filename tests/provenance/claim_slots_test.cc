// Claim slots (provenance/internal/claim_slots.h): dates, amounts, qualifiers, polarity,
// updates, and the pairwise comparisons built on them.
#include "provenance/internal/claim_slots.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provenance/config.h"
#include "provenance/io.h"
#include "provenance/vault.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance::internal {
namespace {

using ::testing::IsEmpty;

constexpr int kNoteDay = 20251216;  // the note's date: 2025-12-16

int M(int year, int month) { return year * 12 + month - 1; }

Slots Extract(absl::string_view text, int note_day = kNoteDay) {
  dedup::Normalizer n;
  absl::StatusOr<Slots> s = ExtractSlots(n, text, note_day);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : Slots{};
}

struct DateCase {
  std::string text;
  int note_day;
  std::vector<std::pair<int, int>> intervals;  // [first month, last month] per date
  std::vector<std::string> written;            // each date as written
};

TEST(ExtractSlots, DatesPeriodsRangesAndRelativeWords) {
  const std::vector<DateCase> cases = {
      {"MAI goes live in Q1 2026.", kNoteDay, {{M(2026, 1), M(2026, 3)}}, {"Q1 2026"}},
      {"Storage is needed for the May to June 2026 timeframe.",
       kNoteDay,
       {{M(2026, 5), M(2026, 6)}},
       {"May to June 2026"}},
      {"Storage is needed for May 2026 to June 2026.",
       kNoteDay,
       {{M(2026, 5), M(2026, 6)}},
       {"May 2026 to June 2026"}},
      {"Capacity on the floor in calendar year 2025.",
       kNoteDay,
       {{M(2025, 1), M(2025, 12)}},
       {"2025"}},
      {"The roadshow was on Tuesday, December 9, 2025.",
       kNoteDay,
       {{M(2025, 12), M(2025, 12)}},
       {"December 9, 2025"}},
      {"The roadshow was on 2025-12-09.", kNoteDay, {{M(2025, 12), M(2025, 12)}}, {"2025-12-09"}},
      {"Deliveries in April and May 2026.",
       kNoteDay,
       {{M(2026, 4), M(2026, 4)}, {M(2026, 5), M(2026, 5)}},
       {"April", "May 2026"}},
      // A month without a year is the one nearest to the note's date.
      {"A decision is expected around March.", kNoteDay, {{M(2026, 3), M(2026, 3)}}, {"March"}},
      {"They want a POC in January.", 20250310, {{M(2025, 1), M(2025, 1)}}, {"January"}},
      {"A decision is expected around March.", 0, {}, {}},  // no note date: dropped
      // Relative words, resolved against the note's date.
      {"The deal closes next quarter.", kNoteDay, {{M(2026, 1), M(2026, 3)}}, {"next quarter"}},
      {"The budget was approved this year.", kNoteDay, {{M(2025, 1), M(2025, 12)}}, {"this year"}},
      {"The cluster shipped last month.", 20260115, {{M(2025, 12), M(2025, 12)}}, {"last month"}},
      {"Go-live is next year.", kNoteDay, {{M(2026, 1), M(2026, 12)}}, {"next year"}},
      {"Go-live is next year.", 0, {}, {}},
      // A leading record date dates the statement; it is not a claim slot.
      {"2025-12-27: MAI moved its go-live to 2026.",
       kNoteDay,
       {{M(2026, 1), M(2026, 12)}},
       {"2026"}},
      // Former bugs: none yet.
  };
  for (const DateCase& c : cases) {
    Slots s = Extract(c.text, c.note_day);
    std::vector<std::pair<int, int>> intervals;
    std::vector<std::string> written;
    for (const DateHit& h : s.dates) {
      intervals.push_back({h.iv.lo, h.iv.hi});
      written.push_back(std::string(s.dates_text().substr(h.begin, h.end - h.begin)));
    }
    EXPECT_EQ(intervals, c.intervals) << c.text;
    EXPECT_EQ(written, c.written) << c.text;
  }
}

TEST(ExtractSlots, RecordDateAndNoteDateDateTheStatement) {
  EXPECT_EQ(Extract("2025-12-27: MAI moved its go-live to 2026.").fact_day, 20251227);
  EXPECT_EQ(Extract("On 2025-10-28, Microsoft disclosed the agreement.").fact_day, 20251028);
  EXPECT_EQ(Extract("Microsoft disclosed the agreement.").fact_day, kNoteDay);
}

TEST(ExtractSlots, DatesGetTheRoleOfTheirEvent) {
  Slots s = Extract("They want a POC in January; decision expected around March; go-live in May.");
  ASSERT_EQ(s.dates.size(), 3u);
  EXPECT_EQ(s.dates[0].role, "poc");
  EXPECT_EQ(s.dates[1].role, "decide");
  EXPECT_EQ(s.dates[2].role, "deploy");
  EXPECT_TRUE(IsMilestoneRole("deploy"));
  EXPECT_FALSE(IsMilestoneRole("meet"));  // meetings recur
  EXPECT_FALSE(IsMilestoneRole(""));
}

struct AmountCase {
  std::string text;
  std::vector<std::string> amounts;  // FormatAmount of each
  Qualifier qualifier;
};

TEST(ExtractSlots, AmountsWithUnitsCurrencyPercentagesAndQualifiers) {
  const std::vector<AmountCase> cases = {
      {"MAI needs 2EB of storage.", {"2EB"}, Qualifier::kNone},
      {"MAI needs 2 exabytes of storage.", {"2EB"}, Qualifier::kNone},
      {"MAI needs 2,000 PB of storage.", {"2EB"}, Qualifier::kNone},
      {"OpenAI will buy $250B of Azure.", {"$250B"}, Qualifier::kNone},
      {"OpenAI will buy 250 billion dollars of Azure.", {"$250B"}, Qualifier::kNone},
      {"OpenAI will buy more than $250B of Azure.", {"$250B"}, Qualifier::kAtLeast},
      {"OpenAI will buy $250B+ of Azure.", {"$250B"}, Qualifier::kAtLeast},
      {"OpenAI will buy +$250B of Azure.", {"$250B"}, Qualifier::kAtLeast},
      {"OpenAI will buy at least $250B of Azure.", {"$250B"}, Qualifier::kAtLeast},
      {"OpenAI will buy up to $250B of Azure.", {"$250B"}, Qualifier::kAtMost},
      {"OpenAI will buy no more than $250B of Azure.", {"$250B"}, Qualifier::kAtMost},
      {"OpenAI will buy about $250B of Azure.", {"$250B"}, Qualifier::kAbout},
      {"Churn fell by 15%.", {"15%"}, Qualifier::kNone},
      {"Churn fell by 15 percent.", {"15%"}, Qualifier::kNone},
      {"Roughly 4.3x less power.", {"4.3x"}, Qualifier::kAbout},
      {"A ~7x smaller footprint.", {"7x"}, Qualifier::kAbout},
      // A year is a date, not an amount.
      {"Revenue of $3M in 2026.", {"$3M"}, Qualifier::kNone},
      // Former bugs: none yet.
  };
  for (const AmountCase& c : cases) {
    Slots s = Extract(c.text);
    std::vector<std::string> amounts;
    for (const Amount& a : s.amounts) amounts.push_back(FormatAmount(a));
    EXPECT_EQ(amounts, c.amounts) << c.text;
    EXPECT_EQ(s.qualifier, c.qualifier) << c.text;
  }
}

struct PolarityCase {
  std::string text;
  Polarity polarity;      // of the first clause with a marker, or kNone
  std::string predicate;  // for kNot
};

TEST(ExtractSlots, PolarityOfClauses) {
  const std::vector<PolarityCase> cases = {
      {"Azure API exclusivity for OpenAI continues.", Polarity::kOn, ""},
      {"The exclusivity remains in the contract.", Polarity::kOn, ""},
      {"OpenAI's Azure exclusivity was removed from the contract.", Polarity::kOff, ""},
      {"The restraining order was lifted.", Polarity::kOff, ""},
      {"The exclusivity ended in October.", Polarity::kOff, ""},
      {"VAST will not provide an Azure VoC instance.", Polarity::kNot, "provide"},
      {"VAST won't provide an Azure VoC instance.", Polarity::kNot, "provide"},
      {"Microsoft never signed the storage contract.", Polarity::kNot, "sign"},
      {"There is no right-of-first-refusal for Microsoft.", Polarity::kNot, "right"},
      {"VAST will provide an Azure VoC instance.", Polarity::kNone, ""},
      // Former bugs: "won" alone is a verb, not "won't".
      {"VAST won the Microsoft storage deal.", Polarity::kNone, ""},
      // "no longer" marks an update and "no more than" a qualifier, not a negation.
      {"January 2026 is no longer a hard date.", Polarity::kNone, ""},
      {"OpenAI will buy no more than $250B of Azure.", Polarity::kNone, ""},
  };
  for (const PolarityCase& c : cases) {
    Slots s = Extract(c.text);
    Polarity p = Polarity::kNone;
    uint64_t predicate = 0;
    for (const Clause& cl : s.clauses) {
      if (cl.polarity != Polarity::kNone) {
        p = cl.polarity;
        predicate = cl.predicate;
        break;
      }
    }
    EXPECT_EQ(p, c.polarity) << c.text;
    EXPECT_EQ(predicate, c.predicate.empty() ? 0 : TokenHash(c.predicate)) << c.text;
  }
}

TEST(ExtractSlots, SupersededValuesAreUpdatesNotSlots) {
  Slots s = Extract("Go-live is now more like May (previously January/February).");
  ASSERT_EQ(s.dates.size(), 1u);
  EXPECT_EQ(s.dates[0].iv.lo, M(2026, 5));
  ASSERT_EQ(s.updates.size(), 1u);
  EXPECT_EQ(s.updates[0].value, "previously January/February");
  EXPECT_EQ(s.updates[0].dates.size(), 2u);

  s = Extract("MAI needs storage by June 2026, and January 2026 is no longer a hard date.");
  ASSERT_EQ(s.updates.size(), 1u);
  EXPECT_EQ(s.updates[0].value, "and January 2026 is no longer a hard date");
  ASSERT_EQ(s.dates.size(), 1u);
  EXPECT_EQ(s.dates[0].iv.lo, M(2026, 6));

  s = Extract("Karl moved the weekly meeting from Monday, January 5, 2026 to Tuesday.");
  ASSERT_EQ(s.updates.size(), 1u);
  EXPECT_EQ(s.updates[0].value, "from Monday, January 5, 2026");
  EXPECT_THAT(s.dates, IsEmpty());
}

// A fact's content and name tokens are sorted and distinct, for few tokens and for many (the
// sort differs), with repeated words.
TEST(ExtractSlots, ContentAndNamesAreSortedAndDistinct) {
  std::mt19937 rng(8);
  const std::vector<std::string> words = {"Azure",  "storage", "MAI",  "Contoso", "cluster",
                                          "deploy", "nodes",   "Oslo", "Lima",    "racks",
                                          "fabric", "Nvidia",  "GPU",  "billing", "tooling"};
  for (int round = 0; round < 200; ++round) {
    std::string text;
    const int count = 1 + static_cast<int>(rng() % 60);
    for (int k = 0; k < count; ++k) {
      absl::StrAppend(&text, k ? " " : "", words[rng() % words.size()], rng() % 3 ? "" : "x",
                      rng() % 4 ? "" : std::to_string(rng() % 9));
    }
    const Slots s = Extract(text);
    for (const std::vector<uint64_t>* v : {&s.content, &s.names}) {
      EXPECT_TRUE(std::is_sorted(v->begin(), v->end())) << text;
      EXPECT_EQ(std::adjacent_find(v->begin(), v->end()), v->end()) << text;
    }
  }
}

// ExtractDates passes most words at once by their first byte and size; on random texts of
// date-like words, in every case, it finds what the test of every word finds.
TEST(ExtractDates, QuickTestFindsWhatEveryWordFinds) {
  const std::vector<std::string> pieces = {
      "2026", "2025-12",  "2025-12-09", "-",     " - ",  " to ", " and ", " through ", "Q1",
      "q4",   "Q5",       "this",       "This",  "THIS", "next", "Next",  "last",      "LAST",
      "year", "Month",    "quarter",    "May",   "may",  "MAY",  "Sept",  "September", "Septembers",
      "Dec",  "December", "9",          "09",    "28th", "3rd",  "1st",   ",",         " ",
      " ",    "2100",     "1989",       "12345", "é",    "Éte",  "’",     "t",         "n",
      "l",    "thisx",    "go-live",    "(",     ")",    ";",    ": "};
  std::mt19937 rng(3);
  for (int round = 0; round < 4000; ++round) {
    std::string text;
    const int parts = static_cast<int>(rng() % 24);
    for (int k = 0; k < parts; ++k) {
      text += pieces[rng() % pieces.size()];
      if (rng() % 2) text += ' ';
    }
    for (int ref : {0, M(2025, 12)}) {
      const std::vector<DateHit> quick = ExtractDates(text, ref),
                                 every = ExtractDatesEveryWord(text, ref);
      ASSERT_EQ(quick.size(), every.size()) << "'" << text << "' " << ref;
      for (size_t k = 0; k < quick.size(); ++k) {
        EXPECT_EQ(quick[k].iv.lo, every[k].iv.lo) << text;
        EXPECT_EQ(quick[k].iv.hi, every[k].iv.hi) << text;
        EXPECT_EQ(quick[k].begin, every[k].begin) << text;
        EXPECT_EQ(quick[k].end, every[k].end) << text;
        EXPECT_EQ(quick[k].bare_month, every[k].bare_month) << text;
      }
    }
    if (HasFailure()) return;
  }
}

// The words that mark updates, states and negations are read in any case, wherever they are
// in the text (its lowercase is built eight bytes at a time, the last bytes one at a time):
// the same statements with those words capitalized, in capitals, or moved by a prefix of
// every length give the same updates and clause states.
TEST(ExtractSlots, MarkerWordsInAnyCaseAtAnyOffset) {
  struct Case {
    std::string text;
    std::vector<std::string> markers;  // words to write in other cases
  };
  const std::vector<Case> cases = {
      {"Go-live is now May 2026 (previously January 2026).", {"previously"}},
      {"MAI needs storage by June 2026; January 2026 is no longer a hard date.", {"no longer"}},
      {"Karl moved the meeting from March 3, 2026 to Tuesday.", {"moved", "from", "to"}},
      {"The exclusivity continues; the freeze was removed.", {"continues", "removed"}},
      {"VAST will not provide an instance and never signed.", {"not", "never"}},
      {"OpenAI will buy more than $250B of Azure.", {"more than"}},
      {"Budget is about $3M, at most 10 racks.", {"about", "at most"}},
  };
  auto upper = [](std::string t, const std::string& word, bool initial_only) {
    for (size_t at = t.find(word); at != std::string::npos; at = t.find(word, at + 1)) {
      for (size_t k = 0; k < (initial_only ? 1 : word.size()); ++k) {
        t[at + k] = absl::ascii_toupper(t[at + k]);
      }
    }
    return t;
  };
  auto summary = [](const Slots& s) {
    std::string out;
    for (const Update& u : s.updates) {
      absl::StrAppend(&out, "u:", absl::AsciiStrToLower(u.value), ":", u.dates.size(), ";");
    }
    for (const Clause& c : s.clauses) {
      absl::StrAppend(&out, "c:", static_cast<int>(c.polarity), ":", c.predicate, ":", c.object,
                      ";");
    }
    absl::StrAppend(&out, "q:", static_cast<int>(s.qualifier), ";d:", s.dates.size());
    return out;
  };
  for (const Case& c : cases) {
    for (size_t prefix = 0; prefix <= 9; ++prefix) {
      const std::string lead = prefix == 0 ? "" : std::string(prefix, 'x') + " ";
      const std::string plain = summary(Extract(lead + c.text));
      for (bool initial_only : {true, false}) {
        std::string text = lead + c.text;
        for (const std::string& m : c.markers) text = upper(text, m, initial_only);
        EXPECT_EQ(summary(Extract(text)), plain) << text;
      }
    }
  }
}

// Pairwise comparisons: whether the slots of two statements disagree.
struct PairCase {
  std::string a, b;
  bool disagree;
};

// The conflict pass's name stages skip a capitalized word that MonthOf takes or that is a
// month-or-day word in lowercase, and ask only the latter: every word MonthOf takes must be one.
TEST(MonthOf, EveryWordItTakesIsAMonthOrDayWord) {
  std::mt19937 rng(4);
  std::vector<std::string> words;
  for (std::string_view m : kMonthOrDayWords) {
    for (size_t len = 3; len <= m.size(); ++len) words.emplace_back(m.substr(0, len));
  }
  int taken = 0;
  for (int round = 0; round < 20; ++round) {
    for (std::string w : words) {
      for (size_t k = 0; k < w.size(); ++k) {
        if (k == 0 || rng() % 2) w[k] = absl::ascii_toupper(w[k]);
      }
      if (MonthOf(w) == 0) continue;
      ++taken;
      EXPECT_TRUE(IsMonthOrDayWord(absl::AsciiStrToLower(w))) << w;
    }
  }
  EXPECT_GE(taken, 20 * 24);  // every month's name, abbreviation, and "Sept", each round
}

TEST(MonthOf, NamesAndAbbreviationsInAnyCaseAfterACapital) {
  const char* kNames[] = {"January", "February", "March",     "April",   "May",      "June",
                          "July",    "August",   "September", "October", "November", "December"};
  for (int m = 1; m <= 12; ++m) {
    const std::string name = kNames[m - 1];
    EXPECT_EQ(MonthOf(name), m) << name;
    EXPECT_EQ(MonthOf(absl::AsciiStrToUpper(name)), m) << name;
    EXPECT_EQ(MonthOf(name.substr(0, 3)), m) << name;
    EXPECT_EQ(MonthOf(name.substr(0, 3) + "x"), 0) << name;
    EXPECT_EQ(MonthOf(absl::AsciiStrToLower(name)), 0) << name;  // not capitalized
    EXPECT_TRUE(IsMonthOrDayWord(absl::AsciiStrToLower(name))) << name;
  }
  EXPECT_EQ(MonthOf("Sept"), 9);
  EXPECT_EQ(MonthOf("Ma"), 0);
  EXPECT_EQ(MonthOf("Septembers"), 0);
  EXPECT_EQ(MonthOf("Mayor"), 0);
  for (const char* w : {"monday", "sunday", "sept", "jan", "octob", "decemb", "juli"}) {
    EXPECT_TRUE(IsMonthOrDayWord(w)) << w;
  }
  // Every word of the list (IsMonthOrDayWord tests initial and size before its table), and
  // none with a byte more or with its initial changed.
  for (std::string_view w : kMonthOrDayWords) {
    const std::string word(w);
    EXPECT_TRUE(IsMonthOrDayWord(word)) << word;
    EXPECT_FALSE(IsMonthOrDayWord(word + "q")) << word;
    EXPECT_FALSE(IsMonthOrDayWord("q" + word.substr(1))) << word;
    EXPECT_FALSE(IsMonthOrDayWord(absl::AsciiStrToUpper(word))) << word;
  }
  for (const char* w : {"Monday", "mon", "mayor", "", "marchs", "novembe", "t", "septemberx"}) {
    EXPECT_FALSE(IsMonthOrDayWord(w)) << w;
  }
}

TEST(DatesDisagree, IntervalsThatDoNotOverlap) {
  const std::vector<PairCase> cases = {
      {"MAI deploys in 2025.", "MAI deploys in April 2026.", true},
      {"MAI deploys in March 2026.", "MAI deploys in May 2026.", true},
      // A range holding the other value, a quarter holding a month, one range written two ways.
      {"MAI deploys May to June 2026.", "MAI deploys in June 2026.", false},
      {"The decision is in Q1 2026.", "The decision is expected around March.", false},
      {"MAI deploys May 2026 to June 2026.", "MAI deploys May to June 2026.", false},
      {"MAI deploys in April 2026, May 2026, or June 2026.", "MAI deploys May to June 2026.",
       false},
      {"The roadshow is on December 9, 2025.", "The roadshow is on 2025-12-09.", false},
      // No date on one side: nothing to compare.
      {"MAI deploys in 2025.", "MAI deploys soon.", false},
      // Former bugs: none yet.
  };
  for (const PairCase& c : cases) {
    std::string va, vb;
    EXPECT_EQ(DatesDisagree(Extract(c.a), Extract(c.b), nullptr, false, &va, &vb), c.disagree)
        << c.a << " | " << c.b;
  }
  // By year: months of one year agree; the values are the dates as written.
  std::string va, vb;
  EXPECT_FALSE(DatesDisagree(Extract("MAI deploys in March 2026."),
                             Extract("MAI deploys in May 2026."), nullptr, true, &va, &vb));
  EXPECT_TRUE(DatesDisagree(Extract("MAI needs it on the floor in calendar year 2025."),
                            Extract("MAI deploys in April 2026."), nullptr, true, &va, &vb));
  EXPECT_EQ(va, "2025");
  EXPECT_EQ(vb, "April 2026");
}

TEST(AmountsDisagree, SameAmountInOtherUnitsOrFormatsAgrees) {
  const std::vector<PairCase> cases = {
      {"MAI needs 2EB of storage.", "MAI needs 2 exabytes of storage.", false},
      {"OpenAI buys $250B of Azure.", "OpenAI buys 250 billion dollars of Azure.", false},
      {"OpenAI buys more than $250B of Azure.", "OpenAI buys $250B+ of Azure.", false},
      {"OpenAI buys $250B+ of Azure.", "OpenAI buys +$250B of Azure.", false},
      {"OpenAI buys more than $250B of Azure.", "OpenAI buys $300B of Azure.", false},
      {"OpenAI buys about $250B of Azure.", "OpenAI buys $260B of Azure.", false},
      {"OpenAI buys between $200B and $300B of Azure.", "OpenAI buys $250B of Azure.", false},
      {"OpenAI buys $250B of Azure.", "OpenAI buys $300B of Azure.", true},
      {"MAI needs 2EB of storage.", "MAI needs 3 exabytes of storage.", true},
      {"OpenAI buys more than $250B of Azure.", "OpenAI buys up to $250B of Azure.", true},
      {"OpenAI buys up to $250B of Azure.", "OpenAI buys $300B of Azure.", true},
      {"Churn fell by 15%.", "Churn fell by 20 percent.", true},
      // Different units are not compared.
      {"MAI needs 2EB of storage.", "MAI spends $2B on storage.", false},
      // Former bugs: none yet.
  };
  for (const PairCase& c : cases) {
    std::string va, vb;
    EXPECT_EQ(AmountsDisagree(Extract(c.a), Extract(c.b), false, &va, &vb), c.disagree)
        << c.a << " | " << c.b;
  }
  std::string va, vb;
  ASSERT_TRUE(AmountsDisagree(Extract("OpenAI buys more than $250B of Azure."),
                              Extract("OpenAI buys up to $250B of Azure."), false, &va, &vb));
  EXPECT_EQ(va, "at least $250B");
  EXPECT_EQ(vb, "at most $250B");
}

TEST(AmountsDisagree, UnitsInOrderEachWithAllItsValues) {
  // Units are compared in byte order ('$' 0x24 before '%' 0x25); the first that disagrees is
  // reported, with all its values on each side, in the order written.
  const Slots a = Extract("Churn fell 15% and 25%; MAI spends $2B and $3B; MAI needs 2EB.");
  const Slots b = Extract("Churn fell 40%; MAI spends $5B; MAI needs 2 exabytes.");
  std::string va, vb;
  ASSERT_TRUE(AmountsDisagree(a, b, false, &va, &vb));
  EXPECT_EQ(va, "$2B, $3B");
  EXPECT_EQ(vb, "$5B");
  // Either output may be left out.
  EXPECT_TRUE(AmountsDisagree(a, b, false, nullptr, nullptr));
  std::string only;
  EXPECT_TRUE(AmountsDisagree(a, b, false, nullptr, &only));
  EXPECT_EQ(only, "$5B");
  // A range on one side holds the other's value: that unit agrees, the next one is read.
  const Slots c = Extract("Churn fell 15% and 25%; MAI spends $2B and $6B.");
  ASSERT_TRUE(AmountsDisagree(c, b, false, &va, &vb));
  EXPECT_EQ(va, "15%, 25%");
  EXPECT_EQ(vb, "40%");
  // Plain numbers only when asked.
  const Slots d = Extract("MAI runs 3 clusters.");
  const Slots e = Extract("MAI runs 4 clusters.");
  EXPECT_FALSE(AmountsDisagree(d, e, false, &va, &vb));
  ASSERT_TRUE(AmountsDisagree(d, e, true, &va, &vb));
  EXPECT_EQ(va, "3");
  EXPECT_EQ(vb, "4");
}

TEST(ClausesOppose, OppositeStatesOfTheSameSubject) {
  const std::vector<PairCase> cases = {
      {"Azure API exclusivity for OpenAI continues.",
       "OpenAI's Azure exclusivity was removed from the contract.", true},
      {"Azure API exclusivity for OpenAI continues.", "Azure API exclusivity for OpenAI ended.",
       true},
      {"VAST will provide an Azure VoC instance for MAI.",
       "VAST will not provide an Azure VoC instance for MAI.", true},
      {"Microsoft signed the storage contract with VAST.",
       "Microsoft never signed the storage contract with VAST.", true},
      {"There is a right-of-first-refusal for Microsoft.",
       "There is no right-of-first-refusal for Microsoft.", true},
      // Same state, or opposite states of different subjects.
      {"Azure API exclusivity for OpenAI continues.", "Azure API exclusivity continues.", false},
      {"Azure API exclusivity for OpenAI continues.", "The restraining order was lifted.", false},
      {"VAST will not provide an Azure VoC instance.", "Microsoft will provide GPU nodes.", false},
      // Former bugs: none yet.
  };
  for (const PairCase& c : cases) {
    Slots a = Extract(c.a), b = Extract(c.b);
    bool oppose = false;
    for (const Clause& x : a.clauses) {
      for (const Clause& y : b.clauses) oppose |= ClausesOppose(x, y, 0.6);
    }
    EXPECT_EQ(oppose, c.disagree) << c.a << " | " << c.b;
  }
}

TEST(Supersedes, NowYPreviouslyXSupersedesAnOlderX) {
  Slots newer = Extract("MAI go-live is now more like May 2026 (previously January 2026).");
  Slots older = Extract("MAI go-live is planned for January 2026.");
  Slots other = Extract("MAI go-live is planned for March 2026.");
  EXPECT_TRUE(Supersedes(newer, older));
  EXPECT_FALSE(Supersedes(older, newer));
  EXPECT_FALSE(Supersedes(newer, other));
}

TEST(FormatAmount, ScalesAndUnits) {
  EXPECT_EQ(FormatAmount({"$", 2.5e11}), "$250B");
  EXPECT_EQ(FormatAmount({"$", 1.5e6}), "$1.5M");
  EXPECT_EQ(FormatAmount({"byte", 2e18}), "2EB");
  EXPECT_EQ(FormatAmount({"byte", 500}), "500B");
  EXPECT_EQ(FormatAmount({"%", 15}), "15%");
  EXPECT_EQ(FormatAmount({"", 3}), "3");
}

// `texts`, then the display text of every fact of the sample vault.
std::vector<std::string> WithSampleFacts(std::vector<std::string> texts) {
  absl::StatusOr<Vault> vault =
      LoadVault(DefaultFileSystem(), testing::SourcePath("data/vault"), Config{});
  EXPECT_TRUE(vault.ok()) << vault.status();
  if (!vault.ok()) return texts;
  for (const Note& note : vault->notes) {
    for (const Fact& f : note.facts) texts.push_back(std::string(DisplayOf(note, f)));
  }
  return texts;
}

// A fact's content tokens come from the tokens of its one normalization (unless it ends in a
// cut word); they must equal those of its cleaned text normalized again (what they were
// computed from before), on every fact of the sample vault and on inputs that exercise the
// normalizer's repairs and cut words.
TEST(ExtractSlots, ContentTokensEqualThoseOfTheCleanTextNormalizedAgain) {
  const std::vector<std::string> texts = WithSampleFacts({
      "Microsoft\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s GPU drop arrives in **February 2026** ...",
      "MAI's initial GPU drop: [[Kushal]] said it will arrive in Feb '26 (per Lior)",
      "Azure Storage won't renew the 2EB deal; exclusivity was removed",
      "Caf\xC3\xA9 M\xC3\xBCller's team ships v2.1 on 2026-01-05 \xE2\x80\x94 \"maybe\"",
      "The THE the   spaces\tand\ttabs, 50% of $250B, 3x faster ... truncated",
      "Microsoft now scr...",
      "On 2025-10-28, Kushal said the Azur\xE2\x80\xA6",
      "MAI's initial GPU drop will arrive in February 2026 ...",
      "Corora should evaluate CDN for ...",
      "Corora should evaluate CDN for  \t ....  ",
      "It ends. ...",
      "It ends... ...",
      "Cut at $250 ...",
      "Cut at 250 billion ...",
      "Tab\tbefore\t...",
      "...",
      " ... ...",
      "Caf\xC3\xA9 for ...",
  });
  ASSERT_GT(texts.size(), 200u);
  dedup::Normalizer n;
  int compared = 0;
  for (const std::string& text : texts) {
    absl::StatusOr<Slots> s = ExtractSlots(n, text, kNoteDay);
    ASSERT_TRUE(s.ok()) << text;
    // A leading record date ("2025-12-27: ...") is not part of the body compared.
    absl::StatusOr<dedup::NormalizedText> once = n.Normalize(text);  // its cleaned text
    ASSERT_TRUE(once.ok());
    const std::string& c = once->clean;
    if (c.size() > 10 && c[4] == '-' && c[7] == '-' && (c[10] == ':' || c[10] == ',')) continue;
    absl::StatusOr<dedup::NormalizedText> again = n.Normalize(c);
    ASSERT_TRUE(again.ok());
    std::vector<uint64_t> expected;
    for (const dedup::Token& tok : again->tokens) {
      if (tok.kind != dedup::TokenKind::kWord && tok.kind != dedup::TokenKind::kName) continue;
      if (tok.text.size() < 2 || IsMonthOrDayWord(tok.text)) continue;
      expected.push_back(TokenHash(tok.text));
    }
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    EXPECT_EQ(s->content, expected) << text;
    ++compared;
  }
  EXPECT_GT(compared, 150);
}

// Without plain_clauses, ExtractSlots keeps the clauses of a fact with a stated state only,
// and splits no clauses in a text without a word that can state one: the clauses kept (and
// every other slot) are those of the plain call, on every fact of the sample vault and on
// texts with and without state words.
TEST(ExtractSlots, WithoutPlainClausesOnlyFactsWithAStatedStateKeepTheirClauses) {
  const std::vector<std::string> texts = WithSampleFacts({
      "Azure API exclusivity for OpenAI continues; pricing (still) remains open",
      "The exclusivity ended in October: VAST will not provide an Azure VoC instance.",
      "VAST won't provide it",
      "There is no right-of-first-refusal for Microsoft.",
      "Not yet",
      "no",
      "It is not",
      "2025-12-27: the order was lifted",
      "Go-live is now May (previously January), the deal continues",
      "VAST will provide an Azure VoC instance.",
      "VAST won the Microsoft storage deal.",
      "January 2026 is no longer a hard date.",
      "OpenAI will buy no more than $250B of Azure.",
      "Still, STILL and NEVER in capitals",
  });
  dedup::Normalizer n;
  int stated = 0;
  for (const std::string& text : texts) {
    absl::StatusOr<Slots> all = ExtractSlots(n, text, kNoteDay);
    absl::StatusOr<Slots> some = ExtractSlots(n, text, kNoteDay, nullptr, /*plain_clauses=*/false);
    ASSERT_TRUE(all.ok() && some.ok()) << text;
    bool polar = false;
    for (const Clause& c : all->clauses) polar |= c.polarity != Polarity::kNone;
    stated += polar;
    if (!polar) {
      EXPECT_THAT(some->clauses, IsEmpty()) << text;
    } else {
      ASSERT_EQ(some->clauses.size(), all->clauses.size()) << text;
      for (size_t k = 0; k < all->clauses.size(); ++k) {
        EXPECT_EQ(some->clauses[k].text, all->clauses[k].text) << text;
        EXPECT_EQ(some->clauses[k].polarity, all->clauses[k].polarity) << text;
        EXPECT_EQ(some->clauses[k].tokens, all->clauses[k].tokens) << text;
        EXPECT_EQ(some->clauses[k].predicate, all->clauses[k].predicate) << text;
        EXPECT_EQ(some->clauses[k].object, all->clauses[k].object) << text;
      }
    }
    EXPECT_EQ(some->clean_hash, all->clean_hash) << text;
    EXPECT_EQ(some->qualifier, all->qualifier) << text;
    EXPECT_EQ(some->fact_day, all->fact_day) << text;
    EXPECT_EQ(some->dates_text(), all->dates_text()) << text;
    EXPECT_EQ(some->dates.size(), all->dates.size()) << text;
    EXPECT_EQ(some->amounts.size(), all->amounts.size()) << text;
    EXPECT_EQ(some->updates.size(), all->updates.size()) << text;
    EXPECT_EQ(some->content, all->content) << text;
    EXPECT_EQ(some->names, all->names) << text;
  }
  EXPECT_GE(stated, 8);
}

// Words, as it was written first: byte by byte.
std::vector<std::pair<size_t, size_t>> PlainWords(absl::string_view s) {
  auto in_word = [&](size_t i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) return IsWordByte(s, i);
    return IsUpper(s[i]) || IsLower(s[i]) || IsDigit(s[i]);
  };
  std::vector<std::pair<size_t, size_t>> out;
  size_t i = 0;
  while (i < s.size()) {
    if (!in_word(i)) {
      ++i;
      continue;
    }
    const size_t b = i;
    while (i < s.size() && in_word(i)) ++i;
    out.emplace_back(b, i);
  }
  return out;
}

TEST(Words, RunsOfWordBytesOnTextsOfEveryLength) {
  const std::string pieces[] = {"a",
                                "Z",
                                "q",
                                "7",
                                " ",
                                " ",
                                ".",
                                "-",
                                "@",
                                "[",
                                "`",
                                "{",
                                "/",
                                ":",
                                "\xE2\x80\x99",
                                "\xE2\x80\x9C",
                                "\xC3\xA9",
                                "\xE2\x80\x94",
                                "word",
                                "Word "};
  std::mt19937 rng(5);
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const size_t len = rng() % 200;
    while (text.size() < len) text += pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
    std::vector<std::pair<size_t, size_t>> got;
    for (const Word& w : Words(text)) {
      EXPECT_EQ(w.text, absl::string_view(text).substr(w.begin, w.end - w.begin));
      got.emplace_back(w.begin, w.end);
    }
    EXPECT_EQ(got, PlainWords(text)) << "'" << text << "'";
  }
  // WordsInto replaces what its vector held (a longer list before, then a shorter one).
  std::vector<Word> reused;
  for (absl::string_view text : {"one two three four five", "six seven", "", "eight"}) {
    WordsInto(text, &reused);
    std::vector<std::pair<size_t, size_t>> got;
    for (const Word& w : reused) got.emplace_back(w.begin, w.end);
    EXPECT_EQ(got, PlainWords(text)) << "'" << text << "'";
  }
  // Words ending at and across 64-byte boundaries.
  for (size_t len = 64; len <= 130; ++len) {
    const std::string text(len, 'x');
    std::string spaced = text;
    spaced[63] = ' ';
    EXPECT_EQ(Words(text).size(), 1u);
    EXPECT_EQ(Words(spaced).size(), len > 64 ? 2u : 1u) << len;
  }
}

TEST(TokenIds, FirstSeenFirstAcrossGrowth) {
  TokenIds ids;
  EXPECT_EQ(ids.IdOf(TokenHash("mai")), 0);
  EXPECT_EQ(ids.IdOf(TokenHash("azure")), 1);
  EXPECT_EQ(ids.IdOf(TokenHash("mai")), 0);
  EXPECT_EQ(ids.IdOf(0), 2);  // the empty slot's key is a token too
  EXPECT_EQ(ids.IdOf(0), 2);
  // Keys colliding in the low bits, and enough of them to grow the table several times.
  std::vector<uint64_t> keys;
  for (uint64_t k = 1; k <= 5000; ++k) keys.push_back(k << 20 | 7);
  for (size_t k = 0; k < keys.size(); ++k) EXPECT_EQ(ids.IdOf(keys[k]), static_cast<int>(3 + k));
  EXPECT_EQ(ids.size(), 5003);
  for (size_t k = 0; k < keys.size(); ++k) EXPECT_EQ(ids.IdOf(keys[k]), static_cast<int>(3 + k));
  EXPECT_EQ(ids.IdOf(TokenHash("azure")), 1);
  EXPECT_EQ(ids.IdOf(0), 2);
  EXPECT_EQ(ids.size(), 5003);
}

// DenseIds against one TokenIds asked about every entry in order, for one range (the plain
// numbering) and several: the same ids and count. Items of random sizes (some empty, some in
// a range of their own), tokens drawn from a small pool (repeats within and across ranges,
// first seen in any range) and token 0.
TEST(DenseIds, SameIdsAsOneTokenIdsInOrder) {
  std::mt19937_64 rng(7);
  for (int n : {0, 1, 3, 10, 200}) {
    std::vector<uint64_t> pool;
    for (int k = 0; k < 60; ++k) pool.push_back(k == 0 ? 0 : rng());
    std::vector<std::vector<uint64_t>> items(n);
    std::vector<size_t> offsets = {0};
    for (std::vector<uint64_t>& item : items) {
      const size_t size = rng() % 4 == 0 ? 0 : rng() % 12;
      for (size_t k = 0; k < size; ++k) item.push_back(pool[rng() % pool.size()]);
      offsets.push_back(offsets.back() + item.size());
    }
    TokenIds plain;
    std::vector<int> want;
    for (const std::vector<uint64_t>& item : items) {
      for (uint64_t t : item) want.push_back(plain.IdOf(t));
    }
    for (int ranges : {1, 2, 3, 7}) {
      if (ranges > std::max(1, n)) continue;
      std::vector<int> got = {-1};  // replaced
      const int count = DenseIds(
          ranges, n, [&](int i) -> const std::vector<uint64_t>& { return items[i]; }, offsets,
          &got);
      EXPECT_EQ(count, plain.size()) << n << " items, " << ranges << " ranges";
      EXPECT_EQ(got, want) << n << " items, " << ranges << " ranges";
    }
  }
}

// PendingTokens against a std::map on random tokens: numbered in the order added (repeats
// ignored), every token added found, no other (the filter only skips probes), at sizes that
// take the filter from its smallest to several times larger; keys with equal top bits (one
// filter bit) and equal low bits (one probe chain) too.
TEST(PendingTokens, FindsExactlyTheTokensAdded) {
  std::mt19937_64 rng(12);
  for (size_t count : {0u, 1u, 5u, 63u, 64u, 65u, 300u, 5000u}) {
    PendingTokens p;
    std::map<uint64_t, int> want;
    std::vector<uint64_t> order;
    for (size_t k = 0; k < count; ++k) {
      uint64_t t = rng();
      if (k % 7 == 3) t = (t & 0xFFFF) | 0xABCD000000000000ULL;           // shared top bits
      if (k % 11 == 5) t = (t << 20) | 0x12345;                           // shared low bits
      if (k % 5 == 2 && !order.empty()) t = order[rng() % order.size()];  // a repeat
      p.Add(t);
      if (want.emplace(t, static_cast<int>(order.size())).second) order.push_back(t);
    }
    p.Seal();
    ASSERT_EQ(p.size(), order.size());
    for (size_t x = 0; x < order.size(); ++x) {
      EXPECT_EQ(p.key(x), order[x]);
      EXPECT_TRUE(p.MayHave(order[x]));
      EXPECT_TRUE(p.filter().MayHave(order[x]));
      EXPECT_EQ(p.Find(order[x]), static_cast<int>(x));
    }
    int passed = 0, uniform = 0;
    for (int k = 0; k < 20000; ++k) {
      uint64_t t = rng();
      if (k % 3 == 0) t = (t & 0xFFFF) | 0xABCD000000000000ULL;
      if (want.count(t)) continue;
      EXPECT_EQ(p.Find(t), -1);
      EXPECT_EQ(p.filter().MayHave(t), p.MayHave(t));
      if (k % 3 != 0) ++uniform, passed += p.MayHave(t);
    }
    // The filter has at least 64 bits per token: few uniform others pass it (1/64 expected).
    EXPECT_LE(passed, uniform / 32 + 10) << count;
  }
}

// FixedArray holds a vector's elements (moved in) at their size, copies deeply, and frees them.
TEST(FixedArray, HoldsTheElementsOfAVectorAndFreesThem) {
  EXPECT_EQ(sizeof(FixedArray<std::string>), sizeof(void*));
  FixedArray<std::string> empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_EQ(empty.begin(), empty.end());
  const std::vector<std::string> want = {"a", std::string(100, 'b'), "", "dd"};
  FixedArray<std::string> a = std::vector<std::string>(want);
  ASSERT_EQ(a.size(), want.size());
  EXPECT_EQ(std::vector<std::string>(a.begin(), a.end()), want);
  FixedArray<std::string> b = a;  // a copy
  a[1] = "changed";
  EXPECT_EQ(b[1], want[1]);
  FixedArray<std::string> c = std::move(b);
  EXPECT_TRUE(b.empty());  // NOLINT: moved from, as specified
  EXPECT_EQ(std::vector<std::string>(c.begin(), c.end()), want);
  c = std::vector<std::string>();
  EXPECT_TRUE(c.empty());
  const char text[] = "xyz";
  const FixedArray<char> chars(text, 3);
  EXPECT_EQ(absl::string_view(chars.begin(), chars.size()), "xyz");
  // A PairSlots is 56 bytes: the conflict pass keeps one per fact.
  EXPECT_EQ(sizeof(PairSlots), 56u);
}

// InternUnit keeps one string per unit: a view of the same bytes for the same unit, equal to it.
TEST(InternUnit, OneStringPerUnit) {
  for (const std::string& unit : {std::string("$"), std::string("byte"), std::string(""),
                                  std::string("furlongs"), std::string("\u20ac")}) {
    const absl::string_view a = InternUnit(unit), b = InternUnit(std::string(unit));
    EXPECT_EQ(a, unit);
    EXPECT_EQ(a.data(), b.data()) << unit;
    EXPECT_NE(a.data(), unit.data()) << unit;
  }
}

}  // namespace
}  // namespace factdedup::provenance::internal
