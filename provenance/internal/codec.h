// A small binary codec for saved artifacts: little-endian fixed-width integers, LEB128
// varints and length-prefixed strings, and arrays of fixed-width integers read in place. The
// reader never reads past its input: every getter returns false on truncated or malformed
// input and leaves the reader failed.
//
//   internal::Writer w;  w.PutU32(7);  w.PutString("x");
//   internal::Reader r(w.data());  uint32_t v;  std::string s;
//   if (!r.GetU32(&v) || !r.GetString(&s)) ... corrupt ...
//
//   internal::LeArray<uint64_t> a;               // n little-endian u64 at any alignment
//   if (!r.GetArray(n, &a)) ... corrupt ...      // n * 8 bytes, checked without overflow
//   uint64_t first = a[0];
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_CODEC_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_CODEC_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace factdedup::provenance::internal {

// `v` with its bytes in little-endian order (the same value on a little-endian machine; the
// conversion is its own inverse).
template <typename T>
inline T LittleEndian(T v) {
  if constexpr (std::endian::native == std::endian::big && sizeof(T) == 8) {
    return __builtin_bswap64(v);
  } else if constexpr (std::endian::native == std::endian::big && sizeof(T) == 4) {
    return __builtin_bswap32(v);
  } else if constexpr (std::endian::native == std::endian::big && sizeof(T) == 2) {
    return __builtin_bswap16(v);
  } else {
    return v;
  }
}

// A little-endian fixed-width unsigned integer at `p`, at any alignment (memcpy: no unaligned
// load in C++ terms).
template <typename T>
inline T LoadLe(const char* p) {
  static_assert(std::is_unsigned_v<T>);
  T v;
  std::memcpy(&v, p, sizeof v);
  return LittleEndian(v);
}

// Writes `v` little-endian at `p` (any alignment).
template <typename T>
inline void StoreLe(char* p, T v) {
  static_assert(std::is_unsigned_v<T>);
  v = LittleEndian(v);
  std::memcpy(p, &v, sizeof v);
}

// A view of `size()` little-endian values of type T stored back to back (Reader::GetArray):
// element i is read from its bytes on access, so the bytes need no alignment.
template <typename T>
class LeArray {
 public:
  LeArray() = default;
  LeArray(const char* data, size_t size) : data_(data), size_(size) {}
  size_t size() const { return size_; }
  T operator[](size_t i) const { return LoadLe<T>(data_ + i * sizeof(T)); }
  // Element i's bytes.
  const char* at(size_t i) const { return data_ + i * sizeof(T); }

 private:
  const char* data_ = nullptr;
  size_t size_ = 0;
};

class Writer {
 public:
  void PutU8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void PutU32(uint32_t v);
  void PutU64(uint64_t v);
  void PutVarint(uint64_t v);
  void PutString(absl::string_view s);  // varint length, then the bytes
  void PutBytes(absl::string_view s) { out_.append(s.data(), s.size()); }

  const std::string& data() const { return out_; }
  std::string Release() { return std::move(out_); }
  // Empties the buffer and keeps its capacity (a writer reused for many small records).
  void Clear() { out_.clear(); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  bool GetU8(uint8_t* v);
  bool GetU32(uint32_t* v);
  bool GetU64(uint64_t* v);
  bool GetVarint(uint64_t* v);  // at most 10 bytes; longer is malformed
  bool GetString(std::string* s);
  bool GetBytes(size_t n, absl::string_view* s);
  // GetU8, then a string's bytes (as GetString reads it) as a view: a record of a tag and a
  // short string (a normalized token), its common form (a length under 128) read inline.
  bool GetTaggedBytes(uint8_t* tag, absl::string_view* s) {
    if (ok_ && in_.size() - pos_ >= 2) {
      const auto size = static_cast<uint8_t>(in_[pos_ + 1]);
      if (size < 0x80 && size <= in_.size() - pos_ - 2) {
        *tag = static_cast<uint8_t>(in_[pos_]);
        *s = in_.substr(pos_ + 2, size);
        pos_ += 2 + size;
        return true;
      }
    }
    uint64_t n;
    if (!GetU8(tag) || !GetVarint(&n) || n > remaining()) return Fail();
    return GetBytes(static_cast<size_t>(n), s);
  }
  // `count` values of sizeof(T) bytes each (fails, without reading, when fewer bytes remain).
  template <typename T>
  bool GetArray(uint64_t count, LeArray<T>* a) {
    absl::string_view b;
    if (!ok_ || count > remaining() / sizeof(T) || !GetBytes(count * sizeof(T), &b)) return Fail();
    *a = LeArray<T>(b.data(), static_cast<size_t>(count));
    return true;
  }

  size_t remaining() const { return in_.size() - pos_; }
  bool ok() const { return ok_; }
  // The read position, and the bytes read since an earlier one.
  size_t position() const { return pos_; }
  absl::string_view Consumed(size_t since) const { return in_.substr(since, pos_ - since); }

 private:
  bool Fail() { return ok_ = false; }
  absl::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_CODEC_H_
