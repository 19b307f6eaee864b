// A small binary codec for saved artifacts: little-endian fixed-width integers, LEB128
// varints and length-prefixed strings. The reader never reads past its input: every getter
// returns false on truncated or malformed input and leaves the reader failed.
//
//   internal::Writer w;  w.PutU32(7);  w.PutString("x");
//   internal::Reader r(w.data());  uint32_t v;  std::string s;
//   if (!r.GetU32(&v) || !r.GetString(&s)) ... corrupt ...
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_CODEC_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_CODEC_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace factdedup::provenance::internal {

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
