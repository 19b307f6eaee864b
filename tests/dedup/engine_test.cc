#include "dedup/engine.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace factdedup::dedup {
namespace {

struct PairCase {
  std::string a, b;
  bool duplicate;
  std::string why;
};

TEST(ScorePair, Table) {
  const std::vector<PairCase> cases = {
      {"Microsoft's Redmond lab currently does not have GPU nodes available for testing.",
       "Microsoft's Redmond lab does not currently have GPU nodes available for testing.", true,
       "moved adverb"},
      {"Peter Imming and Jason Vallery previously worked together at Microsoft, where Peter "
       "Imming was Jason Vallery's manager.",
       "Peter Imming previously managed Jason Vallery at Microsoft.", true, "subsumed"},
      {"Microsoft\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s fleet is described as fungible.",
       "Microsoft\xE2\x80\x99s fleet is described as fungible.", true, "mojibake"},
      {"OpenAI will purchase more than $250B of Azure services.",
       "OpenAI to purchase +$250B of Azure services.", true, "money formats"},
      {"Contoso acquired Fabrikam.", "Fabrikam acquired Contoso.", false, "roles swapped"},
      {"Contoso acquired Fabrikam in 2025 for $1B.", "Fabrikam acquired Contoso in 2025 for $1B.",
       false, "roles swapped, longer"},
      {"Jeff Denworth stated MAI needs 2 exabytes of storage capacity on the floor in 2025.",
       "Jeff Denworth stated MAI needs 2 exabytes of storage capacity on the floor in 2026.", false,
       "year disagrees"},
      {"OpenAI will purchase $250B of Azure services.",
       "OpenAI will purchase $300B of Azure services.", false, "amount disagrees"},
      {"Jonsi Stephenson met with Microsoft contacts about Azure Blob integration.",
       "Jonsi Stefanson met with Microsoft contacts about Azure Blob integration.", false,
       "name spelled two ways"},
      {"Azure Cosmos DB is described as heavily used by OpenAI for conversation persistence.",
       "Microsoft has a physical VAST PoC system installed in its Redmond lab.", false,
       "unrelated"},
      {"Omar Farouk reported that Contoso's observability pilot in Osaka was delayed to August "
       "2027.",
       "Diego Weber reported that Fabrikam's observability pilot in Madrid was delayed to August "
       "2027.",
       false, "different people, companies and places in the same wording"},
      {"Sharing VAST presentation slides with Microsoft and Jason Vallery.",
       "Sharing VAST Data presentation slides with Microsoft (Jason Vallery).", true,
       "a name added beside shared ones"},
      {"Contoso expects revenue of $80M from VDI in September 2027.",
       "Revenue from VDI at Contoso is expected to reach $80 million in September 2027.", true,
       "a name moved, no role swapped"},
      {"Contoso's pilot slipped to 2025-08, Marco Genzel reported.",
       "Marco Genzel reported that Contoso's pilot was delayed to August 2025.", true,
       "attribution moved to the front"},
      {"2026-01-04: Karl Rautenstrauch requested moving the Weekly VAST GTM Meeting from "
       "Monda...",
       "Karl Rautenstrauch tentatively moved the Weekly VAST GTM Meeting from Monday, January 5, "
       "2026 to Tuesday of that week.",
       true, "a log entry's leading date is not one of the claim's dates"},
      {"2025-12-18: Peter Imming introduced Sebastien Berube to Jason Vallery.",
       "2025-12-19: Peter Imming introduced Sebastien Berube to Jason Vallery.", false,
       "two log entries of different days"},
      // Former bugs:
      // "currently does not" vs "does not currently" was flagged as swapped roles when the
      // order check used bigram overlap alone.
  };
  for (const PairCase& c : cases) {
    absl::StatusOr<PairScore> s = ScorePair(c.a, c.b);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->IsDuplicate(DedupOptions{}), c.duplicate)
        << c.why << ": sim=" << s->similarity << " j=" << s->jaccard << " c=" << s->containment
        << " values=" << s->values_disagree << " names=" << s->names_disagree
        << " entities=" << s->entities_differ << " order=" << s->order_flipped;
  }
}

