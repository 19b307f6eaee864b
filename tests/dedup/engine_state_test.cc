// DeduplicateAround from a CorpusState against its oracles: after a change to the items (some
// removed, some added, exact copies joining and leaving copy groups, the item count moving
// every IDF weight), the clusters must be exactly those of DeduplicateAround without the state
// and the full clusters of Deduplicate, while reading only some of the items.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dedup/engine.h"
#include "gtest/gtest.h"
#include "tests/dedup/cluster_oracle.h"

namespace factdedup::dedup {
namespace {

using testing::ExpectMatchesOracle;
using testing::ShowAll;

// Families of one claim written several ways (values that disagree, truncations, a rare tag
// word per family) plus template facts shared across families; keys "note<k>.md:<n>".
std::vector<Item> Families(int families, uint32_t seed, const std::string& prefix) {
  static const char* kSubjects[] = {"Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove",
                                    "Litware", "Adatum",   "Proseware", "Wingtip",  "Lucerne"};
  static const char* kVerbs[] = {"signed", "renewed", "expanded", "paused", "migrated"};
  static const char* kObjects[] = {"storage contract", "GPU reservation", "support agreement",
                                   "data platform",    "analytics pilot", "network upgrade"};
  static const char* kPlaces[] = {"Redmond", "Dublin", "Austin", "Osaka", "Lisbon", "Nairobi"};
  std::mt19937 rng(seed);
  auto pick = [&](auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
  std::vector<Item> items;
  auto add = [&](std::string text) {
    items.push_back({std::move(text), absl::StrCat(prefix, rng() % 40, ".md:", items.size())});
  };
  for (int f = 0; f < families; ++f) {
    const std::string s = pick(kSubjects), v = pick(kVerbs), o = pick(kObjects), p = pick(kPlaces);
    const int year = 2020 + static_cast<int>(rng() % 7);
    const int amount = 1 + static_cast<int>(rng() % 90);
    const std::string tag = absl::StrCat("Project", f % 70);  // some tags name two families
    std::vector<std::string> variants = {
        absl::StrCat(s, " ", v, " the ", o, " in ", p, " for $", amount, "M in ", year, " (", tag,
                     ")."),
        absl::StrCat("In ", year, ", ", s, " ", v, " the ", o, " in ", p, " for $", amount, "M (",
                     tag, ")."),
        absl::StrCat(s, " ", v, " its ", o, " at ", p, " (", tag, ")."),
        absl::StrCat(s, " ", v, " the ", o, " in ", p, " for $", amount + 5, "M in ", year, " (",
                     tag, ")."),
        absl::StrCat(s, " ", v, " the ", o, " in ", p, "..."),
        absl::StrCat(tag, " update: ", s, " ", v, " the ", o, "."),
        absl::StrCat("the ", o, " of ", s, " in ", p, " was ", v, " (", tag, ")"),
    };
    const int count = 1 + static_cast<int>(rng() % variants.size());
    for (int k = 0; k < count; ++k) add(variants[rng() % variants.size()]);
    if (rng() % 3 == 0) add(absl::StrCat("Weekly sync notes for ", s, "."));
  }
  return items;
}

// A change to `before`: about `removed` of its items dropped, the rest shuffled, plus new
// items (new families, exact copies of old texts under new keys, paraphrases of old items).
// previous[i] is the old index of the new items[i], or -1.
struct Change {
  std::vector<Item> items;
  std::vector<int> previous;
  std::vector<int> added;  // indexes into items
};

Change MakeChange(const std::vector<Item>& before, uint32_t seed, double removed, int new_families,
                  int copies) {
  std::mt19937 rng(seed);
  Change c;
  std::vector<int> kept;
  for (size_t i = 0; i < before.size(); ++i) {
    if (std::uniform_real_distribution<double>(0, 1)(rng) >= removed) {
      kept.push_back(static_cast<int>(i));
    }
  }
  std::shuffle(kept.begin(), kept.end(), rng);
  for (int i : kept) {
    c.items.push_back(before[static_cast<size_t>(i)]);
    c.previous.push_back(i);
  }
  auto add = [&](Item item) {
    c.added.push_back(static_cast<int>(c.items.size()));
    c.items.push_back(std::move(item));
    c.previous.push_back(-1);
  };
  for (Item& item : Families(new_families, seed + 1000, "new")) add(std::move(item));
  for (int k = 0; k < copies; ++k) {
    const Item& old = before[rng() % before.size()];
    add({old.text, absl::StrCat(k % 2 == 0 ? "a-copy" : "z-copy", k, ".md:1")});
    add({absl::StrCat("As noted before, ", old.text), absl::StrCat("para", k, ".md:1")});
  }
  return c;
}

struct OptionCase {
  std::string name;
  DedupOptions options;
  bool state_usable = true;  // the options keep a state
};

std::vector<OptionCase> OptionCases() {
  std::vector<OptionCase> cases;
  cases.push_back({"defaults", DedupOptions{}});
  DedupOptions small;  // oversized LSH and rare-word buckets, common words left out
  small.max_bucket_size = 4;
  small.rare_word_bucket = 3;
  small.lsh_common_min = 5;
  cases.push_back({"small buckets", small});
  DedupOptions no_rare;
  no_rare.rare_word_keys = 0;
  cases.push_back({"LSH only", no_rare});
  DedupOptions loose;
  loose.threshold = 0.15;
  loose.canonical_floor = 0.05;
  loose.rare_word_share = 0.6;
  cases.push_back({"loose (large components)", loose});
  DedupOptions share;  // common_df follows the item count: a state fits only some changes
  share.lsh_common_min = 1;
  share.lsh_common_share = 0.05;
  cases.push_back({"common words by share", share});
  DedupOptions few_bands;  // 3 LSH bands: fewer than the candidate finder chains at a time
  few_bands.minhash.num_perm = 6;
  few_bands.lsh_threshold = 0.5;
  cases.push_back({"three bands", few_bands});
  DedupOptions simhash;  // no state is kept with SimHash
  simhash.simhash_distance = 8;
  cases.push_back({"with SimHash", simhash, false});
  return cases;
}

TEST(CorpusState, AroundAChangeEqualsTheFullPass) {
  const std::vector<Item> before = Families(220, 5, "note");
  for (const OptionCase& oc : OptionCases()) {
    CorpusState state;
    absl::StatusOr<DedupResult> first = Deduplicate(before, oc.options, &state);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_EQ(state.empty(), oc.options.simhash_distance > 0) << oc.name;
    CorpusState saved;  // what an index gives back (an empty state gives no bytes)
    ASSERT_TRUE(saved.Decode(state.Encode()).ok()) << oc.name;
    ASSERT_EQ(saved.empty(), state.empty()) << oc.name;
    for (uint32_t seed : {1u, 2u, 3u, 4u, 5u}) {
      // Seed 4 removes nothing and adds copies only; seed 5 removes 40% of the items (every
      // weight moves a lot); the others move the item count a little.
      const Change c = seed == 4   ? MakeChange(before, seed, 0, 0, 6)
                       : seed == 5 ? MakeChange(before, seed, 0.4, 2, 2)
                                   : MakeChange(before, seed, 0.03 * seed, 3 * seed, 4);
      const std::string what = absl::StrCat(oc.name, ", change ", seed);
      absl::StatusOr<DedupResult> full = Deduplicate(c.items, oc.options);
      ASSERT_TRUE(full.ok()) << full.status();
      std::mt19937 rng(seed);
      std::vector<std::vector<int>> focuses = {c.added, {}, {}};
      for (int k = 0; k < 12; ++k) {
        focuses[1].push_back(static_cast<int>(rng() % c.items.size()));
      }
      for (size_t i = 0; i < c.items.size(); ++i) focuses[2].push_back(static_cast<int>(i));
      for (const std::vector<int>& focus : focuses) {
        absl::StatusOr<DedupResult> plain = DeduplicateAround(c.items, focus, oc.options);
        absl::StatusOr<DedupResult> from =
            DeduplicateAround(c.items, focus, oc.options, &saved, c.previous);
        ASSERT_TRUE(plain.ok() && from.ok()) << what;
        EXPECT_EQ(ShowAll(from->clusters, &c.items), ShowAll(plain->clusters, &c.items)) << what;
        ExpectMatchesOracle(full->clusters, from->clusters, focus, what, &c.items);
        EXPECT_EQ(from->stats.duplicate_pairs, plain->stats.duplicate_pairs) << what;
        // The same candidates: every reached fact's sketches are as a full sketch gives them.
        EXPECT_EQ(from->stats.candidates, plain->stats.candidates) << what;
        // The state fits when the change keeps the number of facts a common word is in.
        auto common_df = [&](size_t n) {
          return static_cast<uint32_t>(std::max<double>(
              oc.options.lsh_common_min, oc.options.lsh_common_share * static_cast<double>(n)));
        };
        if (&focus == &focuses[2]) {  // every item is read
          EXPECT_EQ(from->stats.items_read, static_cast<int64_t>(c.items.size())) << what;
        } else if (oc.state_usable && common_df(before.size()) == common_df(c.items.size())) {
          EXPECT_LT(from->stats.items_read, static_cast<int64_t>(c.items.size())) << what;
        } else {
          EXPECT_EQ(from->stats.items_read, static_cast<int64_t>(c.items.size())) << what;
        }
      }
    }
  }
}

// A word made of letters only (digits would make number tokens), distinct for each k.
std::string Word(const std::string& stem, int k) {
  std::string w = stem;
  do {
    w.push_back(static_cast<char>('a' + k % 26));
    k /= 26;
  } while (k > 0);
  return w;
}

// The item count alone (no word's count) can change a fact's rare-word keys: F holds x (in 2
// facts) and y1..y3 (in 8 facts each); its keys are [x] while w(x) >= 0.3 x (w(x) + 3 w(y))
// and [x, y] once more facts raise the ratio of the weights w = log(1 + n / df). The state's
// margin must tell that F's choice is to be made again.
TEST(CorpusState, AnItemCountThatMovesARareWordChoiceIsSeen) {
  auto keeps_x_only = [](double n) {
    const auto wx = static_cast<float>(std::log(1.0 + n / 2)),
               wy = static_cast<float>(std::log(1.0 + n / 8));
    const double total = static_cast<double>(wx) + 3.0 * static_cast<double>(wy);
    return std::log(1.0 + n / 2) >= 0.3 * total;
  };
  int flip = 0;
  for (int n = 100; n < 20000 && flip == 0; ++n) {
    if (keeps_x_only(n - 1) != keeps_x_only(n)) flip = n;
  }
  ASSERT_GT(flip, 0);
  std::vector<Item> before;
  auto add = [&](std::vector<Item>* items, std::string text) {
    items->push_back({std::move(text), absl::StrCat("k", items->size())});
  };
  add(&before, "alphaword betaone betatwo betathree");  // F, item 0
  add(&before, "alphaword gammaword");
  int unique = 0;
  for (const char* y : {"betaone", "betatwo", "betathree"}) {
    for (int k = 0; k < 7; ++k) {
      add(&before, absl::StrCat(y, " ", Word("uq", unique), " ", Word("uv", unique)));
      ++unique;
    }
  }
  int filler = 0;
  while (static_cast<int>(before.size()) < flip - 2) {
    add(&before, absl::StrCat(Word("fa", filler), " ", Word("fb", filler)));
    ++filler;
  }
  std::vector<Item> after = before;
  std::vector<int> previous(before.size());
  for (size_t i = 0; i < before.size(); ++i) previous[i] = static_cast<int>(i);
  for (int k = 0; k < 5; ++k) {
    add(&after, absl::StrCat(Word("fa", filler), " ", Word("fb", filler)));
    previous.push_back(-1);
    ++filler;
  }
  CorpusState state;
  ASSERT_TRUE(Deduplicate(before, DedupOptions{}, &state).ok());
  absl::StatusOr<DedupResult> then = DeduplicateAround(before, {0}, DedupOptions{});
  absl::StatusOr<DedupResult> now = DeduplicateAround(after, {0}, DedupOptions{});
  absl::StatusOr<DedupResult> from =
      DeduplicateAround(after, {0}, DedupOptions{}, &state, previous);
  ASSERT_TRUE(then.ok() && now.ok() && from.ok());
  ASSERT_NE(then->stats.candidates, now->stats.candidates) << "F's keys did not change";
  EXPECT_EQ(from->stats.candidates, now->stats.candidates);
  EXPECT_LT(from->stats.items_read, static_cast<int64_t>(after.size()) / 10);
}

// A word whose count crosses common_df leaves the MinHash sets of every fact holding it,
// though nothing else about those facts changes: K_j = {kappa, a_j, b_j, c_j} share only kappa,
// which is in 60 facts (common_df 60) before and in 61 after, so that before, some pairs of
// them share an LSH band, and after, none do.
TEST(CorpusState, AWordBecomingCommonResketchesItsFacts) {
  DedupOptions options;
  options.lsh_common_min = 60;
  options.lsh_common_share = 0;
  std::vector<Item> before;
  auto add = [&](std::vector<Item>* items, std::string text) {
    items->push_back({std::move(text), absl::StrCat("k", items->size())});
  };
  for (int j = 0; j < 60; ++j) {
    add(&before, absl::StrCat("kappaword ", Word("qa", j), " ", Word("qb", j), " ", Word("qc", j)));
  }
  for (int j = 0; j < 40; ++j) add(&before, absl::StrCat(Word("fa", j), " ", Word("fb", j)));
  std::vector<Item> after = before;
  std::vector<int> previous(before.size());
  for (size_t i = 0; i < before.size(); ++i) previous[i] = static_cast<int>(i);
  add(&after, "kappaword qzaa qzab qzac");
  previous.push_back(-1);
  std::vector<int> all(after.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  CorpusState state;
  ASSERT_TRUE(Deduplicate(before, options, &state).ok());
  absl::StatusOr<DedupResult> now = DeduplicateAround(after, all, options);
  absl::StatusOr<DedupResult> from = DeduplicateAround(after, all, options, &state, previous);
  ASSERT_TRUE(now.ok() && from.ok());
  // Before the change, kappa puts some of them in one bucket (the test has a case).
  std::vector<int> all_before(all.begin(), all.end() - 1);
  absl::StatusOr<DedupResult> then = DeduplicateAround(before, all_before, options);
  ASSERT_TRUE(then.ok());
  ASSERT_GT(then->stats.candidates, now->stats.candidates + 20);
  EXPECT_EQ(from->stats.candidates, now->stats.candidates);
  EXPECT_EQ(ShowAll(from->clusters, &after), ShowAll(now->clusters, &after));
}

// A fact with fewer than three words under common_df is sketched by its rarest three, so a
// change in the order of its common words' counts moves its set: A_j = {c1, c2, c3, u_j} and
// B_j = {c1, d2, d3, v_j} share c1 while it is rarer than c2, c3, d2, d3, and nothing once
// it is the most common (without rare-word keys, so the order matters to the bands alone).
TEST(CorpusState, ACommonWordsOrderMovesAFallbackSketch) {
  DedupOptions options;
  options.lsh_common_min = 5;
  options.lsh_common_share = 0;
  options.rare_word_keys = 0;
  std::vector<Item> before;
  auto add = [&](std::vector<Item>* items, std::string text) {
    items->push_back({std::move(text), absl::StrCat("k", items->size())});
  };
  for (int j = 0; j < 20; ++j) {
    add(&before, absl::StrCat("cone ctwo cthree ", Word("ua", j)));
    add(&before, absl::StrCat("cone dtwo dthree ", Word("va", j)));
  }
  for (const auto& [word, extra] : std::vector<std::pair<std::string, int>>{
           {"ctwo", 60}, {"cthree", 65}, {"dtwo", 60}, {"dthree", 65}}) {
    for (int k = 0; k < extra; ++k) add(&before, absl::StrCat(word, " ", Word("fx", k)));
  }
  std::vector<Item> after = before;
  std::vector<int> previous(before.size());
  for (size_t i = 0; i < before.size(); ++i) previous[i] = static_cast<int>(i);
  for (int k = 0; k < 50; ++k) {  // c1 from 40 facts to 90, past all four
    add(&after, absl::StrCat("cone ", Word("gx", k)));
    previous.push_back(-1);
  }
  std::vector<int> all_before(before.size()), all(after.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  for (size_t i = 0; i < all_before.size(); ++i) all_before[i] = static_cast<int>(i);
  CorpusState state;
  ASSERT_TRUE(Deduplicate(before, options, &state).ok());
  absl::StatusOr<DedupResult> then = DeduplicateAround(before, all_before, options);
  absl::StatusOr<DedupResult> now = DeduplicateAround(after, all, options);
  absl::StatusOr<DedupResult> from = DeduplicateAround(after, all, options, &state, previous);
  ASSERT_TRUE(then.ok() && now.ok() && from.ok());
  EXPECT_EQ(from->stats.candidates, now->stats.candidates);
  EXPECT_EQ(ShowAll(from->clusters, &after), ShowAll(now->clusters, &after));
}

TEST(CorpusState, UnchangedItemsFindTheFullClusters) {
  const std::vector<Item> items = Families(150, 9, "note");
  CorpusState state;
  ASSERT_TRUE(Deduplicate(items, DedupOptions{}, &state).ok());
  std::vector<int> same(items.size()), all(items.size());
  for (size_t i = 0; i < items.size(); ++i) same[i] = all[i] = static_cast<int>(i);
  absl::StatusOr<DedupResult> full = Deduplicate(items, DedupOptions{});
  absl::StatusOr<DedupResult> from = DeduplicateAround(items, all, DedupOptions{}, &state, same);
  ASSERT_TRUE(full.ok() && from.ok());
  EXPECT_EQ(ShowAll(from->clusters, &items), ShowAll(full->clusters, &items));
  // A focus of one item reads its component's items and their candidates only.
  absl::StatusOr<DedupResult> one = DeduplicateAround(items, {0}, DedupOptions{}, &state, same);
  ASSERT_TRUE(one.ok());
  EXPECT_LT(one->stats.items_read, static_cast<int64_t>(items.size()));
  EXPECT_EQ(full->stats.items_read, static_cast<int64_t>(items.size()));
  // Nothing changed: no item is sketched again; the full pass sketches every non-copy.
  EXPECT_EQ(one->stats.items_sketched, 0);
  EXPECT_GT(full->stats.items_sketched, static_cast<int64_t>(items.size()) / 2);
  EXPECT_LE(full->stats.items_sketched, static_cast<int64_t>(items.size()));
}

// Above 8192 facts the corpus counts and the rare-word ids are split among the threads by
// word: the state (every word's counts), the candidates and the clusters are the same for any
// thread count.
// A pass that captures its state reads its rare-word keys back from the state (their hashes
// are dropped before verification): the same candidates and clusters as a pass without one.
TEST(CorpusState, CapturingTheStateChangesNothing) {
  const std::vector<Item> items = Families(600, 7, "note");
  for (const OptionCase& oc : OptionCases()) {
    absl::StatusOr<DedupResult> plain = Deduplicate(items, oc.options);
    ASSERT_TRUE(plain.ok()) << plain.status();
    CorpusState state;
    absl::StatusOr<DedupResult> captured = Deduplicate(items, oc.options, &state);
    ASSERT_TRUE(captured.ok()) << captured.status();
    EXPECT_EQ(captured->stats.candidates, plain->stats.candidates) << oc.name;
    EXPECT_EQ(captured->stats.rare_word_candidates, plain->stats.rare_word_candidates) << oc.name;
    EXPECT_EQ(captured->stats.duplicate_pairs, plain->stats.duplicate_pairs) << oc.name;
    EXPECT_EQ(ShowAll(captured->clusters, &items), ShowAll(plain->clusters, &items)) << oc.name;
  }
}

TEST(CorpusState, SameForAnyThreadCountOnALargeCorpus) {
  const std::vector<Item> items = Families(4000, 13, "note");
  ASSERT_GT(items.size(), 2u * 8192);  // three threads count in three maps
  DedupOptions one;
  one.threads = 1;
  CorpusState base_state;
  absl::StatusOr<DedupResult> base = Deduplicate(items, one, &base_state);
  ASSERT_TRUE(base.ok());
  for (int threads : {2, 3}) {
    DedupOptions o;
    o.threads = threads;
    CorpusState state;
    absl::StatusOr<DedupResult> r = Deduplicate(items, o, &state);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(state.Encode(), base_state.Encode()) << threads << " threads";
    EXPECT_EQ(r->stats.candidates, base->stats.candidates) << threads;
    EXPECT_EQ(r->stats.rare_word_candidates, base->stats.rare_word_candidates) << threads;
    EXPECT_EQ(r->stats.duplicate_pairs, base->stats.duplicate_pairs) << threads;
    EXPECT_EQ(ShowAll(r->clusters, &items), ShowAll(base->clusters, &items)) << threads;
  }
}

TEST(CorpusState, SameForAnyThreadCount) {
  const std::vector<Item> before = Families(160, 2, "note");
  CorpusState state;
  ASSERT_TRUE(Deduplicate(before, DedupOptions{}, &state).ok());
  const Change c = MakeChange(before, 7, 0.05, 5, 3);
  DedupOptions one;
  one.threads = 1;
  absl::StatusOr<DedupResult> base = DeduplicateAround(c.items, c.added, one, &state, c.previous);
  ASSERT_TRUE(base.ok());
  for (int threads : {2, 3, 8}) {
    DedupOptions o;
    o.threads = threads;
    absl::StatusOr<DedupResult> r = DeduplicateAround(c.items, c.added, o, &state, c.previous);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(ShowAll(r->clusters, &c.items), ShowAll(base->clusters, &c.items)) << threads;
  }
}

// A word in one fact more than the rare-word bucket in the state, one of them removed: the
// change brings it within the bucket, so a fact keyed by it is probed again and its other
// facts are candidates, as in a pass without the state (which lists a word's facts only when
// the change can bring them within the bucket).
TEST(CorpusState, ARemovalBringsAWordWithinTheRareWordBucket) {
  DedupOptions o;
  o.rare_word_bucket = 3;
  std::vector<Item> before;
  for (int k = 0; k < 4; ++k) {  // "zorblat" and six words of the fact's own group
    std::string text = "zorblat";
    for (int w = 0; w < 6; ++w) absl::StrAppend(&text, " ", Word("filler", 6 * k + w));
    before.push_back({text, absl::StrCat("z", k, ".md:1")});
    for (int f = 0; f < 10; ++f) {  // the group's words in ten more facts each
      std::string other = Word("other", 10 * k + f);
      for (int w = 0; w < 6; ++w) absl::StrAppend(&other, " ", Word("filler", 6 * k + w));
      before.push_back({other, absl::StrCat("g", k, "-", f, ".md:1")});
    }
  }
  CorpusState state;
  ASSERT_TRUE(Deduplicate(before, o, &state).ok());
  std::vector<Item> after;
  std::vector<int> previous;
  for (size_t i = 1; i < before.size(); ++i) {  // the first "zorblat" fact removed
    after.push_back(before[i]);
    previous.push_back(static_cast<int>(i));
  }
  const std::vector<int> focus = {0};  // the second "zorblat" fact
  absl::StatusOr<DedupResult> plain = DeduplicateAround(after, focus, o);
  absl::StatusOr<DedupResult> from = DeduplicateAround(after, focus, o, &state, previous);
  ASSERT_TRUE(plain.ok() && from.ok());
  EXPECT_LT(from->stats.items_read, static_cast<int64_t>(after.size())) << "state used";
  EXPECT_GE(plain->stats.candidates, 2) << "the other two zorblat facts";
  EXPECT_EQ(from->stats.candidates, plain->stats.candidates);
  EXPECT_EQ(ShowAll(from->clusters, &after), ShowAll(plain->clusters, &after));
}

TEST(CorpusState, ANonFittingStateIsNotUsed) {
  const std::vector<Item> items = Families(80, 4, "note");
  CorpusState state;
  ASSERT_TRUE(Deduplicate(items, DedupOptions{}, &state).ok());
  std::vector<int> same(items.size());
  for (size_t i = 0; i < items.size(); ++i) same[i] = static_cast<int>(i);
  const std::vector<int> focus = {0, 1, 2};
  absl::StatusOr<DedupResult> plain = DeduplicateAround(items, focus, DedupOptions{});
  ASSERT_TRUE(plain.ok());
  const auto n = static_cast<int64_t>(items.size());
  DedupOptions other;  // other sketch options: another fingerprint
  other.minhash.seed = 99;
  std::vector<int> twice = same;
  twice[1] = 0;  // two items named as one
  std::vector<int> out_of_range = same;
  out_of_range[2] = static_cast<int>(items.size()) + 5;
  struct Case {
    std::string name;
    DedupOptions options;
    std::vector<int> previous;
  };
  for (const Case& k : std::vector<Case>{{"other options", other, same},
                                         {"an item twice", DedupOptions{}, twice},
                                         {"an id out of range", DedupOptions{}, out_of_range},
                                         {"a short map", DedupOptions{}, {0, 1}}}) {
    absl::StatusOr<DedupResult> r = DeduplicateAround(items, focus, k.options, &state, k.previous);
    ASSERT_TRUE(r.ok()) << k.name;
    EXPECT_EQ(r->stats.items_read, n) << k.name;
    if (k.name != "other options") {
      EXPECT_EQ(ShowAll(r->clusters, &items), ShowAll(plain->clusters, &items)) << k.name;
    }
  }
}

TEST(CorpusState, DecodeRejectsDamage) {
  const std::vector<Item> items = Families(40, 6, "note");
  CorpusState state;
  ASSERT_TRUE(Deduplicate(items, DedupOptions{}, &state).ok());
  const std::string bytes = state.Encode();
  EXPECT_EQ(state.EncodedSize(), bytes.size());
  std::string joined;
  std::vector<absl::string_view> arrays;
  state.EncodeParts(&joined, &arrays);
  EXPECT_GT(arrays.size(), 10u) << "the arrays are views, not one copy";
  for (absl::string_view a : arrays) joined.append(a.data(), a.size());
  EXPECT_EQ(joined, bytes);
  CorpusState back;
  ASSERT_TRUE(back.Decode(bytes).ok());
  EXPECT_EQ(back.items(), items.size());
  EXPECT_EQ(back.Encode(), bytes);
  ASSERT_TRUE(back.Decode("").ok());  // no state
  EXPECT_TRUE(back.empty());
  for (size_t cut : {size_t{3}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_FALSE(back.Decode(bytes.substr(0, cut)).ok()) << cut;
    EXPECT_TRUE(back.empty());
  }
  EXPECT_FALSE(back.Decode(bytes + "x").ok());
  std::string wrong = bytes;
  wrong[4] = 9;  // version
  EXPECT_FALSE(back.Decode(wrong).ok());
  // A word id past the words: the first token of the first item (after the header and the
  // words' five arrays and the item starts).
  uint64_t words = 0;  // the header's word count, at byte 44
  std::memcpy(&words, bytes.data() + 4 + 4 + 4 + 8 + 8 + 16, sizeof(words));
  auto up = [](size_t size) { return (size + 7) / 8 * 8; };  // each array is padded to 8
  const size_t tokens_at = 64 + words * 8 + 4 * up(words * 4) + up((items.size() + 1) * 4);
  std::string bad_id = bytes;
  std::memset(bad_id.data() + tokens_at, 0xFF, 4);
  EXPECT_FALSE(back.Decode(bad_id).ok());
  // Decode checks every id and flag without a branch per entry (ids four at a time, the
  // flags' bits together): damage at the ends of the arrays (in each of the first and last
  // four entries: every lane, and the entries after the last four), in the middle, and just
  // out of range.
  uint64_t tokens = 0, n = items.size();
  uint32_t bands = 0, rare_keys = 0;
  std::memcpy(&tokens, bytes.data() + 52, sizeof(tokens));
  std::memcpy(&bands, bytes.data() + 28, sizeof(bands));
  std::memcpy(&rare_keys, bytes.data() + 36, sizeof(rare_keys));
  ASSERT_GT(tokens, 20u);
  ASSERT_GT(rare_keys, 0u);
  const size_t flags_at = tokens_at + up(tokens * 4);
  const size_t rare_at = flags_at + up(tokens) + n * 8 + up(n * 4) + up(n) + up(n * bands * 4);
  ASSERT_LT(rare_at + n * rare_keys * 4, bytes.size());
  auto with_u32 = [&](size_t at, uint32_t v) {
    std::string b = bytes;
    std::memcpy(b.data() + at, &v, 4);
    return b;
  };
  const auto w = static_cast<uint32_t>(words);
  for (uint64_t k : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{3}, tokens / 2, tokens - 4,
                     tokens - 3, tokens - 2, tokens - 1}) {
    EXPECT_FALSE(back.Decode(with_u32(tokens_at + k * 4, w)).ok()) << k;
    EXPECT_TRUE(back.Decode(with_u32(tokens_at + k * 4, w - 1)).ok()) << k;
    for (char flag : {'\x04', '\x80'}) {
      std::string b = bytes;
      b[flags_at + k] = flag;
      EXPECT_FALSE(back.Decode(b).ok()) << k << " " << int{flag};
    }
  }
  for (uint64_t k : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{3}, n * rare_keys - 4,
                     n * rare_keys - 3, n * rare_keys - 2, n * rare_keys - 1}) {
    EXPECT_FALSE(back.Decode(with_u32(rare_at + k * 4, w)).ok()) << k;
    EXPECT_FALSE(back.Decode(with_u32(rare_at + k * 4, 0xFFFFFFFEu)).ok()) << k;
    EXPECT_TRUE(back.Decode(with_u32(rare_at + k * 4, 0xFFFFFFFFu)).ok()) << k;  // unused
    EXPECT_TRUE(back.Decode(with_u32(rare_at + k * 4, w - 1)).ok()) << k;
  }
  // Padding and the reserved field are zeros.
  EXPECT_FALSE(back.Decode(with_u32(60, 1)).ok()) << "reserved";
  if (tokens % 8 != 0) {
    std::string b = bytes;
    b[flags_at + tokens] = 1;  // the flags' padding
    EXPECT_FALSE(back.Decode(b).ok());
  }
  // In place: the same state, its arrays views of the bytes when they are aligned, copies
  // when they are not; damage is rejected either way.
  auto aligned = std::make_shared<std::string>(bytes);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(aligned->data()) % 8, 0u);
  ASSERT_TRUE(back.Decode(*aligned, aligned).ok());
  EXPECT_TRUE(back.in_place());
  EXPECT_EQ(back.Encode(), bytes);
  std::string joined_back;
  std::vector<absl::string_view> viewed;
  back.EncodeParts(&joined_back, &viewed);
  EXPECT_TRUE(std::any_of(viewed.begin(), viewed.end(), [&](absl::string_view a) {
    return a.data() >= aligned->data() && a.data() < aligned->data() + aligned->size();
  })) << "arrays viewed in the decoded bytes";
  aligned.reset();  // the state keeps them alive
  EXPECT_EQ(back.Encode(), bytes);
  auto shifted = std::make_shared<std::string>("....." + bytes);
  const absl::string_view odd = absl::string_view(*shifted).substr(5);
  ASSERT_TRUE(back.Decode(odd, shifted).ok());
  {
    std::string head;
    std::vector<absl::string_view> parts;
    back.EncodeParts(&head, &parts);
    ASSERT_FALSE(parts.empty());
    EXPECT_FALSE(parts[0].data() >= shifted->data() &&
                 parts[0].data() < shifted->data() + shifted->size())
        << "misaligned words are copied";
  }
  EXPECT_EQ(back.Encode(), bytes);
  ASSERT_TRUE(back.Decode(bytes).ok());
  EXPECT_FALSE(back.in_place()) << "no owner: copies";
  for (const std::string& damaged : {with_u32(tokens_at, w), with_u32(rare_at, w), with_u32(60, 1),
                                     bytes.substr(0, bytes.size() - 1)}) {
    auto d = std::make_shared<std::string>(damaged);
    EXPECT_FALSE(back.Decode(*d, d).ok());
    EXPECT_TRUE(back.empty());
  }
  // A state that went through the in-place path serves DeduplicateAround as the original.
  {
    auto kept = std::make_shared<std::string>(bytes);
    CorpusState viewed_state;
    ASSERT_TRUE(viewed_state.Decode(*kept, kept).ok());
    ASSERT_TRUE(viewed_state.in_place());
    std::vector<int> same(items.size());
    for (size_t i = 0; i < items.size(); ++i) same[i] = static_cast<int>(i);
    const std::vector<int> focus = {0, 7, 13};
    absl::StatusOr<DedupResult> plain = DeduplicateAround(items, focus, DedupOptions{});
    absl::StatusOr<DedupResult> from =
        DeduplicateAround(items, focus, DedupOptions{}, &viewed_state, same);
    ASSERT_TRUE(plain.ok());
    ASSERT_TRUE(from.ok());
    EXPECT_LT(from->stats.items_read, static_cast<int64_t>(items.size())) << "state used";
    EXPECT_EQ(ShowAll(from->clusters, &items), ShowAll(plain->clusters, &items));
  }
  // The default method without SimHash is the only one with a state.
  DedupOptions baseline;
  baseline.method = Method::kMinHash;
  CorpusState none;
  ASSERT_TRUE(Deduplicate(items, baseline, &none).ok());
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace factdedup::dedup
