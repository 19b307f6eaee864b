// Benchmarks of the sketching stages: shingling, MinHash signing, LSH candidate generation,
// SimHash and the SimHash index. Inputs are synthetic facts of ~25 tokens built from families
// of paraphrases (see Facts below). Benchmarks that produce pairs check them against what the
// input guarantees, so a fast wrong answer fails (SkipWithError) instead of reporting a speed.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "dedup/hash.h"
#include "dedup/minhash.h"
#include "dedup/simhash.h"

namespace factdedup::dedup {
namespace {

constexpr int kTokensPerFact = 25;
constexpr int kFamilySize = 4;

// `n` facts of kTokensPerFact token strings. Facts come in families of kFamilySize; members
// replace 3 of the family's tokens (unigram Jaccard >= 19/31 ~ 0.6 within a family), and
// every fact carries two of a page's five topic words (pages of 100 facts).
std::vector<std::vector<std::string>> Facts(int n, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<std::string>> facts;
  facts.reserve(n);
  std::vector<std::string> base;
  for (int i = 0; i < n; ++i) {
    const int page = i / 100;
    if (i % kFamilySize == 0) {
      base.clear();
      base.push_back(absl::StrCat("topic", page, "_", rng() % 5));
      base.push_back(absl::StrCat("topic", page, "_", rng() % 5));
      while (base.size() < size_t{kTokensPerFact})
        base.push_back(absl::StrCat("w", rng() % 1000000));
    }
    std::vector<std::string> fact = base;
    for (int r = 0; r < 3; ++r) fact[2 + rng() % (kTokensPerFact - 2)] = absl::StrCat("w", rng());
    facts.push_back(std::move(fact));
  }
  return facts;
}

std::vector<std::vector<uint64_t>> FactShingles(int n) {
  std::vector<std::vector<uint64_t>> out;
  for (const auto& fact : Facts(n)) out.push_back(ShingleHashes(fact, 1));
  return out;
}

void BM_ShingleHashes(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));  // shingle size
  const std::vector<std::vector<std::string>> facts = Facts(1000);
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ShingleHashes(facts[i], n));
    for (const std::string& t : facts[i]) bytes += static_cast<int64_t>(t.size());
    if (++i == facts.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_ShingleHashes)->Arg(1)->Arg(2)->Arg(3);

void BM_MinHashSign(benchmark::State& state) {
  const MinHasher mh({.num_perm = static_cast<int>(state.range(0))});
  const std::vector<std::vector<uint64_t>> shingles = FactShingles(1000);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(mh.Sign(shingles[i]));
    if (++i == shingles.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MinHashSign)->Arg(64)->Arg(128)->Arg(256)->ThreadRange(1, 2);

void BM_EstimateJaccard(benchmark::State& state) {
  const MinHasher mh;
  const std::vector<std::vector<uint64_t>> shingles = FactShingles(2);
  const MinHashSignature a = mh.Sign(shingles[0]), b = mh.Sign(shingles[1]);
  for (auto _ : state) benchmark::DoNotOptimize(EstimateJaccard(a, b));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EstimateJaccard);

// Every family pair has Jaccard >= 0.6, where the default 26 x 2 S-curve gives P > 0.9999;
// the benchmark fails if fewer than 99.9% of them are candidates.
bool CheckFamilyRecall(const std::vector<std::pair<uint32_t, uint32_t>>& pairs, int n,
                       benchmark::State& state) {
  const int families = n / kFamilySize;
  const int64_t want = int64_t{families} * kFamilySize * (kFamilySize - 1) / 2;
  int64_t found = 0;
  for (auto [i, j] : pairs) found += i / kFamilySize == j / kFamilySize;
  state.counters["candidates_per_fact"] = static_cast<double>(pairs.size()) / n;
  if (found * 1000 < want * 999) {
    state.SkipWithError("LSH missed family pairs");
    return false;
  }
  return true;
}

// Add N signatures and generate candidates: the LSH stage for a corpus of N facts.
void BM_LshAddAndCandidates(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const MinHasher mh;
  std::vector<MinHashSignature> sigs;
  sigs.reserve(n);
  for (const auto& s : FactShingles(n)) sigs.push_back(mh.Sign(s));
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  for (auto _ : state) {
    LshIndex lsh;
    for (int i = 0; i < n; ++i) lsh.Add(static_cast<uint32_t>(i), sigs[i]);
    pairs = lsh.CandidatePairs();
    benchmark::DoNotOptimize(pairs.data());
  }
  if (!CheckFamilyRecall(pairs, n, state)) return;
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_LshAddAndCandidates)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Unit(benchmark::kMillisecond);

void BM_SimHash(benchmark::State& state) {
  const bool weighted = state.range(0) != 0;
  const std::vector<std::vector<uint64_t>> shingles = FactShingles(1000);
  const std::vector<double> weights(kTokensPerFact, 1.5);
  size_t i = 0;
  for (auto _ : state) {
    const auto& s = shingles[i];
    benchmark::DoNotOptimize(SimHash(
        s, weighted ? absl::MakeConstSpan(weights).first(s.size()) : absl::Span<const double>()));
    if (++i == shingles.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimHash)->Arg(0)->Arg(1);

// N SimHashes (of the synthetic facts: families are close, pages share topic words) into an
// index at max_distance 6, then all pairs. Args: N, key_blocks. Checked against brute force
// for N <= 10000.
void BM_SimHashIndexQuery(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int key_blocks = static_cast<int>(state.range(1));
  constexpr int kDistance = 6;
  std::vector<uint64_t> hashes;
  hashes.reserve(n);
  for (const auto& s : FactShingles(n)) hashes.push_back(SimHash(s));
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  std::vector<uint32_t> oversized;
  for (auto _ : state) {
    SimHashIndex index(kDistance, 2000, key_blocks);
    for (int i = 0; i < n; ++i) index.Add(static_cast<uint32_t>(i), hashes[i]);
    index.FindCandidates(&pairs, &oversized);
    benchmark::DoNotOptimize(pairs.data());
  }
  // key_blocks = 1 at 1M overflows buckets (9-10 bit keys); reported, not an error.
  state.counters["oversized_ids"] = static_cast<double>(oversized.size());
  if (!oversized.empty() && key_blocks > 1) {
    state.SkipWithError("unexpected oversized buckets");
    return;
  }
  if (n <= 10000) {
    size_t want = 0;
    for (int i = 0; i < n; ++i) {
      for (int j = i + 1; j < n; ++j) want += HammingDistance(hashes[i], hashes[j]) <= kDistance;
    }
    if (pairs.size() != want) {
      state.SkipWithError("SimHashIndex disagrees with brute force");
      return;
    }
  }
  state.counters["pairs_per_fact"] = static_cast<double>(pairs.size()) / n;
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_SimHashIndexQuery)
    ->ArgsProduct({{1000, 10000, 100000, 1000000}, {1, 2}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace factdedup::dedup

BENCHMARK_MAIN();