TEST(ScorePair, RelationsAreNamed) {
  absl::StatusOr<PairScore> s =
      ScorePair("The Big Pause is over and Microsoft is scrambling for near-term capacity.",
                "The Big Pause is over and Microsoft is scrambling for near-term...");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->relation, Relation::kTruncated);
  s = ScorePair("Microsoft's fleet is fungible.", "Microsoft's fleet is fungible.");
  EXPECT_EQ(s->relation, Relation::kExact);
}

std::vector<Item> Corpus() {
  return {
      {"Microsoft has a physical VAST PoC system installed in Microsoft's lab in Redmond and is "
       "actively testing it.",
       "a:1"},
      {"Microsoft has a physical VAST Data proof-of-concept system installed in Microsoft's lab "
       "in Redmond and is actively testing it.",
       "a:2"},
      {"Microsoft is actively testing a physical VAST PoC system in its Redmond lab.", "a:3"},
      {"Azure Cosmos DB is described as heavily used by OpenAI for conversation persistence.",
       "a:4"},
      {"OpenAI is described as heavily leveraging Azure Cosmos DB for conversation persistence.",
       "a:5"},
      {"Contoso acquired Fabrikam.", "a:6"},
      {"Fabrikam acquired Contoso.", "a:7"},
      {"Jay Parikh is EVP for CoreAI at Microsoft.", "a:8"},
  };
}

std::set<std::set<std::string>> ClusterKeys(const std::vector<Item>& items, const DedupResult& r) {
  std::set<std::set<std::string>> out;
  for (const Cluster& c : r.clusters) {
    std::set<std::string> keys;
    for (const Member& m : c.members) keys.insert(items[m.item].key);
    out.insert(keys);
  }
  return out;
}

// The role-swap check reads each fact's words in text order. A fact keeps them as positions
// among its distinct tokens, two bytes each, or four past 65535 tokens: a fact and its words
// reversed (every token shared, no bigram shared, the names' order inverted around the same
// words) are a role swap either way.
TEST(ScorePair, RolesSwappedInShortAndVeryLongFacts) {
  auto reversed = [](const std::vector<std::string>& words) {
    std::vector<std::string> r(words.rbegin(), words.rend());
    return absl::StrJoin(r, " ");
  };
  const std::vector<std::string> short_words = {"Contoso", "acquired", "Fabrikam"};
  absl::StatusOr<PairScore> s = ScorePair(absl::StrJoin(short_words, " "), reversed(short_words));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->order_flipped);

  // 70,000 distinct lowercase words made of letters no suffix rule strips, between two names.
  std::vector<std::string> words = {"Contoso"};
  const std::string letters = "bcfghjkmnpqrtvwxz";
  for (int k = 0; words.size() < 70001; ++k) {
    std::string w = "q";
    for (int v = k; v > 0 || w.size() < 2; v /= static_cast<int>(letters.size())) {
      w.push_back(letters[static_cast<size_t>(v) % letters.size()]);
    }
    words.push_back(w);
  }
  words.push_back("Fabrikam");
  s = ScorePair(absl::StrJoin(words, " "), reversed(words));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_GT(s->jaccard, 0.99);
  EXPECT_LT(s->bigram, 0.01);
  EXPECT_TRUE(s->order_flipped);
  EXPECT_FALSE(s->IsDuplicate(DedupOptions{}));
}

// A short name that the other fact spells out ("MAI" / "Microsoft AI Infrastructure") is a
// name both mention, so it does not make the pair name different entities; one the other does
// not spell out does.
TEST(ScorePair, AnAcronymSpelledOutIsASharedName) {
  const std::string spelled =
      "Kushal said Microsoft AI Infrastructure will receive the first GPU drop in February.";
  absl::StatusOr<PairScore> s =
      ScorePair("Kushal said MAI will receive the first GPU drop in February.", spelled);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->entities_exclusive);
  s = ScorePair("Kushal said XQZ will receive the first GPU drop in February.", spelled);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->entities_exclusive);
}

