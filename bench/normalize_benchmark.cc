// Normalizer throughput over short facts (~150 bytes), ASCII (fast path) and non-ASCII (ICU).
// Each benchmark first checks one result against known tokens, so a fast wrong answer fails.
#include <cstdlib>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "dedup/internal/normalize_internal.h"
#include "dedup/normalize.h"

namespace factdedup::dedup {
namespace {

const std::vector<std::string>& AsciiFacts() {
  static const auto* const kFacts = new std::vector<std::string>{
      "Microsoft's internal \"Big Pause\" on AI infrastructure capacity is described as over, "
      "and Microsoft is scrambling for near-term capacity.",
      "OpenAI will purchase more than $250B of Azure services; there is no right-of-first-"
      "refusal for Microsoft and both parties can pursue AGI.",
      "On 2025-10-28, Microsoft disclosed an updated Microsoft-OpenAI agreement: Microsoft IP "
      "rights are extended to 2032 and research IP access ends.",
      "SemiAnalysis claims the economic life of GPUs in Microsoft's fleet extends beyond a 2-3 "
      "year cycle, implying long-lived clusters with 2EB of data.",
  };
  return *kFacts;
}

const std::vector<std::string>& NonAsciiFacts() {
  static const auto* const kFacts = new std::vector<std::string>{
      "Microsoft\xE2\x80\x99s internal \xE2\x80\x9C"
      "Big Pause\xE2\x80\x9D on AI infrastructure "
      "capacity is described as over \xE2\x80\x94 Microsoft is scrambling for capacity.",
      "SemiAnalysis claims post-training compute is ramping quickly; Microsoft\xC3\xA2\xE2\x82\xAC"
      "\xE2\x84\xA2s fleet is described as fungible and latency-insensitive.",
      "Jos\xC3\xA9 Mart\xC3\xADnez met the M\xC3\xBCnchen team on January 6, 2026 to discuss the "
      "\xE2\x82\xAC"
      "3M caf\xC3\xA9 deal and the Stra\xC3\x9F"
      "e office.",
      "\xE5\xBE\xAE\xE8\xBD\xAF\xE7\x9A\x84\xE4\xBA\xBA\xE5\xB7\xA5\xE6\x99\xBA\xE8\x83\xBD "
      "capacity grew 15% in Q1 2026 \xE2\x80\x93 Azure Foundry is a \xE2\x80\x9Ctoken "
      "factory\xE2\x80\x9D\xE2\x80\xA6",
  };
  return *kFacts;
}

// Guards against a fast wrong answer: the header example must still come out right.
void CheckOrDie(const Normalizer& n) {
  absl::StatusOr<NormalizedText> t =
      n.Normalize("Microsoft\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2s $250B deal ...");
  if (!t.ok() || t->tokens.size() != 3 || t->tokens[0].text != "microsoft" ||
      t->tokens[1].text != "$250000000000" || t->tokens[2].text != "deal") {
    std::abort();
  }
}

void RunFacts(benchmark::State& state, const std::vector<std::string>& facts,
              internal::AsciiPath path) {
  static const Normalizer* const kNormalizer = new Normalizer();
  CheckOrDie(*kNormalizer);
  const NormalizeOptions options;
  int64_t bytes = 0;
  size_t tokens = 0;
  for (auto _ : state) {
    for (const std::string& fact : facts) {
      absl::StatusOr<NormalizedText> t =
          path == internal::AsciiPath::kFast
              ? kNormalizer->Normalize(fact)
              : internal::NormalizeText(options, fact, internal::AsciiPath::kForceIcu);
      tokens += t->tokens.size();
      benchmark::DoNotOptimize(t);
      bytes += static_cast<int64_t>(fact.size());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(facts.size()));
  state.SetBytesProcessed(bytes);
  state.counters["tokens_per_fact"] = benchmark::Counter(
      static_cast<double>(tokens) / static_cast<double>(state.iterations() * facts.size()),
      benchmark::Counter::kAvgThreads);
}

void BM_NormalizeAscii(benchmark::State& state) {
  RunFacts(state, AsciiFacts(), internal::AsciiPath::kFast);
}
BENCHMARK(BM_NormalizeAscii)->ThreadRange(1, 2)->UseRealTime();

// The same ASCII facts through the ICU path: what the fast path saves.
void BM_NormalizeAsciiForcedIcu(benchmark::State& state) {
  RunFacts(state, AsciiFacts(), internal::AsciiPath::kForceIcu);
}
BENCHMARK(BM_NormalizeAsciiForcedIcu)->ThreadRange(1, 2)->UseRealTime();

void BM_NormalizeNonAscii(benchmark::State& state) {
  RunFacts(state, NonAsciiFacts(), internal::AsciiPath::kFast);
}
BENCHMARK(BM_NormalizeNonAscii)->ThreadRange(1, 2)->UseRealTime();

void BM_RepairMojibake(benchmark::State& state) {
  const std::string text = NonAsciiFacts()[1];
  for (auto _ : state) {
    bool repaired = false;
    benchmark::DoNotOptimize(RepairMojibake(text, &repaired));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_RepairMojibake);

}  // namespace
}  // namespace factdedup::dedup

BENCHMARK_MAIN();
