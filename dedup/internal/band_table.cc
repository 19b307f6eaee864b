#include "dedup/internal/band_table.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "absl/base/attributes.h"
#include "dedup/internal/parallel.h"
// XXH3 compiled in (the header's implementation, the same version as the library): a call
// through the shared library's PLT cost as much as hashing a short word.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace factdedup::dedup::internal {

void SortByKeyThenIndex(std::vector<uint64_t>* v) {
  if (v->size() < 4096) {  // entries are unique: std::sort gives the same order
    std::sort(v->begin(), v->end());
    return;
  }
  std::vector<uint64_t> tmp(v->size());
  std::vector<uint32_t> count(65537);
  for (const int shift : {32, 48}) {
    std::fill(count.begin(), count.end(), 0);
    for (uint64_t x : *v) ++count[((x >> shift) & 0xFFFF) + 1];
    for (size_t d = 1; d < count.size(); ++d) count[d] += count[d - 1];
    for (uint64_t x : *v) tmp[count[(x >> shift) & 0xFFFF]++] = x;
    v->swap(tmp);
  }
}

BandTable::BandTable(size_t items, int bands, bool clear_keys)
    : items_(items),
      bands_(std::max(1, bands)),
      words_((static_cast<size_t>(bands_) + 63) / 64),
      empty_(items, 0) {
  const size_t size = items * static_cast<size_t>(bands_);
  if (clear_keys) {
    keys_.assign(size, 0);
    data_ = keys_.data();
  } else {
    uncleared_.reset(new uint32_t[size]);  // default-initialized: not written
    data_ = uncleared_.get();
  }
}

BandTable::BandTable(const BandTable& other)
    : items_(other.items_),
      bands_(other.bands_),
      words_(other.words_),
      keys_(other.keys_),
      empty_(other.empty_),
      oversized_(other.oversized_) {
  if (other.uncleared_ != nullptr) {
    const size_t size = items_ * static_cast<size_t>(bands_);
    uncleared_.reset(new uint32_t[size]);
    std::copy(other.data_, other.data_ + size, uncleared_.get());
    data_ = uncleared_.get();
  } else {
    data_ = keys_.data();
  }
}

BandTable& BandTable::operator=(const BandTable& other) {
  if (this != &other) *this = BandTable(other);
  return *this;
}

namespace {

// XXH3_64bits_withSeed(data, len, seed) for 16 < len <= 128: its mid-size path called
// directly (the public function dispatches on the length behind a call that cost as much as
// hashing a band of 3 rows); with a constant `len` it folds to the two or four 16-byte mixes
// that length takes.
inline uint64_t MidSizeHash(const uint64_t* data, size_t len, uint64_t seed) {
  return XXH3_len_17to128_64b(reinterpret_cast<const xxh_u8*>(data), len, XXH3_kSecret,
                              sizeof(XXH3_kSecret), seed);
}

}  // namespace

void BandTable::SetKeys(size_t i, absl::Span<const uint64_t> signature, int rows) {
  const size_t r = static_cast<size_t>(std::max(1, rows));
  const auto bands = static_cast<size_t>(bands_);
  uint32_t* out = data_ + i * bands;
  if (bands * r > signature.size()) {  // the bands that fit, then no more
    for (size_t band = 0; (band + 1) * r <= signature.size(); ++band) {
      out[band] = static_cast<uint32_t>(
          XXH3_64bits_withSeed(signature.data() + band * r, r * sizeof(uint64_t), band) >> 32);
    }
    empty_[i] = 1;
    return;
  }
  const uint64_t* sig = signature.data();
  if (r == 3) {  // the default bands (42 x 3 of 128 permutations)
    for (size_t band = 0; band < bands; ++band) {
      out[band] =
          static_cast<uint32_t>(MidSizeHash(sig + band * 3, 3 * sizeof(uint64_t), band) >> 32);
    }
  } else if (r * sizeof(uint64_t) > 16 && r * sizeof(uint64_t) <= 128) {
    for (size_t band = 0; band < bands; ++band) {
      out[band] =
          static_cast<uint32_t>(MidSizeHash(sig + band * r, r * sizeof(uint64_t), band) >> 32);
    }
  } else {
    for (size_t band = 0; band < bands; ++band) {
      out[band] = static_cast<uint32_t>(
          XXH3_64bits_withSeed(sig + band * r, r * sizeof(uint64_t), band) >> 32);
    }
  }
}