TEST(Deduplicate, FindsClustersAndKeepsDifferentClaimsApart) {
  std::vector<Item> items = Corpus();
  absl::StatusOr<DedupResult> r = Deduplicate(items, DedupOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  std::set<std::set<std::string>> expected = {{"a:1", "a:2", "a:3"}, {"a:4", "a:5"}};
  EXPECT_EQ(ClusterKeys(items, *r), expected);
  for (const Cluster& c : r->clusters) {
    EXPECT_EQ(c.members[0].item, c.canonical);
    EXPECT_EQ(c.members[0].relation, Relation::kCanonical);
    EXPECT_FALSE(c.reason.empty());
    for (const Member& m : c.members) EXPECT_GE(m.similarity, DedupOptions{}.canonical_floor);
  }
  // The most complete variant is canonical.
  for (const Cluster& c : r->clusters) {
    if (c.members.size() == 3) {
      EXPECT_EQ(items[c.canonical].key, "a:2");
    }
  }
}

TEST(Deduplicate, NoChainingThroughAMiddleFact) {
  // A ~ B (Jaccard 1/3) and B ~ C (1/3), but A and C share nothing: never one cluster.
  std::vector<Item> items = {
      {"alpha bravo charlie delta echo foxtrot golf hotel", "k:1"},
      {"delta echo foxtrot golf hotel india juliet kilo lima mike", "k:2"},
      {"india juliet kilo lima mike november oscar papa", "k:3"},
  };
  absl::StatusOr<DedupResult> r = Deduplicate(items, DedupOptions{});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->clusters.size(), 1u);
  std::set<std::string> keys;
  for (const Member& m : r->clusters[0].members) keys.insert(items[m.item].key);
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_TRUE(keys.count("k:2")) << "the middle fact pairs with one side only";
  EXPECT_FALSE(keys.count("k:1") && keys.count("k:3"));
}

TEST(Deduplicate, SameOutputForShuffledInputAndAnyThreadCount) {
  std::vector<Item> items = Corpus();
  // Grow the corpus with near-copies so the thread pool has work.
  for (int i = 0; i < 200; ++i) {
    items.push_back({"Fact number " + std::to_string(i % 50) +
                         " about storage capacity in region " + std::to_string(i % 7),
                     "g:" + std::to_string(1000 + i)});
  }
  DedupOptions one;
  one.threads = 1;
  absl::StatusOr<DedupResult> base = Deduplicate(items, one);
  ASSERT_TRUE(base.ok());
  std::mt19937 rng(42);
  for (int threads : {1, 2, 4}) {
    std::vector<Item> shuffled = items;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    DedupOptions o;
    o.threads = threads;
    absl::StatusOr<DedupResult> r = Deduplicate(shuffled, o);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(ClusterKeys(shuffled, *r), ClusterKeys(items, *base)) << threads << " threads";
    ASSERT_EQ(r->clusters.size(), base->clusters.size());
    for (size_t c = 0; c < r->clusters.size(); ++c) {
      EXPECT_EQ(shuffled[r->clusters[c].canonical].key, items[base->clusters[c].canonical].key);
      EXPECT_EQ(r->clusters[c].reason, base->clusters[c].reason);
    }
  }
}

// Items that view their texts (Item::text_view) give what items that own them give, whatever
// their `text` holds, including exact copies (grouped by text) and an empty key (the text
// breaks ties).
TEST(Deduplicate, ItemsThatViewTheirTextsGiveTheSameResult) {
  std::vector<Item> owned = Corpus();
  owned.push_back({owned[0].text, "a:9"});  // an exact copy
  owned.push_back({"Jay Parikh is EVP for CoreAI at Microsoft today.", ""});
  owned.push_back({"Jay Parikh is EVP of CoreAI at Microsoft.", ""});
  const std::vector<std::string> texts = [&] {
    std::vector<std::string> t;
    for (const Item& item : owned) t.push_back(item.text);
    return t;
  }();
  std::vector<Item> viewed;
  for (size_t i = 0; i < owned.size(); ++i) {
    Item item;
    item.text = "ignored when text_view is set";
    item.key = owned[i].key;
    item.text_view = texts[i];
    EXPECT_EQ(item.Text(), owned[i].Text());
    EXPECT_EQ(item.Text().data(), texts[i].data());  // not copied
    viewed.push_back(std::move(item));
  }
  for (Method method : {Method::kVerified, Method::kMinHash}) {
    DedupOptions o;
    o.method = method;
    absl::StatusOr<DedupResult> a = Deduplicate(owned, o);
    absl::StatusOr<DedupResult> b = Deduplicate(viewed, o);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->clusters.size(), b->clusters.size());
    EXPECT_GE(a->clusters.size(), 2u);
    for (size_t c = 0; c < a->clusters.size(); ++c) {
      EXPECT_EQ(a->clusters[c].canonical, b->clusters[c].canonical);
      EXPECT_EQ(a->clusters[c].reason, b->clusters[c].reason);
      ASSERT_EQ(a->clusters[c].members.size(), b->clusters[c].members.size());
      for (size_t m = 0; m < a->clusters[c].members.size(); ++m) {
        EXPECT_EQ(a->clusters[c].members[m].item, b->clusters[c].members[m].item);
        EXPECT_EQ(a->clusters[c].members[m].similarity, b->clusters[c].members[m].similarity);
        EXPECT_EQ(a->clusters[c].members[m].relation, b->clusters[c].members[m].relation);
      }
    }
  }
}

