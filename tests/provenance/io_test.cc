#include "provenance/io.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace factdedup::provenance {
namespace {

using ::testing::HasSubstr;

// A file of `size` bytes, every byte different from its neighbours.
std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>(i * 131 + i / 256);
  return s;
}

TEST(ReadShared, PosixReadsTheWholeFileIntoMemoryOfItsOwn) {
  FileSystem* fs = DefaultFileSystem();
  const std::string dir = ::testing::TempDir() + "/io_test_read_shared";
  ASSERT_TRUE(fs->MakeDirs(dir).ok());
  for (size_t size : {size_t{0}, size_t{1}, size_t{4096}, size_t{3 << 20}}) {
    SCOPED_TRACE(size);
    const std::string path = JoinPath(dir, absl::StrCat("f", size));
    const std::string contents = Pattern(size);
    ASSERT_TRUE(fs->WriteFileAtomic(path, contents, std::nullopt).ok());
    absl::StatusOr<SharedBytes> read = fs->ReadShared(path, size);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->bytes, contents);
    std::weak_ptr<const void> owner = read->owner;
    const absl::string_view view = read->bytes;
    SharedBytes kept = *std::move(read);
    read = absl::UnknownError("moved");
    EXPECT_FALSE(owner.expired()) << "the bytes live while an owner does";
    EXPECT_EQ(kept.bytes.data(), view.data());
    kept = {};
    EXPECT_TRUE(owner.expired());
    if (size > 0) {
      absl::StatusOr<SharedBytes> over = fs->ReadShared(path, size - 1);
      EXPECT_EQ(over.status().code(), absl::StatusCode::kOutOfRange);
      EXPECT_THAT(over.status().message(), HasSubstr("size limit"));
    }
    ASSERT_TRUE(fs->Remove(path).ok());
  }
  EXPECT_FALSE(fs->ReadShared(JoinPath(dir, "missing"), 100).ok());
  EXPECT_EQ(fs->ReadShared(dir, 100).status().code(), absl::StatusCode::kFailedPrecondition)
      << "a directory is not a regular file";
}

TEST(ReadShared, TheDefaultReadsThroughReadFile) {
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  ASSERT_TRUE(fs->WriteFileAtomic("v/a.bin", Pattern(1000), std::nullopt).ok());
  absl::StatusOr<SharedBytes> read = fs->ReadShared("v/a.bin", 1000);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->bytes, Pattern(1000));
  EXPECT_EQ(fs->ReadShared("v/a.bin", 999).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_FALSE(fs->ReadShared("v/none", 1000).ok());
}

// IsTempFileName as first written (the marker's last occurrence, 6 characters before the end).
bool TempNameByRfind(absl::string_view name) {
  size_t slash = name.rfind('/');
  if (slash != absl::string_view::npos) name.remove_prefix(slash + 1);
  const absl::string_view marker(kTempFileMarker);
  size_t pos = name.rfind(marker);
  return pos != absl::string_view::npos && pos > 0 && name.size() == pos + marker.size() + 6;
}

TEST(IsTempFileName, MatchesTheNamesWriteFileAtomicLeaves) {
  const std::string m = kTempFileMarker;
  const std::vector<std::string> names = {
      "a.md" + m + "x1y2z3",
      "dir/a.md" + m + "x1y2z3",
      "dir.factdedup-tmp-abcdef/a.md",
      m + "x1y2z3",
      "a" + m + "x1y2z",
      "a" + m + "x1y2z34",
      "a" + m + m + "abcdef",
      "a" + m + "abcdef" + m + "ghijkl",
      "a" + m.substr(0, m.size() - 1) + "abcdefg",
      "index.bin" + m + "ab-tmp",
      "a.md",
      "",
      "/",
      "dir/",
  };
  for (const std::string& n : names) EXPECT_EQ(IsTempFileName(n), TempNameByRfind(n)) << n;
  EXPECT_TRUE(IsTempFileName("a.md" + m + "x1y2z3"));
  EXPECT_FALSE(IsTempFileName("a.md"));
}

}  // namespace
}  // namespace factdedup::provenance