void BandTable::SetEmpty(size_t i) { empty_[i] = 1; }

void BandTable::SetRaw(size_t i, const uint32_t* keys, bool empty) {
  std::copy(keys, keys + bands_, data_ + i * static_cast<size_t>(bands_));
  empty_[i] = empty ? 1 : 0;
}

void BandTable::TakeKeys(OsVector<uint32_t>* keys, OsVector<uint8_t>* empty) {
  if (uncleared_ != nullptr) {
    keys->assign(data_, data_ + items_ * static_cast<size_t>(bands_));
    uncleared_.reset();
  } else {
    *keys = std::move(keys_);
  }
  data_ = nullptr;
  *empty = std::move(empty_);
  keys_.clear();
  empty_.clear();
  OsVector<uint64_t>().swap(oversized_);
  items_ = 0;
}

// Inlined into ForEachPair's loop over a bucket's pairs, where it runs for every pair of every
// band (both items are in a bucket, so neither is empty).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline int BandTable::FirstSharedBand(uint32_t i, uint32_t j,
                                                                   int limit) const {
  const uint32_t* a = data_ + static_cast<size_t>(i) * static_cast<size_t>(bands_);
  const uint32_t* b = data_ + static_cast<size_t>(j) * static_cast<size_t>(bands_);
  // Most pairs share no earlier band: compare 8 keys at a time (then 4), and look closer only
  // at a block with an equal key. Two items with an equal key in a band share its bucket, so
  // i's oversized bit for the band is the bucket's.
  int band = 0;
#ifdef __SSE2__
  auto equal4 = [&](int at) {  // one bit per key of bands at..at+3, in band order
    const __m128i e = _mm_cmpeq_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + at)),
                                      _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + at)));
    return static_cast<unsigned>(_mm_movemask_ps(_mm_castsi128_ps(e)));
  };
  for (; band + 8 <= limit; band += 8) {
    for (unsigned equal = equal4(band) | equal4(band + 4) << 4; equal != 0; equal &= equal - 1) {
      const int k = band + __builtin_ctz(equal);
      if (!Oversized(i, k)) return k;
    }
  }
  // The rest: a block of 4 keys read within the row (bands_ keys), the bands from `limit` on
  // masked out.
  for (; band < limit && band + 4 <= bands_; band += 4) {
    unsigned equal = equal4(band);
    if (limit - band < 4) equal &= (1u << (limit - band)) - 1;
    for (; equal != 0; equal &= equal - 1) {
      const int k = band + __builtin_ctz(equal);
      if (!Oversized(i, k)) return k;
    }
  }
#endif
  for (; band < limit; ++band) {
    if (a[band] == b[band] && !Oversized(i, band)) return band;
  }
  return limit;
}

int BandTable::FirstCollision(uint32_t i, uint32_t j, int limit) const {
  if (empty_[i] || empty_[j]) return limit;
  return FirstSharedBand(i, j, limit);
}