TEST(Deduplicate, MinHashBaselineChainsByDesign) {
  std::vector<Item> items = Corpus();
  DedupOptions o;
  o.method = Method::kMinHash;
  absl::StatusOr<DedupResult> r = Deduplicate(items, o);
  ASSERT_TRUE(r.ok());
  // The bag-of-words baseline cannot tell the swapped roles apart.
  bool swapped_together = false;
  for (const Cluster& c : r->clusters) {
    std::set<std::string> keys;
    for (const Member& m : c.members) keys.insert(items[m.item].key);
    swapped_together |= keys.count("a:6") && keys.count("a:7");
  }
  EXPECT_TRUE(swapped_together);
}

// A capitalized word that only ever opens sentences is still a name when the corpus never
// writes it in lowercase and shows it capitalized mid-sentence elsewhere.
TEST(Deduplicate, LearnsNamesThatOpenSentencesFromTheCorpus) {
  const std::vector<Item> items = {
      {"Qualytic expects revenue of $80M from edge compute in October 2027.", "a"},
      {"Novtex expects revenue of $80M from edge compute in October 2027.", "b"},
      {"A partner of Qualytic and Novtex met in Paris.", "c"},
  };
  // Without the corpus the two openers are ordinary words and the pair looks alike.
  absl::StatusOr<PairScore> alone = ScorePair(items[0].text, items[1].text);
  ASSERT_TRUE(alone.ok());
  EXPECT_FALSE(alone->entities_differ);
  EXPECT_TRUE(alone->IsDuplicate(DedupOptions{}));
  absl::StatusOr<DedupResult> r = Deduplicate(items, DedupOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->clusters.empty()) << "merged facts about two companies";
}

TEST(Deduplicate, RejectsBadThreshold) {
  DedupOptions o;
  o.threshold = 0;
  EXPECT_FALSE(Deduplicate(Corpus(), o).ok());
}

// The index of the cluster holding `item`, or -1.
int ClusterOf(const DedupResult& r, int item) {
  for (size_t c = 0; c < r.clusters.size(); ++c) {
    for (const Member& m : r.clusters[c].members) {
      if (m.item == item) return static_cast<int>(c);
    }
  }
  return -1;
}

// From data/vault: two truncated merged facts ("2025-12-11: ... testing a VAST PoC ... but
// lacks GPU nodes, so t...", compared without the log date as `scan` does) tie the claim that the
// lab lacks GPU nodes to the claim that it tests a VAST PoC. Each names something the other does
// not (GPU; VAST, Data), and they are only ~0.15 alike: the GPU facts stay out of the PoC cluster
// (cleaning would otherwise drop a distinct claim). In the whole vault this happens at the default
// thresholds; in these seven facts alone (other corpus weights) at looser ones.
// distinct_entities_floor 0 restores the old chaining.
TEST(Deduplicate, WeakLinkBetweenFactsNamingDifferentThingsDoesNotJoin) {
  const std::vector<Item> items = {
      {"Microsoft has a physical VAST Data proof-of-concept system installed in Microsoft's lab "
       "in Redmond and is actively testing it.",
       "a:43"},
      {"Microsoft's Redmond lab currently does not have GPU nodes available for testing.", "a:45"},
      {"Microsoft has a physical VAST PoC system installed in Microsoft's lab in Redmond and is "
       "actively testing it.",
       "a:85"},
      {"Microsoft's Redmond lab does not currently have GPU nodes available for testing.", "a:87"},
      {"Microsoft is testing a physical VAST POC system in Microsoft's Redmond lab but "
       "lacks GPU nodes, so t...",
       "a:122"},
      {"Microsoft Redmond lab testing of physical VAST PoC system", "a:246"},
      {"Microsoft is testing a physical VAST PoC system in Microsoft's Redmond lab but "
       "lacks GPU nodes, so t...",
       "a:148"},
  };
  DedupOptions loose;
  loose.threshold = 0.2;
  loose.canonical_floor = 0.05;
  auto cluster_of = ClusterOf;
  absl::StatusOr<PairScore> s = ScorePair(items[0].text, items[1].text);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->entities_exclusive);
  EXPECT_FALSE(s->entities_differ);  // they share Microsoft and Redmond
  absl::StatusOr<DedupResult> r = Deduplicate(items, loose);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(cluster_of(*r, 0), -1);
  EXPECT_EQ(cluster_of(*r, 0), cluster_of(*r, 4));  // the merged facts stay with the PoC
  EXPECT_NE(cluster_of(*r, 1), -1);                 // the GPU facts form their own cluster
  EXPECT_EQ(cluster_of(*r, 1), cluster_of(*r, 3));
  EXPECT_EQ(cluster_of(*r, 0), cluster_of(*r, 2));
  EXPECT_NE(cluster_of(*r, 1), cluster_of(*r, 0));
  EXPECT_NE(cluster_of(*r, 3), cluster_of(*r, 0));
  DedupOptions chaining = loose;
  chaining.distinct_entities_floor = 0;
  r = Deduplicate(items, chaining);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(cluster_of(*r, 0), -1);
  EXPECT_EQ(cluster_of(*r, 1), cluster_of(*r, 0));
}

