// Measuring paraphrase detection on labeled sentence pairs.
//
// Formats read (detected from the content unless given):
//   kTsv  — "label<TAB>text1<TAB>text2" per line, label 0/1 (or a graded score); '#' comments.
//   kMrpc — Microsoft Research Paraphrase Corpus: header "Quality\t#1 ID\t#2 ID\t#1 String\t#2
//           String", UTF-8 with BOM.
//   kStsb — STS Benchmark: "genre\tfile\tyear\tid\tscore\ts1\ts2[\tsrc1\tsrc2]", score 0..5.
//
//   absl::StatusOr<PairSet> set = ReadPairs(bytes, PairFormat::kAuto);
//   EvalReport ours = EvaluatePairs(*set, options, /*baseline=*/false);
#ifndef FACTDEDUP_DEDUP_EVAL_H_
#define FACTDEDUP_DEDUP_EVAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dedup/engine.h"

namespace factdedup::dedup {

enum class PairFormat { kAuto, kTsv, kMrpc, kStsb };

struct LabeledPair {
  std::string a, b;
  double label = 0;  // 0/1, or the graded score
};

struct PairSet {
  PairFormat format = PairFormat::kTsv;
  bool graded = false;        // labels are scores (STS-B), not 0/1
  double positive_cut = 0.5;  // label >= this counts as a paraphrase (4.0 for STS-B)
  std::vector<LabeledPair> pairs;
};

// Parses a labeled pair file. Errors name the line.
absl::StatusOr<PairSet> ReadPairs(absl::string_view content, PairFormat format);

struct BinaryMetrics {
  double threshold = 0;
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;
  double precision() const { return tp + fp ? double(tp) / double(tp + fp) : 0; }
  double recall() const { return tp + fn ? double(tp) / double(tp + fn) : 0; }
  double f1() const {
    double p = precision(), r = recall();
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
  }
};

struct EvalReport {
  int64_t pairs = 0;
  BinaryMetrics at_threshold;  // the configured threshold
  BinaryMetrics best;          // the threshold that maximizes F1
  double spearman = 0;         // rank correlation of scores with graded labels (STS-B)
};

// Scores every pair with the engine's verified similarity (baseline=false) or with plain
// MinHash estimated Jaccard of the same shingles (baseline=true), then computes the metrics.
absl::StatusOr<EvalReport> EvaluatePairs(const PairSet& set, const DedupOptions& options,
                                         bool baseline);

// Precision/recall/F1 of binary predictions; and the best threshold over scored pairs.
BinaryMetrics Confusion(const std::vector<double>& scores, const std::vector<char>& vetoed,
                        const std::vector<char>& truth, double threshold);
BinaryMetrics BestThreshold(const std::vector<double>& scores, const std::vector<char>& vetoed,
                            const std::vector<char>& truth);
double SpearmanCorrelation(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace factdedup::dedup

#endif  // FACTDEDUP_DEDUP_EVAL_H_