uint64_t BandTable::ForEachPairBatch(int threads, size_t cap,
                                     const std::function<void(absl::Span<const Pair>)>& visit,
                                     std::vector<uint32_t>* oversized,
                                     const std::function<void(int)>& band_done) {
  // One band's buckets: its entries sorted (key << 32 | id) and the [begin, end) runs of the
  // buckets with 2..cap ids. Appends the ids in oversized buckets to `big` (this band's from
  // `big_from` on), whose bits `mark` sets once no thread reads them.
  struct Prepared {
    std::vector<uint64_t> sorted;
    std::vector<std::pair<size_t, size_t>> runs;
    std::vector<uint32_t> big;
    size_t big_from = 0;
  };
  oversized_.assign(items_ * words_, 0);
  auto mark = [&](int band, const Prepared& p) {
    for (size_t q = p.big_from; q < p.big.size(); ++q) {
      oversized_[p.big[q] * words_ + static_cast<size_t>(band) / 64] |= uint64_t{1} << (band % 64);
    }
  };
  auto prepare = [&](int band, Prepared* p) {
    p->big_from = p->big.size();
    p->sorted.clear();
    p->sorted.reserve(items_);
    for (size_t i = 0; i < items_; ++i) {
      if (empty_[i]) continue;
      p->sorted.push_back(uint64_t{data_[i * static_cast<size_t>(bands_) + band]} << 32 | i);
    }
    SortByKeyThenIndex(&p->sorted);  // pushed in index order
    p->runs.clear();
    const std::vector<uint64_t>& sorted = p->sorted;
    for (size_t begin = 0; begin < sorted.size();) {
      size_t end = begin + 1;
      while (end < sorted.size() && (sorted[end] >> 32) == (sorted[begin] >> 32)) ++end;
      if (end - begin > cap) {
        for (size_t q = begin; q < end; ++q) p->big.push_back(static_cast<uint32_t>(sorted[q]));
      } else if (end - begin >= 2) {
        p->runs.emplace_back(begin, end);
      }
      begin = end;
    }
  };
  Prepared buffers[2];
  prepare(0, &buffers[0]);
  mark(0, buffers[0]);
  std::atomic<uint64_t> visited{0};
  for (int band = 0; band < bands_; ++band) {
    Prepared& cur = buffers[band % 2];
    Prepared& nxt = buffers[(band + 1) % 2];
    // The next band is sorted alongside; its oversized bits are set after this band's visits
    // (FirstCollision reads those of earlier bands only).
    std::thread ahead;
    if (band + 1 < bands_) {
      try {
        ahead = std::thread(prepare, band + 1, &nxt);
      } catch (const std::system_error&) {  // no thread: prepared after this band
      }
    }
    // Buckets are independent; a pair is visited here only if no earlier band put it in a
    // (non-oversized) bucket together.
    ParallelFor(cur.runs.size(), threads, 64, [&](size_t rb, size_t re) {
      uint64_t count = 0;
      Pair batch[kPairBatch];
      size_t held = 0;
      for (size_t r = rb; r < re; ++r) {
        const auto [run_begin, run_end] = cur.runs[r];
        for (size_t p = run_begin; p < run_end; ++p) {
          const auto i = static_cast<uint32_t>(cur.sorted[p]);
          for (size_t q = p + 1; q < run_end; ++q) {
            const auto j = static_cast<uint32_t>(cur.sorted[q]);
            if (FirstSharedBand(i, j, band) == band) {
              batch[held++] = {i, j};
              if (held == kPairBatch) {
                visit(absl::MakeConstSpan(batch, held));
                count += held;
                held = 0;
              }
            }
          }
        }
      }
      if (held > 0) visit(absl::MakeConstSpan(batch, held));
      count += held;
      visited.fetch_add(count, std::memory_order_relaxed);
    });
    if (ahead.joinable()) {
      ahead.join();
    } else if (band + 1 < bands_) {
      prepare(band + 1, &nxt);
    }
    if (band + 1 < bands_) mark(band + 1, nxt);
    if (band_done) band_done(band);
  }
  if (oversized != nullptr) {
    std::vector<uint32_t> big = std::move(buffers[0].big);
    big.insert(big.end(), buffers[1].big.begin(), buffers[1].big.end());
    std::sort(big.begin(), big.end());
    big.erase(std::unique(big.begin(), big.end()), big.end());
    oversized->insert(oversized->end(), big.begin(), big.end());
  }
  return visited.load();
}

}  // namespace factdedup::dedup::internal