// Texts with the same tokens are copies only when verification would score them alike: the
// capitalized "Ana Lima" names a person, the lowercase one does not, so only the lowercase one
// is a duplicate of "Anna Lima" (a name spelled two ways disagrees). Grouped as copies, the
// lowercase text would never be compared with "Anna Lima".
TEST(Deduplicate, TextsThatScoreDifferentlyAreNotCopies) {
  const std::vector<Item> items = {
      {"Contoso signed the storage deal with Ana Lima in Lisbon last spring.", "a"},
      {"contoso signed the storage deal with ana lima in lisbon last spring.", "b"},
      {"Contoso signed the storage deal with Anna Lima in Lisbon last spring.", "c"},
  };
  absl::StatusOr<PairScore> ac = ScorePair(items[0].text, items[2].text);
  ASSERT_TRUE(ac.ok());
  EXPECT_TRUE(ac->names_disagree);
  absl::StatusOr<DedupResult> r = Deduplicate(items, DedupOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(ClusterOf(*r, 1), -1);
  EXPECT_EQ(ClusterOf(*r, 1), ClusterOf(*r, 2));
}

// Items with the same text are normalized once and share the features of the first; every
// item still reports its own normalization. Oracle: the same items with each repeat made
// distinct by trailing spaces (normalized alike, but not grouped) give the same result.
TEST(Deduplicate, RepeatedTextsAreNormalizedOnceWithTheSameResult) {
  const std::vector<std::string> texts = {
      "Contoso signed a three-year Azure commitment worth $5M in March 2026.",
      "In March 2026 Contoso signed a three-year Azure commitment worth $5M.",
      "Fabrikam moved its cold archive to Azure Blob storage in Oslo.",
      "Fabrikam's cold archive moved to Azure Blob storage (Oslo) ...",
      "Microsoft\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s GPU drop arrives in February 2026.",
      "Microsoft's GPU drop arrives in Feb 2026.",
      "Lior met Kushal about the roadmap.",
  };
  std::vector<Item> repeated, distinct;
  std::mt19937 rng(7);
  for (int i = 0; i < 60; ++i) {
    const size_t t = rng() % texts.size();
    const std::string key = "k" + std::to_string(100 + i);
    repeated.push_back({texts[t], key});
    distinct.push_back({texts[t] + std::string(static_cast<size_t>(i + 1), ' '), key});
  }
  Normalizer normalizer;
  for (int threads : {1, 2}) {
    DedupOptions o;
    o.threads = threads;
    std::mutex mu;
    std::vector<int> calls(repeated.size(), 0);
    std::vector<std::vector<std::string>> seen(repeated.size());
    o.on_normalized = [&](size_t i, const NormalizedText& t) {
      std::lock_guard<std::mutex> lock(mu);
      ++calls[i];
      for (const Token& tok : t.all_tokens) seen[i].push_back(tok.text);
    };
    absl::StatusOr<DedupResult> a = Deduplicate(repeated, o);
    ASSERT_TRUE(a.ok()) << a.status();
    for (size_t i = 0; i < repeated.size(); ++i) {
      EXPECT_EQ(calls[i], 1) << i;
      absl::StatusOr<NormalizedText> want = normalizer.Normalize(repeated[i].text);
      ASSERT_TRUE(want.ok());
      std::vector<std::string> want_tokens;
      for (const Token& tok : want->all_tokens) want_tokens.push_back(tok.text);
      EXPECT_EQ(seen[i], want_tokens) << i;
    }
    o.on_normalized = nullptr;
    absl::StatusOr<DedupResult> b = Deduplicate(distinct, o);
    ASSERT_TRUE(b.ok()) << b.status();
    ASSERT_EQ(a->clusters.size(), b->clusters.size());
    for (size_t c = 0; c < a->clusters.size(); ++c) {
      EXPECT_EQ(a->clusters[c].canonical, b->clusters[c].canonical);
      ASSERT_EQ(a->clusters[c].members.size(), b->clusters[c].members.size()) << c;
      for (size_t m = 0; m < a->clusters[c].members.size(); ++m) {
        EXPECT_EQ(a->clusters[c].members[m].item, b->clusters[c].members[m].item);
        EXPECT_EQ(a->clusters[c].members[m].similarity, b->clusters[c].members[m].similarity);
        EXPECT_EQ(a->clusters[c].members[m].relation, b->clusters[c].members[m].relation);
      }
    }
    EXPECT_EQ(a->stats.duplicate_pairs, b->stats.duplicate_pairs);
    EXPECT_GE(a->clusters.size(), 3u);
  }
}

// A fact copied into more notes than max_bucket_size fills every LSH, SimHash and rare-word
// bucket it is in; its copies are sketched once, so they still form one cluster, and a
// paraphrase of it still joins (it shares buckets with the one sketched copy).
TEST(Deduplicate, FactCopiedPastTheBucketCapIsOneCluster) {
  std::vector<Item> items;
  for (int i = 0; i < 80; ++i) {  // more than the 64 a component scores all pairs of
    items.push_back({"Contoso signed a three-year Azure commitment worth $5M in March 2026.",
                     "copy" + std::to_string(100 + i)});
  }
  items.push_back(
      {"In March 2026 Contoso signed a three-year Azure commitment worth $5M.", "para"});
  items.push_back({"Fabrikam moved its cold archive to Azure Blob storage in Oslo.", "other"});
  DedupOptions o;
  o.max_bucket_size = 10;  // 80 copies: every bucket of theirs is oversized
  o.rare_word_bucket = 10;
  o.simhash_distance = 8;  // off by default: its buckets too
  for (int threads : {1, 2}) {
    o.threads = threads;
    absl::StatusOr<DedupResult> r = Deduplicate(items, o);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->clusters.size(), 1u);
    EXPECT_EQ(r->clusters[0].members.size(), 81u);
    EXPECT_EQ(r->clusters[0].canonical, 0);  // "copy100": first key among equals
    EXPECT_EQ(r->stats.oversized_buckets_items, 0);
    for (int focus : {80, 37}) {  // the paraphrase, and a copy that is not the sketched one
      absl::StatusOr<DedupResult> around = DeduplicateAround(items, {focus}, o);
      ASSERT_TRUE(around.ok()) << around.status();
      ASSERT_EQ(around->clusters.size(), 1u);
      EXPECT_EQ(around->clusters[0].members.size(), 81u);
    }
  }
}

