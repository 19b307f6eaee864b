#include "dedup/eval.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "dedup/hash.h"
#include "dedup/internal/parallel.h"

namespace factdedup::dedup {
namespace {

std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    double avg = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

}  // namespace

absl::StatusOr<PairSet> ReadPairs(absl::string_view content, PairFormat format) {
  if (absl::StartsWith(content, "\xEF\xBB\xBF")) content.remove_prefix(3);
  PairSet set;
  std::vector<absl::string_view> lines = absl::StrSplit(content, '\n');
  if (format == PairFormat::kAuto) {
    absl::string_view first = lines.empty() ? "" : lines[0];
    std::vector<absl::string_view> f = absl::StrSplit(first, '\t');
    double score;
    if (absl::StartsWith(first, "Quality\t")) {
      format = PairFormat::kMrpc;
    } else if ((f.size() == 7 || f.size() == 9) && absl::SimpleAtod(f[4], &score)) {
      format = PairFormat::kStsb;
    } else {
      format = PairFormat::kTsv;
    }
  }
  set.format = format;
  set.graded = format == PairFormat::kStsb;
  set.positive_cut = format == PairFormat::kStsb ? 4.0 : 0.5;
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (format == PairFormat::kMrpc && i == 0) continue;  // header
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    LabeledPair p;
    absl::string_view label, a, b;
    switch (format) {
      case PairFormat::kMrpc:
        if (f.size() < 5)
          return absl::InvalidArgumentError(
              absl::StrCat("line ", i + 1, ": expected 5 tab-separated fields (MRPC)"));
        label = f[0], a = f[3], b = f[4];
        break;
      case PairFormat::kStsb:
        if (f.size() < 7)
          return absl::InvalidArgumentError(
              absl::StrCat("line ", i + 1, ": expected 7 or 9 tab-separated fields (STS-B)"));
        label = f[4], a = f[5], b = f[6];
        break;
      default:
        if (f.size() < 3)
          return absl::InvalidArgumentError(
              absl::StrCat("line ", i + 1, ": expected label<TAB>text1<TAB>text2"));
        label = f[0], a = f[1], b = f[2];
        break;
    }
    if (!absl::SimpleAtod(label, &p.label)) {
      if (i == 0) continue;  // a header line
      return absl::InvalidArgumentError(
          absl::StrCat("line ", i + 1, ": label '", label, "' is not a number"));
    }
    p.a = std::string(a);
    p.b = std::string(b);
    if (format == PairFormat::kTsv && p.label != 0 && p.label != 1) set.graded = true;
    set.pairs.push_back(std::move(p));
  }
  if (set.pairs.empty()) return absl::InvalidArgumentError("no labeled pairs found");
  return set;
}

BinaryMetrics Confusion(const std::vector<double>& scores, const std::vector<char>& vetoed,
                        const std::vector<char>& truth, double threshold) {
  BinaryMetrics m;
  m.threshold = threshold;
  for (size_t i = 0; i < scores.size(); ++i) {
    bool pred = !vetoed[i] && scores[i] >= threshold;
    if (pred && truth[i]) ++m.tp;
    if (pred && !truth[i]) ++m.fp;
    if (!pred && truth[i]) ++m.fn;
    if (!pred && !truth[i]) ++m.tn;
  }
  return m;
}

BinaryMetrics BestThreshold(const std::vector<double>& scores, const std::vector<char>& vetoed,
                            const std::vector<char>& truth) {
  BinaryMetrics best;
  for (int t = 5; t <= 100; ++t) {
    BinaryMetrics m = Confusion(scores, vetoed, truth, t / 100.0);
    if (m.f1() > best.f1()) best = m;
  }
  return best;
}

double SpearmanCorrelation(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) return 0;
  std::vector<double> rx = Ranks(x), ry = Ranks(y);
  double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / rx.size();
  double my = std::accumulate(ry.begin(), ry.end(), 0.0) / ry.size();
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0;
}

absl::StatusOr<EvalReport> EvaluatePairs(const PairSet& set, const DedupOptions& options,
                                         bool baseline) {
  const size_t n = set.pairs.size();
  std::vector<double> scores(n), labels(n);
  std::vector<char> vetoed(n, 0), truth(n, 0);
  std::vector<absl::Status> errors(n);
  Normalizer normalizer(options.normalize);
  MinHasher hasher(options.minhash);
  internal::ParallelFor(n, options.threads, 64, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const LabeledPair& p = set.pairs[i];
      labels[i] = p.label;
      truth[i] = p.label >= set.positive_cut;
      if (baseline) {
        auto sign = [&](const std::string& s) -> absl::StatusOr<MinHashSignature> {
          absl::StatusOr<NormalizedText> t = normalizer.Normalize(s);
          if (!t.ok()) return t.status();
          std::vector<std::string> toks;
          for (const Token& tok : t->tokens) toks.push_back(tok.text);
          return hasher.Sign(ShingleHashes(toks, 1));
        };
        absl::StatusOr<MinHashSignature> a = sign(p.a), b2 = sign(p.b);
        if (!a.ok() || !b2.ok()) {
          errors[i] = a.ok() ? b2.status() : a.status();
          continue;
        }
        scores[i] = EstimateJaccard(*a, *b2);
      } else {
        absl::StatusOr<PairScore> s = ScorePair(normalizer, p.a, p.b, options);
        if (!s.ok()) {
          errors[i] = s.status();
          continue;
        }
        scores[i] = s->similarity;
        vetoed[i] = s->values_disagree || s->names_disagree || s->entities_differ || s->order_flipped;
      }
    }
  });
  for (const absl::Status& s : errors) {
    if (!s.ok()) return s;
  }
  EvalReport r;
  r.pairs = static_cast<int64_t>(n);
  r.at_threshold = Confusion(scores, vetoed, truth, options.threshold);
  r.best = BestThreshold(scores, vetoed, truth);
  if (set.graded) {
    std::vector<double> effective = scores;
    for (size_t i = 0; i < n; ++i) {
      if (vetoed[i]) effective[i] *= 0.5;
    }
    r.spearman = SpearmanCorrelation(effective, labels);
  }
  return r;
}

}  // namespace factdedup::dedup
