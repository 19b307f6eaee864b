#include "dedup/minhash.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <limits>
#include <mutex>
#include <tuple>
#include <vector>

#include <xxhash.h>

#include "absl/container/flat_hash_map.h"

namespace factdedup::dedup {
namespace {

constexpr uint64_t kMaxValue = std::numeric_limits<uint64_t>::max();

// MurmurHash3's 64-bit finalizer: a bijection with full avalanche.
inline uint64_t Fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// SplitMix64: expands the seed into the permutation parameters.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Shingles are pre-mixed in chunks on the stack so Sign() allocates only its result.
constexpr size_t kChunk = 64;

}  // namespace

// Permutation family. Each shingle hash x is first mixed once, y = Fmix64(x ^ premix), so the
// input need not be well distributed (tests feed small integers). Permutation i is then the
// bijection y -> a_i * y + b_i (mod 2^64) with a_i odd: the multiply-add ("multiply-shift")
// family whose high bits, which decide the minimum, depend on every bit of y. One strong mix
// per shingle plus K multiply-adds is ~4x cheaper than K strong mixes, and the tests check the
// estimator's error and variance against the binomial ones.
MinHasher::MinHasher(MinHashOptions options) : options_(options) {
  options_.num_perm = std::clamp(options_.num_perm, 1, kMaxNumPerm);
  uint64_t state = options_.seed;
  premix_ = SplitMix64(&state);
  a_.resize(options_.num_perm);
  b_.resize(options_.num_perm);
  for (int i = 0; i < options_.num_perm; ++i) {
    a_[i] = SplitMix64(&state) | 1;
    b_[i] = SplitMix64(&state);
  }
}

MinHashSignature MinHasher::Sign(absl::Span<const uint64_t> shingles) const {
  const size_t k = a_.size();
  MinHashSignature sig(k, kMaxValue);
  uint64_t y[kChunk];
  const uint64_t* a = a_.data();
  const uint64_t* b = b_.data();
  uint64_t* s = sig.data();
  for (size_t begin = 0; begin < shingles.size(); begin += kChunk) {
    const size_t n = std::min(kChunk, shingles.size() - begin);
    for (size_t j = 0; j < n; ++j) y[j] = Fmix64(shingles[begin + j] ^ premix_);
    // Four permutations at a time over the chunk: four independent min chains keep the
    // multiplier busy (64-bit multiplies do not vectorize without AVX-512).
    size_t i = 0;
    for (; i + 4 <= k; i += 4) {
      uint64_t m0 = s[i], m1 = s[i + 1], m2 = s[i + 2], m3 = s[i + 3];
      const uint64_t a0 = a[i], a1 = a[i + 1], a2 = a[i + 2], a3 = a[i + 3];
      const uint64_t b0 = b[i], b1 = b[i + 1], b2 = b[i + 2], b3 = b[i + 3];
      for (size_t j = 0; j < n; ++j) {
        const uint64_t v = y[j];
        m0 = std::min(m0, a0 * v + b0);
        m1 = std::min(m1, a1 * v + b1);
        m2 = std::min(m2, a2 * v + b2);
        m3 = std::min(m3, a3 * v + b3);
      }
      s[i] = m0;
      s[i + 1] = m1;
      s[i + 2] = m2;
      s[i + 3] = m3;
    }
    for (; i < k; ++i) {
      uint64_t m = s[i];
      for (size_t j = 0; j < n; ++j) m = std::min(m, a[i] * y[j] + b[i]);
      s[i] = m;
    }
  }
  return sig;
}

double EstimateJaccard(const MinHashSignature& a, const MinHashSignature& b) {
  if (a.size() != b.size() || a.empty()) return 0.0;
  size_t equal = 0;
  for (size_t i = 0; i < a.size(); ++i) equal += a[i] == b[i];
  return static_cast<double>(equal) / static_cast<double>(a.size());
}

double LshCandidateProbability(double s, int bands, int rows) {
  s = std::clamp(s, 0.0, 1.0);
  return 1.0 - std::pow(1.0 - std::pow(s, rows), bands);
}

LshParams LshIndex::ParamsForThreshold(int num_perm, double threshold) {
  constexpr double kFalsePositiveWeight = 1.0;
  constexpr double kFalseNegativeWeight = 2.0;
  num_perm = std::clamp(num_perm, 1, kMaxNumPerm);
  threshold = std::isnan(threshold) ? 0.0 : std::clamp(threshold, 0.0, 1.0);
  // A run asks for the same few settings several times (the scan, the index's parameters, a
  // check's base), so results are kept.
  static std::mutex mu;
  static auto* memo = new absl::flat_hash_map<std::pair<int, uint64_t>, LshParams>();
  uint64_t bits;
  std::memcpy(&bits, &threshold, sizeof bits);
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = memo->find(std::make_pair(num_perm, bits));
    if (it != memo->end()) return it->second;
  }
  // The cost of b x r is FP + 2 FN by Simpson's rule over 256 intervals, as Integrate would
  // compute it for LshCandidateProbability, with s^r taken once per row count and point
  // (ExactCost below). Computed that way for every b x r (645 of them for K = 128), it took
  // 56M instructions, nearly all in std::pow. So every b x r is first costed with the powers
  // taken by repeated multiplication (s^r row after row, q^b band after band), whose results
  // differ from std::pow's by far less than kMargin; only the b x r whose approximate cost is
  // within twice that of the smallest can be the best, and only those get their exact cost,
  // which decides (ties keep the smallest (bands, rows)), exactly as a search of every b x r
  // would. Each curve value's error is under (b (r + 4) + 2) ulp (under 6e-13 at K = 1024),
  // and Simpson's weights sum to the interval's length.
  constexpr int kIntervals = 256;
  constexpr double kMargin = 1e-8;
  const double fp_h = threshold / kIntervals, fn_h = (1.0 - threshold) / kIntervals;
  std::vector<double> fp_s(kIntervals + 1), fn_s(kIntervals + 1);
  for (int i = 0; i <= kIntervals; ++i) {
    // Integrate's points: both ends exactly, lo + i * h between.
    fp_s[i] = i == kIntervals ? threshold : 0.0 + i * fp_h;
    fn_s[i] = i == 0 ? threshold : i == kIntervals ? 1.0 : threshold + i * fn_h;
  }
  auto weight = [](int i) { return i == 0 || i == kIntervals ? 1.0 : i % 2 == 1 ? 4.0 : 2.0; };
  // Approximate costs, in search order.
  struct Choice {
    int rows, bands;
    double cost;
  };
  std::vector<Choice> choices;
  std::vector<double> fp_q(kIntervals + 1), fn_q(kIntervals + 1);              // 1 - s^r
  std::vector<double> fp_sr(kIntervals + 1, 1.0), fn_sr(kIntervals + 1, 1.0);  // s^r
  std::vector<double> fp_qb(kIntervals + 1), fn_qb(kIntervals + 1);            // (1 - s^r)^b
  double least = std::numeric_limits<double>::infinity();
  for (int rows = 1; rows <= num_perm; ++rows) {
    for (int i = 0; i <= kIntervals; ++i) {
      fp_sr[i] *= std::clamp(fp_s[i], 0.0, 1.0);
      fn_sr[i] *= std::clamp(fn_s[i], 0.0, 1.0);
      fp_q[i] = fp_qb[i] = 1.0 - fp_sr[i];
      fn_q[i] = fn_qb[i] = 1.0 - fn_sr[i];
    }
    for (int bands = 1; bands * rows <= num_perm; ++bands) {
      if (bands > 1) {
        for (int i = 0; i <= kIntervals; ++i) {
          fp_qb[i] *= fp_q[i];
          fn_qb[i] *= fn_q[i];
        }
      }
      double fp = 0.0, fn = 0.0;
      for (int i = 0; i <= kIntervals; ++i) {
        fp += weight(i) * (1.0 - fp_qb[i]);
        fn += weight(i) * fn_qb[i];
      }
      fp = threshold <= 0.0 ? 0.0 : fp * fp_h / 3.0;
      fn = threshold >= 1.0 ? 0.0 : fn * fn_h / 3.0;
      const double cost = kFalsePositiveWeight * fp + kFalseNegativeWeight * fn;
      choices.push_back({rows, bands, cost});
      least = std::min(least, cost);
    }
  }
  // The exact costs of the few that can be the best.
  std::vector<double> fp_pow(kIntervals + 1), fn_pow(kIntervals + 1);
  auto simpson = [&](const std::vector<double>& pw, int bands, bool complement, double h) {
    auto f = [&](int i) {
      const double p = 1.0 - std::pow(1.0 - pw[i], bands);
      return complement ? 1.0 - p : p;
    };
    double sum = f(0) + f(kIntervals);
    for (int i = 1; i < kIntervals; ++i) sum += f(i) * (i % 2 == 1 ? 4.0 : 2.0);
    return sum * h / 3.0;
  };
  LshParams best;
  double best_cost = std::numeric_limits<double>::infinity();
  int powers_of = 0;  // the row count fp_pow and fn_pow hold
  for (const Choice& c : choices) {
    if (!(c.cost <= least + 2 * kMargin)) continue;
    if (powers_of != c.rows) {
      powers_of = c.rows;
      for (int i = 0; i <= kIntervals; ++i) {
        fp_pow[i] = std::pow(std::clamp(fp_s[i], 0.0, 1.0), c.rows);
        fn_pow[i] = std::pow(std::clamp(fn_s[i], 0.0, 1.0), c.rows);
      }
    }
    const double fp = threshold <= 0.0 ? 0.0 : simpson(fp_pow, c.bands, false, fp_h);
    const double fn = threshold >= 1.0 ? 0.0 : simpson(fn_pow, c.bands, true, fn_h);
    const double cost = kFalsePositiveWeight * fp + kFalseNegativeWeight * fn;
    // Ties keep the smallest (bands, rows), as a search with bands outermost would.
    if (cost < best_cost ||
        (cost == best_cost && std::tie(c.bands, c.rows) < std::tie(best.bands, best.rows))) {
      best_cost = cost;
      best.bands = c.bands;
      best.rows = c.rows;
    }
  }
  std::lock_guard<std::mutex> lock(mu);
  memo->emplace(std::make_pair(num_perm, bits), best);
  return best;
}