// A fact joins a cluster only if it agrees with every member, not just the canonical: two
// members that each match the canonical but disagree with each other on a value or on a
// name's spelling end up apart.
TEST(Deduplicate, AMemberThatDisagreesWithAnotherMemberStaysOut) {
  struct Case {
    const char* what;
    std::vector<std::string> texts;  // canonical, then two members that disagree
  };
  const std::vector<Case> cases = {
      {"values",
       {"On March 3, 2026 Contoso signed the Osaka storage expansion deal with Fabrikam for "
        "$5M, covering flash capacity, support and onsite services for the AI cluster",
        "On March 3, 2026 Contoso signed the Osaka storage expansion deal for 20 PB of flash "
        "capacity for the AI cluster",
        "On March 3, 2026 Contoso signed the Osaka storage expansion deal for 30 PB of flash "
        "capacity for the AI cluster"}},
      {"names",
       {"Peter from Contoso approved the Osaka storage expansion budget on March 3, 2026 for "
        "$5M with flash capacity, support and onsite services for the AI cluster",
        "Peter Stephenson approved the Osaka storage expansion budget on March 3, 2026 for "
        "the AI cluster",
        "Peter Stefanson approved the Osaka storage expansion budget on March 3, 2026 for the "
        "AI cluster"}},
  };
  for (const Case& c : cases) {
    std::vector<Item> items;
    for (size_t k = 0; k < c.texts.size(); ++k) items.push_back({c.texts[k], std::to_string(k)});
    absl::StatusOr<DedupResult> r = Deduplicate(items, DedupOptions{});
    ASSERT_TRUE(r.ok()) << r.status();
    // Each disagreeing member is a duplicate of the canonical on its own...
    for (int m : {1, 2}) {
      const std::vector<Item> two = {items[0], items[static_cast<size_t>(m)]};
      absl::StatusOr<DedupResult> pair = Deduplicate(two, DedupOptions{});
      ASSERT_TRUE(pair.ok());
      EXPECT_EQ(pair->clusters.size(), 1u) << c.what << ": member " << m;
    }
    // ...but never in one cluster with the other.
    for (const Cluster& cl : r->clusters) {
      std::set<int> in;
      for (const Member& m : cl.members) in.insert(m.item);
      EXPECT_FALSE(in.count(1) && in.count(2)) << c.what;
    }
    EXPECT_FALSE(r->clusters.empty()) << c.what;
  }
}

