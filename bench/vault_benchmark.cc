// Benchmarks of the vault stages `factdedup scan` runs after the engine's own (see
// engine_benchmark.cc): reading and parsing every note, the whole scan, conflicts, the
// `scan --json` document and clean's plan. items/s are facts per second, bytes/s note bytes
// per second. Each checks its answer so a fast wrong result cannot pass.
//
// By default they run on data/vault (197 facts). For a realistic size:
//   build/bench/gen_vault_tool --facts 10000 --seed 1 --out /tmp/v10k
//   FACTDEDUP_BENCH_VAULT=/tmp/v10k/vault build/bench/vault_benchmark
#include <cstdlib>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "provenance/clean.h"
#include "provenance/config.h"
#include "provenance/conflicts.h"
#include "provenance/scan.h"
#include "provenance/scan_json.h"
#include "provenance/vault.h"

namespace factdedup::provenance {
namespace {

std::string VaultRoot() {
  const char* env = std::getenv("FACTDEDUP_BENCH_VAULT");
  return env != nullptr && *env != 0 ? env : std::string(FACTDEDUP_SOURCE_DIR) + "/data/vault";
}

// The vault, its scan and conflicts, loaded once for the benchmarks that start later.
struct Loaded {
  Vault vault;
  ScanResult scan;
  std::vector<Conflict> conflicts;
  int64_t facts = 0, bytes = 0;
};

const Loaded& Shared() {
  static const Loaded* loaded = [] {
    auto* l = new Loaded;
    absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), VaultRoot());
    if (!config.ok()) std::abort();
    absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), VaultRoot(), *config);
    if (!vault.ok() || vault->notes.empty()) std::abort();
    l->vault = *std::move(vault);
    absl::StatusOr<ScanResult> scan = ScanVault(l->vault, l->vault.config.dedup);
    if (!scan.ok()) std::abort();
    l->scan = *std::move(scan);
    absl::StatusOr<std::vector<Conflict>> conflicts = FindConflicts(l->vault, l->scan);
    if (!conflicts.ok()) std::abort();
    l->conflicts = *std::move(conflicts);
    l->facts = static_cast<int64_t>(l->scan.facts.size());
    for (const Note& n : l->vault.notes) l->bytes += static_cast<int64_t>(n.content.size());
    return l;
  }();
  return *loaded;
}

void Count(benchmark::State& state, const Loaded& l) {
  state.SetItemsProcessed(state.iterations() * l.facts);
  state.SetBytesProcessed(state.iterations() * l.bytes);
  state.counters["facts"] = static_cast<double>(l.facts);
}

void BM_LoadVault(benchmark::State& state) {
  const Loaded& l = Shared();
  absl::StatusOr<Config> config = LoadConfig(DefaultFileSystem(), VaultRoot());
  for (auto _ : state) {
    absl::StatusOr<Vault> vault = LoadVault(DefaultFileSystem(), VaultRoot(), *config);
    if (!vault.ok() || vault->notes.size() != l.vault.notes.size()) {
      state.SkipWithError("the vault did not load as before");
      return;
    }
    benchmark::DoNotOptimize(vault->notes.data());
  }
  Count(state, l);
}
BENCHMARK(BM_LoadVault)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ScanVault(benchmark::State& state) {
  const Loaded& l = Shared();
  for (auto _ : state) {
    absl::StatusOr<ScanResult> scan = ScanVault(l.vault, l.vault.config.dedup);
    if (!scan.ok() || scan->dedup.clusters.size() != l.scan.dedup.clusters.size()) {
      state.SkipWithError("clusters differ from the first scan");
      return;
    }
  }
  Count(state, l);
}
BENCHMARK(BM_ScanVault)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FindConflicts(benchmark::State& state) {
  const Loaded& l = Shared();
  for (auto _ : state) {
    absl::StatusOr<std::vector<Conflict>> c = FindConflicts(l.vault, l.scan);
    if (!c.ok() || c->size() != l.conflicts.size()) {
      state.SkipWithError("conflicts differ from the first run");
      return;
    }
  }
  Count(state, l);
}
BENCHMARK(BM_FindConflicts)->Unit(benchmark::kMillisecond)->UseRealTime();

// Counts the bytes written and drops them.
class CountingBuf : public std::streambuf {
 public:
  int64_t written = 0;

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    written += n;
    return n;
  }
  int overflow(int c) override {
    ++written;
    return c;
  }
};

void BM_WriteScanJson(benchmark::State& state) {
  const Loaded& l = Shared();
  for (auto _ : state) {
    CountingBuf buf;
    std::ostream out(&buf);
    WriteScanJson(out, l.vault, l.scan, l.conflicts);
    if (buf.written < l.facts) {
      state.SkipWithError("document shorter than one byte per fact");
      return;
    }
  }
  Count(state, l);
}
BENCHMARK(BM_WriteScanJson)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PlanClean(benchmark::State& state) {
  const Loaded& l = Shared();
  CleanOptions options;
  options.conflicts = &l.conflicts;
  for (auto _ : state) {
    absl::StatusOr<CleanPlan> plan = PlanClean(l.vault, l.scan, options);
    if (!plan.ok()) {
      state.SkipWithError("plan failed");
      return;
    }
    benchmark::DoNotOptimize(plan->pages.data());
  }
  Count(state, l);
}
BENCHMARK(BM_PlanClean)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace factdedup::provenance

BENCHMARK_MAIN();
