// Benchmarks of the dedup engine: pair verification and the whole pipeline over generated
// facts. Each checks its answer so a fast wrong result cannot pass.
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "dedup/engine.h"

namespace factdedup::dedup {
namespace {

// A word made of letters only (digits would be compared as numbers that disagree).
std::string Letters(int v) {
  std::string s;
  do {
    s.push_back(static_cast<char>('a' + v % 26));
    v /= 26;
  } while (v > 0);
  return s;
}

// Families of paraphrases: family f has variants that share most words; families are unrelated.
std::vector<Item> MakeFacts(int n) {
  static const char* kWords[] = {"storage", "capacity", "cluster", "azure",   "lab",   "gpu",
                                 "nodes",   "testing",  "partner", "deal",    "price", "region",
                                 "plan",    "supply",   "chain",   "flash",   "drive", "order",
                                 "network", "egress",   "tenant",  "foundry", "token", "model"};
  std::vector<Item> items;
  for (int i = 0; i < n; ++i) {
    int family = i / 4, variant = i % 4;
    std::string text = "account" + Letters(family) + " reported";
    for (int w = 0; w < 12; ++w) {
      if (w == variant * 3) continue;  // each variant drops a different word
      text += " ";
      text += kWords[(family * 7 + w * 5) % 24];
      text += Letters((family * 13 + w) % 4999);
    }
    items.push_back({text, "k" + std::to_string(i)});
  }
  return items;
}

void BM_ScorePair(benchmark::State& state) {
  Normalizer normalizer;
  DedupOptions options;
  const std::string a =
      "Microsoft has a physical VAST Data proof-of-concept system installed in Microsoft's lab in "
      "Redmond and is actively testing it.";
  const std::string b =
      "Microsoft has a physical VAST PoC system installed in Microsoft's lab in Redmond and is "
      "actively testing it.";
  for (auto _ : state) {
    absl::StatusOr<PairScore> s = ScorePair(normalizer, a, b, options);
    if (!s.ok() || !s->IsDuplicate(options)) state.SkipWithError("expected a duplicate");
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(a.size() + b.size()));
}
BENCHMARK(BM_ScorePair);

void BM_Deduplicate(benchmark::State& state) {
  std::vector<Item> items = MakeFacts(static_cast<int>(state.range(0)));
  DedupOptions options;
  options.threads = static_cast<int>(state.range(1));
  for (auto _ : state) {
    absl::StatusOr<DedupResult> r = Deduplicate(items, options);
    if (!r.ok() || r->clusters.size() < items.size() / 8) {
      state.SkipWithError(
          ("families not found: " + std::to_string(r.ok() ? r->clusters.size() : 0)).c_str());
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(items.size()));
  int64_t bytes = 0;
  for (const Item& item : items) bytes += static_cast<int64_t>(item.Text().size());
  state.SetBytesProcessed(state.iterations() * bytes);
}
BENCHMARK(BM_Deduplicate)
    ->Args({10000, 1})
    ->Args({10000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace factdedup::dedup

BENCHMARK_MAIN();