// The full pass's verification (summaries first, then the checks until one says no) accepts
// exactly the pairs the whole Score accepts, over every pair of the sample vault's bullets
// and of pairs made to trip each check.
TEST(AuditVerification, FullPassVerificationEqualsScoreOverEveryPair) {
  std::vector<Item> items = {
      {"Contoso acquired Fabrikam for its storage business in 2024.", "r1"},
      {"Fabrikam acquired Contoso for its storage business in 2024.", "r2"},
      {"Fabrikam was acquired by Contoso for its storage business in 2024.", "r3"},
      {"Peter Stephenson approved the Azure storage budget for the Redmond lab.", "n1"},
      {"Peter Stefanson approved the Azure storage budget for the Redmond lab.", "n2"},
      {"Contoso signed a $5M deal for 20 PB of storage in March 2026.", "v1"},
      {"Contoso signed a $7M deal for 20 PB of storage in March 2026.", "v2"},
      {"Omar Farouk reported that Contoso's pilot in Osaka starts next quarter.", "e1"},
      {"Diego Weber reported that Contoso's pilot in Madrid starts next quarter.", "e2"},
      {"2025-12-11: Contoso's pilot in Osaka starts next quarter.", "d1"},
      {"2025-12-18: Contoso's pilot in Osaka starts next quarter.", "d2"},
  };
  const std::filesystem::path data = std::filesystem::path(FACTDEDUP_SOURCE_DIR) / "data" / "vault";
  std::error_code ec;
  ASSERT_TRUE(std::filesystem::exists(data, ec));
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(data, ec)) {
    if (entry.path().extension() == ".md") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& f : files) {
    std::ifstream in(f);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.rfind("- ", 0) == 0 && line.size() > 12) {
        items.push_back({line.substr(2), f.filename().string() + ":" + std::to_string(n)});
      }
    }
  }
  ASSERT_GT(items.size(), 200u);
  absl::StatusOr<VerificationAudit> audit = AuditVerification(items);
  ASSERT_TRUE(audit.ok()) << audit.status();
  EXPECT_EQ(audit->verified, audit->scored);
  EXPECT_GT(audit->scored.size(), 50u);
  // The summaries settle most pairs: the comparison above covers their shortcut.
  EXPECT_GT(audit->ruled_out, audit->pairs / 2);
  auto has = [&](int i, int j) {
    return std::binary_search(audit->scored.begin(), audit->scored.end(), std::make_pair(i, j));
  };
  // Each made pair is told apart by a check, not by its similarity.
  EXPECT_FALSE(has(0, 1));   // roles swapped
  EXPECT_FALSE(has(3, 4));   // a name spelled two ways
  EXPECT_FALSE(has(5, 6));   // amounts
  EXPECT_FALSE(has(7, 8));   // different people and places
  EXPECT_FALSE(has(9, 10));  // log dates
}

}  // namespace
}  // namespace factdedup::dedup
