#include "provenance/internal/codec.h"

namespace factdedup::provenance::internal {

void Writer::PutU32(uint32_t v) {
  char b[4];
  StoreLe(b, v);
  out_.append(b, 4);
}

void Writer::PutU64(uint64_t v) {
  char b[8];
  StoreLe(b, v);
  out_.append(b, 8);
}

void Writer::PutVarint(uint64_t v) {
  while (v >= 0x80) {
    PutU8(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  PutU8(static_cast<uint8_t>(v));
}

void Writer::PutString(absl::string_view s) {
  PutVarint(s.size());
  PutBytes(s);
}

bool Reader::GetU8(uint8_t* v) {
  if (!ok_ || pos_ >= in_.size()) return Fail();
  *v = static_cast<uint8_t>(in_[pos_++]);
  return true;
}

bool Reader::GetU32(uint32_t* v) {
  absl::string_view b;
  if (!GetBytes(4, &b)) return false;
  *v = LoadLe<uint32_t>(b.data());
  return true;
}

bool Reader::GetU64(uint64_t* v) {
  absl::string_view b;
  if (!GetBytes(8, &b)) return false;
  *v = LoadLe<uint64_t>(b.data());
  return true;
}

bool Reader::GetVarint(uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint8_t byte;
    if (!GetU8(&byte)) return false;
    if (shift == 63 && byte > 1) return Fail();  // more than 64 bits
    *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return Fail();
}

bool Reader::GetString(std::string* s) {
  uint64_t n;
  absl::string_view b;
  if (!GetVarint(&n) || n > remaining() || !GetBytes(static_cast<size_t>(n), &b)) return Fail();
  s->assign(b.data(), b.size());
  return true;
}

bool Reader::GetBytes(size_t n, absl::string_view* s) {
  if (!ok_ || n > remaining()) return Fail();
  *s = in_.substr(pos_, n);
  pos_ += n;
  return true;
}

}  // namespace factdedup::provenance::internal