LshIndex::LshIndex(LshParams params) : params_(params) {
  params_.bands = std::clamp(params_.bands, 1, kMaxNumPerm);
  params_.rows = std::clamp(params_.rows, 1, kMaxNumPerm);
  params_.max_bucket_size = std::max(params_.max_bucket_size, 2);
  bands_.resize(params_.bands);
}

void LshIndex::Add(uint32_t id, const MinHashSignature& sig) {
  const size_t rows = static_cast<size_t>(params_.rows);
  for (size_t band = 0; band < bands_.size(); ++band) {
    if ((band + 1) * rows > sig.size()) break;
    const uint64_t h =
        XXH3_64bits_withSeed(sig.data() + band * rows, rows * sizeof(uint64_t), band);
    bands_[band].push_back((h & 0xffffffff00000000ULL) | id);
  }
  ++num_added_;
}

// Per band: copy and sort the (hash, id) keys, walk runs of equal hash, and expand each run of
// at most max_bucket_size ids into pairs (ids within a run are ascending because the id is
// the low half of the key). Each band's pairs are sorted, deduplicated and merged into the
// running result, so peak memory is the distinct pairs plus one band's pairs, never all pairs.
void LshIndex::FindCandidates(std::vector<std::pair<uint32_t, uint32_t>>* pairs,
                              std::vector<uint32_t>* oversized_ids) const {
  std::vector<uint64_t> keys;
  std::vector<uint64_t> band_pairs;  // i << 32 | j
  std::vector<uint64_t> all_pairs;
  std::vector<uint64_t> merged;
  std::vector<uint32_t> oversized;
  const size_t cap = static_cast<size_t>(params_.max_bucket_size);
  for (const std::vector<uint64_t>& band : bands_) {
    keys.assign(band.begin(), band.end());
    std::sort(keys.begin(), keys.end());
    band_pairs.clear();
    for (size_t begin = 0; begin < keys.size();) {
      const uint64_t bucket = keys[begin] >> 32;
      size_t end = begin + 1;
      while (end < keys.size() && (keys[end] >> 32) == bucket) ++end;
      if (end - begin > cap) {
        for (size_t p = begin; p < end; ++p) oversized.push_back(static_cast<uint32_t>(keys[p]));
      } else if (pairs != nullptr) {
        for (size_t p = begin; p < end; ++p) {
          const uint64_t i = keys[p] & 0xffffffffULL;
          for (size_t q = p + 1; q < end; ++q) {
            const uint64_t j = keys[q] & 0xffffffffULL;
            if (i != j) band_pairs.push_back(i << 32 | j);
          }
        }
      }
      begin = end;
    }
    if (band_pairs.empty()) continue;
    std::sort(band_pairs.begin(), band_pairs.end());
    band_pairs.erase(std::unique(band_pairs.begin(), band_pairs.end()), band_pairs.end());
    merged.clear();
    merged.reserve(all_pairs.size() + band_pairs.size());
    std::set_union(all_pairs.begin(), all_pairs.end(), band_pairs.begin(), band_pairs.end(),
                   std::back_inserter(merged));
    all_pairs.swap(merged);
  }
  if (pairs != nullptr) {
    pairs->clear();
    pairs->reserve(all_pairs.size());
    for (uint64_t p : all_pairs) {
      pairs->emplace_back(static_cast<uint32_t>(p >> 32), static_cast<uint32_t>(p));
    }
  }
  if (oversized_ids != nullptr) {
    std::sort(oversized.begin(), oversized.end());
    oversized.erase(std::unique(oversized.begin(), oversized.end()), oversized.end());
    *oversized_ids = std::move(oversized);
  }
}

std::vector<std::pair<uint32_t, uint32_t>> LshIndex::CandidatePairs() const {
  std::vector<std::pair<uint32_t, uint32_t>> pairs;
  FindCandidates(&pairs, nullptr);
  return pairs;
}

std::vector<uint32_t> LshIndex::OversizedBucketIds() const {
  std::vector<uint32_t> ids;
  FindCandidates(nullptr, &ids);
  return ids;
}

}  // namespace factdedup::dedup
