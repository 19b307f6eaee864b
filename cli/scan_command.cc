// `factdedup scan` and `factdedup eval`.
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/indexed_scan.h"
#include "dedup/eval.h"
#include "provenance/check.h"
#include "provenance/conflicts.h"
#include "provenance/gold.h"
#include "provenance/scan.h"
#include "provenance/scan_json.h"

namespace factdedup::cli {
namespace {

using provenance::Fact;
using provenance::ScanResult;
using provenance::Vault;

// Applies --threshold, --method and --threads over the config's dedup options.
absl::Status ApplyDedupFlags(const ParsedArgs& args, dedup::DedupOptions* options) {
  if (args.Has("threshold")) {
    double t;
    if (!absl::SimpleAtod(args.Get("threshold"), &t) || !(t > 0 && t <= 1)) {
      return absl::InvalidArgumentError("--threshold must be a number in (0, 1]");
    }
    options->threshold = t;
  }
  if (args.Has("method")) {
    std::string m = args.Get("method");
    if (m == "verified") {
      options->method = dedup::Method::kVerified;
    } else if (m == "minhash") {
      options->method = dedup::Method::kMinHash;
    } else {
      return absl::InvalidArgumentError("--method must be 'verified' or 'minhash'");
    }
  }
  absl::StatusOr<int> threads = ParseThreads(args);
  if (!threads.ok()) return threads.status();
  if (args.Has("threads")) options->threads = *threads;
  return absl::OkStatus();
}

void PrintConflicts(const std::vector<provenance::Conflict>& conflicts) {
  int contradictions = 0;
  for (const provenance::Conflict& c : conflicts) contradictions += provenance::IsContradiction(c);
  std::cout << absl::StrFormat("%d conflicts, %d updates\n", contradictions,
                               conflicts.size() - contradictions);
  for (const provenance::Conflict& c : conflicts) {
    std::cout << "\n"
              << (provenance::IsContradiction(c) ? "conflict" : "update") << " [" << c.type
              << "]\n";
    for (const provenance::ConflictFact& f : c.facts) {
      std::cout << absl::StrFormat("  %s:%d  %s%s'%s'  %s\n", f.path, f.line, f.field,
                                   f.field.empty() ? "" : ": ", f.value, f.text);
    }
    if (!c.suggestion.empty()) std::cout << "  " << c.suggestion << "\n";
  }
}

int RunScan(const ParsedArgs& args) {
  Progress progress(Progress::FromArgs(args));
  absl::StatusOr<int> threads = ParseThreads(args);
  if (!threads.ok()) return Fail(threads.status());
  auto options_of = [&](const provenance::Config& c) -> absl::StatusOr<dedup::DedupOptions> {
    dedup::DedupOptions o = c.dedup;
    if (absl::Status s = ApplyDedupFlags(args, &o); !s.ok()) return s;
    return o;
  };
  absl::StatusOr<VaultAndIndex> loaded = LoadVaultAndIndex(args.positionals[0], &progress, *threads,
                                                           !args.Has("no-index"), options_of);
  if (!loaded.ok()) return Fail(loaded.status());
  progress.StageDone("index load", loaded->index_seconds);
  std::optional<Vault> vault(std::move(loaded->vault));
  const dedup::DedupOptions options = *options_of(vault->config);
  IndexedScanner& scanner = *loaded->scanner;
  absl::StatusOr<ScannedVault> scanned = ScanAndFindConflicts(*vault, options, scanner, &progress);
  if (!scanned.ok()) return Fail(scanned.status());
  const ScanResult* scan = &scanned->scan;
  const std::vector<provenance::Conflict>* conflicts = &scanned->conflicts;
  // The index is written while the output is (one thread each: encoding it and writing the
  // output are both serial; with --threads 1, before it).
  SaveBeside save(scanner, options.threads);
  auto saved = [&] {
    save.Done(&progress, absl::StrCat(scanner.stats().facts_normalized,
                                      " facts normalized, beside the output"));
  };
  progress.Clear();
  const std::string headline =
      absl::StrFormat("%d facts in %d notes, %d clusters", scan->facts.size(), vault->notes.size(),
                      scan->dedup.clusters.size());
  const auto t0 = std::chrono::steady_clock::now();
  if (args.Has("json")) {
    provenance::WriteScanJson(std::cout, *vault, *scan, *conflicts, options.threads);
    std::cout.flush();
    progress.StageDone("output", Progress::Since(t0));
    saved();
    progress.Finish(headline);
    ExitNow(vault->has_errors() ? kExitError : kExitOk);
  }
  int dups = 0;
  for (const auto& c : scan->dedup.clusters) dups += static_cast<int>(c.members.size()) - 1;
  std::cout << absl::StrFormat("%d facts compared, %d clusters, %d duplicates\n\n",
                               scan->facts.size(), scan->dedup.clusters.size(), dups);
  for (const dedup::Cluster& c : scan->dedup.clusters) {
    std::cout << absl::StrFormat("%s  %d facts  (%s)\n",
                                 provenance::ClusterId(scan->display(*vault, c.canonical)),
                                 c.members.size(), c.reason);
    for (const dedup::Member& m : c.members) {
      const Fact& f = scan->fact(*vault, m.item);
      const std::string& path = scan->note(*vault, m.item).path;
      if (m.relation == dedup::Relation::kCanonical) {
        std::cout << absl::StrFormat("  * %s:%d  %s\n", path, f.line,
                                     scan->display(*vault, m.item));
      } else {
        std::cout << absl::StrFormat("    %s:%d  [%s %.2f]  %s\n", path, f.line,
                                     dedup::RelationName(m.relation), m.similarity,
                                     scan->display(*vault, m.item));
      }
    }
    std::cout << "\n";
  }
  PrintConflicts(*conflicts);
  std::cout.flush();
  progress.StageDone("output", Progress::Since(t0));
  saved();
  progress.Finish(headline);
  ExitNow(vault->has_errors() ? kExitError : kExitOk);
}

absl::StatusOr<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void PrintMetrics(const std::string& label, const dedup::BinaryMetrics& m) {
  std::cout << absl::StrFormat(
      "  %-22s P=%.3f R=%.3f F1=%.3f  (threshold %.2f; tp=%d fp=%d fn=%d tn=%d)\n", label,
      m.precision(), m.recall(), m.f1(), m.threshold, m.tp, m.fp, m.fn, m.tn);
}

int RunEval(const ParsedArgs& args) {
  dedup::DedupOptions options;
  std::string vault_root = args.Get("vault");
  absl::StatusOr<Vault> vault;
  if (!vault_root.empty()) {
    vault = LoadVaultOrReport(vault_root);
    if (!vault.ok()) return Fail(vault.status());
    options = vault->config.dedup;
  }
  if (absl::Status s = ApplyDedupFlags(args, &options); !s.ok()) return Fail(s);
  std::string fmt = args.Get("format", "auto");
  for (const std::string& path : args.positionals) {
    absl::StatusOr<std::string> content = ReadAll(path);
    if (!content.ok()) return Fail(content.status());
    const bool gold = fmt == "gold" || (fmt == "auto" && content->rfind("label\tpath1\t", 0) == 0);
    std::cout << path << "\n";
    if (provenance::IsConflictGold(*content)) {
      if (!vault.ok() || vault_root.empty()) {
        return Fail(absl::InvalidArgumentError(path + ": a conflicts gold file needs --vault DIR"));
      }
      absl::StatusOr<ScanResult> scan = provenance::ScanVault(*vault, options);
      if (!scan.ok()) return Fail(scan.status());
      absl::StatusOr<std::vector<provenance::Conflict>> found =
          provenance::FindConflicts(*vault, *scan);
      if (!found.ok()) return Fail(found.status());
      absl::StatusOr<provenance::ConflictMetrics> m =
          provenance::EvaluateConflicts(*found, *content);
      if (!m.ok())
        return Fail(absl::InvalidArgumentError(absl::StrCat(path, ": ", m.status().message())));
      if (m->gold > 0) {
        std::cout << absl::StrFormat(
            "  conflicts: P=%.3f (%d of %d reported conflicts find a gold row)  R=%.3f (%d of %d "
            "gold rows found)\n",
            m->precision(), m->correct, m->reported, m->recall(), m->found_gold, m->gold);
      }
      if (m->negatives > 0) {
        std::cout << absl::StrFormat(
            "  not conflicts: %d of %d rows reported as a disagreeing pair; updates: %d of %d "
            "rows found\n",
            m->false_alarms, m->negatives, m->updates_found, m->update_rows);
      }
      for (const std::string& x : m->missed) std::cout << "  missed: " << x << "\n";
      for (const std::string& x : m->unmatched) std::cout << "  unmatched: " << x << "\n";
      for (const std::string& x : m->alarms) std::cout << "  false alarm: " << x << "\n";
      continue;
    }
    if (gold) {
      if (!vault.ok() || vault_root.empty()) {
        return Fail(absl::InvalidArgumentError(path + ": a vault gold file needs --vault DIR"));
      }
      absl::StatusOr<std::vector<provenance::GoldPair>> pairs = provenance::ReadGoldPairs(*content);
      if (!pairs.ok())
        return Fail(absl::InvalidArgumentError(absl::StrCat(path, ": ", pairs.status().message())));
      std::cout << "  " << pairs->size() << " labeled pairs; pairwise same-cluster metrics\n";
      for (dedup::Method method : {dedup::Method::kVerified, dedup::Method::kMinHash}) {
        dedup::DedupOptions o = options;
        o.method = method;
        const char* name = method == dedup::Method::kVerified ? "ours" : "baseline minhash";
        dedup::BinaryMetrics best;
        for (int t = 20; t <= 95; t += 5) {
          o.threshold = t / 100.0;
          absl::StatusOr<ScanResult> scan = provenance::ScanVault(*vault, o);
          if (!scan.ok()) return Fail(scan.status());
          absl::StatusOr<dedup::BinaryMetrics> m =
              provenance::EvaluateClusters(*vault, *scan, *pairs);
          if (!m.ok()) return Fail(m.status());
          m->threshold = o.threshold;
          if (m->f1() > best.f1()) best = *m;
        }
        o.threshold = options.threshold;
        absl::StatusOr<ScanResult> scan = provenance::ScanVault(*vault, o);
        if (!scan.ok()) return Fail(scan.status());
        absl::StatusOr<dedup::BinaryMetrics> at =
            provenance::EvaluateClusters(*vault, *scan, *pairs);
        if (!at.ok()) return Fail(at.status());
        at->threshold = o.threshold;
        PrintMetrics(absl::StrCat(name, " @config"), *at);
        PrintMetrics(absl::StrCat(name, " @best"), best);
      }
      continue;
    }
    dedup::PairFormat pf = dedup::PairFormat::kAuto;
    if (fmt == "tsv") pf = dedup::PairFormat::kTsv;
    if (fmt == "mrpc") pf = dedup::PairFormat::kMrpc;
    if (fmt == "stsb") pf = dedup::PairFormat::kStsb;
    absl::StatusOr<dedup::PairSet> set = dedup::ReadPairs(*content, pf);
    if (!set.ok())
      return Fail(absl::InvalidArgumentError(absl::StrCat(path, ": ", set.status().message())));
    std::cout << "  " << set->pairs.size() << " pairs"
              << (set->graded ? absl::StrFormat(" (graded; label >= %.1f counts as paraphrase)",
                                                set->positive_cut)
                              : "")
              << "\n";
    for (bool baseline : {false, true}) {
      absl::StatusOr<dedup::EvalReport> r = dedup::EvaluatePairs(*set, options, baseline);
      if (!r.ok()) return Fail(r.status());
      const char* name = baseline ? "baseline minhash" : "ours";
      PrintMetrics(absl::StrCat(name, " @config"), r->at_threshold);
      PrintMetrics(absl::StrCat(name, " @best"), r->best);
      if (set->graded) std::cout << absl::StrFormat("  %-22s Spearman=%.3f\n", name, r->spearman);
    }
  }
  return kExitOk;
}

}  // namespace

Command ScanCommand() {
  return {{"scan",
           "VAULT [--json] [--threshold X] [--method verified|minhash] [--threads N]",
           "find clusters of duplicate facts across the vault",
           "Compares the facts of every fact section across all notes (MinHash-LSH and SimHash\n"
           "candidates, exact verification, non-chaining clusters) and prints each cluster:\n"
           "its canonical fact, the variants with similarity and relation, and the reason the\n"
           "canonical was chosen, then conflicts and updates (docs/conflicts.md). --json writes\n"
           "one document: {\"version\":1, \"facts\":N, \"clusters\":[{\"id\",\"canonical\":\n"
           "{path,line,text},\"members\":[{path,line,text,similarity,relation}],\"reason\"}],\n"
           "\"conflicts\":[{\"type\",\"facts\":[{path,line,text,value[,field]}],\"pairs\",\n"
           "\"suggestion\"}], \"updates\":[...], \"stats\":{...}}.",
           {{"json", "", "write one JSON document"},
            {"threshold", "X", "minimum verified similarity, (0, 1] (config: dedup.threshold)"},
            {"method", "M", "verified (default) or minhash (the plain MinHash-LSH baseline)"},
            ThreadsFlag(),
            {"no-index", "", "neither read nor write the index in VAULT/.factdedup/"},
            ProgressFlags()[0],
            ProgressFlags()[1]},
           1,
           1},
          RunScan};
}

Command EvalCommand() {
  return {{"eval",
           "FILE... [--format auto|tsv|mrpc|stsb|gold] [--vault DIR] [--threshold X]",
           "measure paraphrase detection on labeled pairs, ours vs plain MinHash",
           "Reads labeled sentence pairs (MRPC, STS-B, or TSV label<TAB>text1<TAB>text2) and\n"
           "prints precision, recall and F1 at the configured threshold and at the best\n"
           "threshold, and Spearman rank correlation for graded scores (STS-B: a score >= 4\n"
           "counts as a paraphrase). A vault gold file (data/gold/dedup_pairs.tsv; needs\n"
           "--vault) is scored pairwise on the clusters of a full scan. The plain MinHash-LSH\n"
           "baseline is printed beside ours. A conflicts gold file (data/gold/conflicts.tsv,\n"
           "not_conflicts.tsv; needs --vault) is scored on the conflicts of a full scan:\n"
           "precision, recall, non-conflicts reported, updates found (docs/conflicts.md).",
           {{"format", "F", "auto (default), tsv, mrpc, stsb or gold"},
            {"vault", "DIR", "the vault a gold file refers to (also supplies .factdedup.yaml)"},
            {"threshold", "X", "similarity threshold, (0, 1]"},
            ThreadsFlag()},
           1,
           -1},
          RunEval};
}

}  // namespace factdedup::cli
