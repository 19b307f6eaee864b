// ByteArena: copies of many small byte strings, packed into shared blocks instead of one
// allocation each, for the index's per-fact encodings (provenance/index.cc): a million
// facts' normalizations, about 190 bytes each, would otherwise each take an allocation of
// its own plus a shared string (control block and string object, another 48 bytes).
//
//   ByteArena arena;
//   std::shared_ptr<const void> owner;
//   absl::string_view copy = arena.Add(bytes, &owner);  // valid while `owner` (or a copy) lives
//
// Each copy is kept alive by its block's owner, which every copy in that block shares: a
// block is freed when the arena has moved on from it and the last owner of it is gone. Not
// thread-safe: one arena per thread.
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_BYTE_ARENA_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_BYTE_ARENA_H_

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

#include "absl/strings/string_view.h"

namespace factdedup::provenance::internal {

class ByteArena {
 public:
  // Blocks of `block_size` bytes; a string longer than that gets a block of its own size.
  explicit ByteArena(size_t block_size = size_t{64} << 10) : block_size_(block_size) {}

  // A copy of `bytes` in the current block (a new one when they do not fit), and in *owner
  // that block's owner. An empty `bytes` gives an empty view and no owner.
  absl::string_view Add(absl::string_view bytes, std::shared_ptr<const void>* owner) {
    if (bytes.empty()) {
      owner->reset();
      return {};
    }
    if (block_ == nullptr || size_ - used_ < bytes.size()) {
      size_ = std::max(block_size_, bytes.size());
      block_ = std::make_shared_for_overwrite<char[]>(size_);
      used_ = 0;
    }
    char* at = block_.get() + used_;
    std::memcpy(at, bytes.data(), bytes.size());
    used_ += bytes.size();
    *owner = block_;
    return absl::string_view(at, bytes.size());
  }

  // Bytes of the current block not yet used (for tests).
  size_t available() const { return size_ - used_; }

 private:
  size_t block_size_;
  std::shared_ptr<char[]> block_;
  size_t size_ = 0;  // of the current block
  size_t used_ = 0;  // bytes of it handed out
};

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_BYTE_ARENA_H_
