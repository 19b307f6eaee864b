#include "provenance/internal/codec.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace factdedup::provenance::internal {
namespace {

TEST(Codec, FixedWidthValuesAreLittleEndianAtAnyOffset) {
  Writer w;
  w.PutU8(0xaa);  // everything after is at an odd offset
  w.PutU32(0x01020304u);
  w.PutU64(0x0102030405060708ull);
  EXPECT_EQ(w.data(), std::string("\xaa\x04\x03\x02\x01\x08\x07\x06\x05\x04\x03\x02\x01", 13));
  EXPECT_EQ(LoadLe<uint32_t>(w.data().data() + 1), 0x01020304u);
  EXPECT_EQ(LoadLe<uint64_t>(w.data().data() + 5), 0x0102030405060708ull);
  char buf[11] = {};
  StoreLe<uint64_t>(buf + 3, 0xfedcba9876543210ull);
  StoreLe<uint16_t>(buf + 1, 0xbeef);
  EXPECT_EQ(std::string(buf, 11), std::string("\0\xef\xbe\x10\x32\x54\x76\x98\xba\xdc\xfe", 11));
  Reader r(w.data());
  uint8_t a;
  uint32_t b;
  uint64_t c;
  ASSERT_TRUE(r.GetU8(&a) && r.GetU32(&b) && r.GetU64(&c));
  EXPECT_EQ(b, 0x01020304u);
  EXPECT_EQ(c, 0x0102030405060708ull);
  EXPECT_FALSE(r.GetU8(&a)) << "past the end";
  EXPECT_FALSE(r.ok());
}

TEST(Codec, ArraysAreReadInPlaceAndBoundedByTheBytesLeft) {
  Writer w;
  w.PutU8(7);
  for (uint32_t v : {10u, 20u, 0xffffffffu}) w.PutU32(v);
  w.PutU64(1);
  Reader r(w.data());
  uint8_t first;
  LeArray<uint32_t> a;
  ASSERT_TRUE(r.GetU8(&first));
  ASSERT_TRUE(r.GetArray(3, &a));
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0], 10u);
  EXPECT_EQ(a[1], 20u);
  EXPECT_EQ(a[2], 0xffffffffu);
  EXPECT_EQ(r.remaining(), 8u);
  LeArray<uint64_t> b;
  // A count whose size in bytes would overflow, and one just past the end: both fail without
  // moving, and leave the reader failed.
  Reader big(w.data());
  EXPECT_FALSE(big.GetArray(~uint64_t{0} / 4 + 2, &b));
  EXPECT_FALSE(big.ok());
  EXPECT_FALSE(r.GetArray(2, &b));
  EXPECT_FALSE(r.ok());
  Reader exact(absl::string_view(w.data()).substr(13));
  ASSERT_TRUE(exact.GetArray(1, &b));
  EXPECT_EQ(b[0], 1u);
  EXPECT_EQ(exact.remaining(), 0u);
  LeArray<uint64_t> none;
  EXPECT_TRUE(exact.GetArray(0, &none));
  EXPECT_EQ(none.size(), 0u);
}

TEST(Codec, VarintsAndStrings) {
  Writer w;
  w.PutVarint(0);
  w.PutVarint(300);
  w.PutVarint(~uint64_t{0});
  w.PutString("abc");
  Reader r(w.data());
  uint64_t a, b, c;
  std::string s;
  ASSERT_TRUE(r.GetVarint(&a) && r.GetVarint(&b) && r.GetVarint(&c) && r.GetString(&s));
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 300u);
  EXPECT_EQ(c, ~uint64_t{0});
  EXPECT_EQ(s, "abc");
  // 11 continuation bytes: longer than any 64-bit value.
  const std::string too_long(11, '\x80');
  Reader bad(too_long);
  EXPECT_FALSE(bad.GetVarint(&a));
  // A string longer than what follows.
  const std::string short_string(
      "\x05"
      "ab",
      3);
  Reader cut(short_string);
  EXPECT_FALSE(cut.GetString(&s));
}

// GetTaggedBytes reads what GetU8 then GetString read, and fails where they fail: short and
// long strings (a one- and a two-byte length), every truncation of a record.
TEST(Reader, TaggedBytesAreATagThenAString) {
  for (size_t size : {0, 1, 5, 126, 127, 128, 129, 300}) {
    Writer w;
    w.PutU8(0x2a);
    w.PutString(std::string(size, 'x'));
    w.PutU8(7);
    const std::string record = w.Release();
    for (size_t cut = 0; cut <= record.size(); ++cut) {
      SCOPED_TRACE(absl::StrCat(size, " bytes, cut at ", cut));
      const absl::string_view in = absl::string_view(record).substr(0, cut);
      Reader fast(in), plain(in);
      uint8_t tag = 0, plain_tag = 0;
      absl::string_view bytes;
      std::string plain_bytes;
      const bool ok = fast.GetTaggedBytes(&tag, &bytes);
      const bool plain_ok = plain.GetU8(&plain_tag) && plain.GetString(&plain_bytes);
      ASSERT_EQ(ok, plain_ok);
      EXPECT_EQ(ok, cut >= record.size() - 1);
      if (!ok) continue;
      EXPECT_EQ(tag, plain_tag);
      EXPECT_EQ(bytes, plain_bytes);
      EXPECT_EQ(fast.remaining(), plain.remaining());
    }
  }
}

}  // namespace
}  // namespace factdedup::provenance::internal
