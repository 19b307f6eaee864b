// WordMemo: a memo of ints keyed by short strings, for the conflict pass's scans, which look
// up every capitalized word of a vault: a hash of the word's first and last bytes and one
// compare, no string hashing per lookup.
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_WORD_MEMO_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_WORD_MEMO_H_

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/string_view.h"

namespace factdedup::provenance::internal {

// Maps words to ints. Insert-only; keeps a copy of each word inserted.
class WordMemo {
 public:
  WordMemo() : slots_(kInitial), mask_(kInitial - 1) {}

  // The value of `word`, or nullptr when it has none.
  const int* Find(absl::string_view word) const {
    uint64_t a, b;
    const uint64_t h = HashOf(word, &a, &b);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.data == nullptr) return nullptr;
      // A word of 16 bytes or less is all in (a, b).
      if (s.a == a && s.b == b && s.size == word.size() &&
          (word.size() <= 16 || std::memcmp(s.data, word.data(), word.size()) == 0)) {
        return &s.value;
      }
    }
  }

  // Sets the value of `word` (which must have none yet).
  void Insert(absl::string_view word, int value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    uint64_t a, b;
    const uint64_t h = HashOf(word, &a, &b);
    Place({Copy(word), static_cast<uint32_t>(word.size()), value, h, a, b});
    ++size_;
  }

  size_t size() const { return size_; }

  // The hash of a word as the memo computes it (exposed for tests); *first and *last get the
  // bytes it is computed from, which are all the word's when it has 16 bytes or less.
  static uint64_t HashOf(absl::string_view w, uint64_t* first, uint64_t* last) {
    const size_t n = w.size();
    const char* p = w.data();
    uint64_t a = 0, b = 0;
    if (n >= 8) {
      std::memcpy(&a, p, 8);
      std::memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
      uint32_t x, y;
      std::memcpy(&x, p, 4);
      std::memcpy(&y, p + n - 4, 4);
      a = x, b = y;
    } else if (n > 0) {
      a = static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[n / 2]) << 8 |
          static_cast<unsigned char>(p[n - 1]) << 16;
    }
    *first = a, *last = b;
    uint64_t h = (a ^ (uint64_t{n} << 56)) * 0x9E3779B97F4A7C15ULL;
    h ^= (b + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL;
    return h ^ (h >> 31);
  }

 private:
  struct Slot {
    const char* data = nullptr;  // nullptr: empty
    uint32_t size = 0;
    int value = 0;
    uint64_t hash = 0;
    uint64_t a = 0, b = 0;  // HashOf's first and last bytes
  };
  static constexpr size_t kInitial = 1024;
  static constexpr size_t kBlock = 1 << 14;

  // A copy of `w` that lives as long as the memo (never null, even for an empty word).
  const char* Copy(absl::string_view w) {
    if (w.size() > kBlock) {
      blocks_.push_back(std::make_unique<char[]>(w.size()));
      std::memcpy(blocks_.back().get(), w.data(), w.size());
      return blocks_.back().get();
    }
    if (last_ == nullptr || used_ + w.size() > kBlock) {
      blocks_.push_back(std::make_unique<char[]>(kBlock));
      used_ = 0;
      // A large word's block may follow: words go to the last block of kBlock bytes.
      last_ = blocks_.back().get();
    }
    char* out = last_ + used_;
    if (!w.empty()) std::memcpy(out, w.data(), w.size());
    used_ += w.size();
    return out;
  }

  void Place(const Slot& slot) {
    size_t i = slot.hash & mask_;
    while (slots_[i].data != nullptr) i = (i + 1) & mask_;
    slots_[i] = slot;
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.data != nullptr) Place(s);
    }
  }

  std::vector<Slot> slots_;
  size_t mask_;
  std::vector<std::unique_ptr<char[]>> blocks_;  // the words' copies
  char* last_ = nullptr;                         // the block of kBlock bytes being filled
  size_t used_ = 0;                              // bytes used in *last_
  size_t size_ = 0;
};

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_WORD_MEMO_H_
