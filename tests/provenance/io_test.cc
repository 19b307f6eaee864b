#include "provenance/io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
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

TEST(ReadShared, PosixMapsTheWholeFileAndKeepsItWhenReplaced) {
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
    // Replaced by a rename, as the index always is: what was read stays as it was.
    ASSERT_TRUE(fs->WriteFileAtomic(path, std::string(size + 7, 'x'), std::nullopt).ok());
    EXPECT_EQ(kept.bytes, contents);
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

TEST(ReadFileAndInfo, PosixReadsTheWholeFileAndGivesTheStatOfTheFileItRead) {
  FileSystem* fs = DefaultFileSystem();
  const std::string dir = ::testing::TempDir() + "/io_test_read_file_and_info";
  ASSERT_TRUE(fs->MakeDirs(dir).ok());
  // Sizes around the one read it takes (the stat size plus one byte) and a large file.
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{65536}, size_t{3 << 20}}) {
    SCOPED_TRACE(size);
    const std::string path = JoinPath(dir, absl::StrCat("f", size));
    const std::string contents = Pattern(size);
    ASSERT_TRUE(fs->WriteFileAtomic(path, contents, std::nullopt).ok());
    FileInfo info;
    absl::StatusOr<std::string> read = fs->ReadFileAndInfo(path, size, &info);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, contents);
    EXPECT_EQ(fs->ReadFile(path, size).value(), contents);
    absl::StatusOr<FileInfo> st = fs->Stat(path, /*follow=*/true);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(info.type, FileInfo::Type::kFile);
    EXPECT_EQ(info.size, st->size);
    EXPECT_EQ(info.mtime_ns, st->mtime_ns);
    EXPECT_EQ(info.inode, st->inode);
    if (size > 0) {
      EXPECT_EQ(fs->ReadFileAndInfo(path, size - 1, &info).status().code(),
                absl::StatusCode::kOutOfRange);
    }
    ASSERT_TRUE(fs->Remove(path).ok());
  }
  FileInfo info;
  EXPECT_FALSE(fs->ReadFileAndInfo(JoinPath(dir, "missing"), 100, &info).ok());
  EXPECT_EQ(fs->ReadFileAndInfo(dir, 100, &info).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "a directory is not a regular file";
  // A file with more bytes than its stat size (as one that grew after the fstat): /proc's
  // files say 0 bytes. It is read to its end, within the size limit.
  absl::StatusOr<std::string> status = fs->ReadFileAndInfo("/proc/self/status", 1 << 20, &info);
  if (status.ok()) {  // where /proc is mounted
    EXPECT_EQ(info.size, 0u);
    EXPECT_THAT(*status, HasSubstr("Name:"));
    EXPECT_GT(status->size(), 100u);
    EXPECT_EQ(fs->ReadFile("/proc/self/status", 10).status().code(), absl::StatusCode::kOutOfRange);
  }
}

TEST(ReadFileAndInfo, TheDefaultStatsThenReads) {
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  ASSERT_TRUE(fs->WriteFileAtomic("v/a.md", Pattern(1000), std::nullopt).ok());
  FileInfo info;
  absl::StatusOr<std::string> read = fs->ReadFileAndInfo("v/a.md", 1000, &info);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, Pattern(1000));
  EXPECT_EQ(info.mtime_ns, fs->Stat("v/a.md", true).value().mtime_ns);
  EXPECT_EQ(info.inode, fs->Stat("v/a.md", true).value().inode);
  EXPECT_EQ(info.size, 1000u);
  EXPECT_EQ(fs->ReadFileAndInfo("v/a.md", 999, &info).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(ListDir, PosixGivesEachEntrysOwnTypeAsLstatDoes) {
  FileSystem* fs = DefaultFileSystem();
  const std::string dir = ::testing::TempDir() + "/io_test_list_dir";
  std::system(("rm -rf '" + dir + "'").c_str());
  ASSERT_TRUE(fs->MakeDirs(JoinPath(dir, "sub")).ok());
  ASSERT_TRUE(fs->WriteFileAtomic(JoinPath(dir, "a.md"), "x", std::nullopt).ok());
  ASSERT_EQ(::symlink("a.md", JoinPath(dir, "to_file").c_str()), 0);
  ASSERT_EQ(::symlink("sub", JoinPath(dir, "to_dir").c_str()), 0);
  ASSERT_EQ(::symlink("missing", JoinPath(dir, "broken").c_str()), 0);
  ASSERT_EQ(::mkfifo(JoinPath(dir, "fifo").c_str(), 0600), 0);
  absl::StatusOr<std::vector<DirEntry>> entries = fs->ListDir(dir);
  ASSERT_TRUE(entries.ok()) << entries.status();
  std::map<std::string, FileInfo::Type> got;
  for (const DirEntry& e : *entries) got[e.name] = e.type;
  const std::map<std::string, FileInfo::Type> want = {
      {"a.md", FileInfo::Type::kFile},       {"sub", FileInfo::Type::kDirectory},
      {"to_file", FileInfo::Type::kSymlink}, {"to_dir", FileInfo::Type::kSymlink},
      {"broken", FileInfo::Type::kSymlink},  {"fifo", FileInfo::Type::kOther}};
  EXPECT_EQ(got, want);
  for (const DirEntry& e : *entries) {  // as Stat without following says
    absl::StatusOr<FileInfo> info = fs->Stat(JoinPath(dir, e.name), /*follow=*/false);
    ASSERT_TRUE(info.ok()) << e.name;
    EXPECT_EQ(info->type, e.type) << e.name;
  }
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(HasBytes, PosixComparesTheFileAsItReadsIt) {
  FileSystem* fs = DefaultFileSystem();
  const std::string dir = ::testing::TempDir() + "/io_test_has_bytes";
  ASSERT_TRUE(fs->MakeDirs(dir).ok());
  // Sizes around the block the comparison reads at a time (64 KiB).
  for (size_t size : {size_t{0}, size_t{1}, size_t{4096}, size_t{65535}, size_t{65536},
                      size_t{65537}, size_t{200000}}) {
    SCOPED_TRACE(size);
    const std::string path = JoinPath(dir, absl::StrCat("f", size));
    const std::string contents = Pattern(size);
    ASSERT_TRUE(fs->WriteFileAtomic(path, contents, std::nullopt).ok());
    EXPECT_EQ(fs->HasBytes(path, contents, size).value(), true);
    EXPECT_EQ(fs->HasBytes(path, contents + "x", size + 1).value(), false) << "longer";
    if (size > 0) {
      EXPECT_EQ(fs->HasBytes(path, contents.substr(0, size - 1), size).value(), false) << "shorter";
      for (size_t at : {size_t{0}, size / 2, size - 1}) {
        std::string other = contents;
        other[at] ^= 1;
        EXPECT_EQ(fs->HasBytes(path, other, size).value(), false) << "byte " << at;
      }
      EXPECT_EQ(fs->HasBytes(path, contents, size - 1).status().code(),
                absl::StatusCode::kOutOfRange);
    }
    // The default implementation, through ReadFile, answers the same.
    EXPECT_EQ(fs->FileSystem::HasBytes(path, contents, size).value(), true);
    ASSERT_TRUE(fs->Remove(path).ok());
  }
  EXPECT_FALSE(fs->HasBytes(JoinPath(dir, "missing"), "", 100).ok());
  EXPECT_EQ(fs->HasBytes(dir, "", 100).status().code(), absl::StatusCode::kFailedPrecondition)
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

// The parts written one after another, on disk and through the default (joined), make the
// file their concatenation; an existing file's mode is kept, a changed one refused.
TEST(WriteFileAtomicParts, WritesThePartsJoined) {
  const std::string big = Pattern(3 << 20);
  const std::vector<absl::string_view> parts = {"head", "", absl::string_view(big),
                                                absl::string_view(big).substr(5, 1000), "tail"};
  const std::string joined = absl::StrCat("head", big, big.substr(5, 1000), "tail");
  std::unique_ptr<FileSystem> mem = NewMemFileSystem();
  FileSystem* disk = DefaultFileSystem();
  const std::string dir = ::testing::TempDir() + "/io_test_write_parts";
  ASSERT_TRUE(disk->MakeDirs(dir).ok());
  for (auto [fs, path] : {std::pair<FileSystem*, std::string>{mem.get(), "v/index.bin"},
                          std::pair<FileSystem*, std::string>{disk, JoinPath(dir, "index.bin")}}) {
    SCOPED_TRACE(path);
    ASSERT_TRUE(fs->WriteFileAtomicParts(path, parts, std::nullopt).ok());
    absl::StatusOr<std::string> read = fs->ReadFile(path, joined.size());
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(*read == joined);
    absl::StatusOr<FileInfo> info = fs->Stat(path, /*follow=*/true);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->size, joined.size());
    ASSERT_TRUE(fs->WriteFileAtomicParts(path, {}, *info).ok());  // no parts: an empty file
    read = fs->ReadFile(path, 10);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(*read, "");
    EXPECT_EQ(fs->WriteFileAtomicParts(path, parts, *info).code(), absl::StatusCode::kAborted)
        << "the file changed since `info`";
  }
}

// The cache write replaces the file with the parts joined, keeps its mode, and leaves no temp
// file, on disk and through the default.
TEST(WriteCacheFileAtomic, ReplacesTheFileWithThePartsJoined) {
  const std::string big = Pattern(1 << 20);
  const std::vector<absl::string_view> parts = {"head", absl::string_view(big), "tail"};
  const std::string joined = absl::StrCat("head", big, "tail");
  std::unique_ptr<FileSystem> mem = NewMemFileSystem();
  FileSystem* disk = DefaultFileSystem();
  const std::string dir = ::testing::TempDir() + "/io_test_write_cache";
  ASSERT_TRUE(disk->MakeDirs(dir).ok());
  for (auto [fs, folder] : {std::pair<FileSystem*, std::string>{mem.get(), "v"},
                            std::pair<FileSystem*, std::string>{disk, dir}}) {
    SCOPED_TRACE(folder);
    ASSERT_TRUE(fs->MakeDirs(folder).ok());
    const std::string path = JoinPath(folder, "index.bin");
    ASSERT_TRUE(fs->WriteFileAtomic(path, "old", std::nullopt).ok());
    ASSERT_TRUE(fs->WriteCacheFileAtomic(path, parts).ok());
    absl::StatusOr<std::string> read = fs->ReadFile(path, joined.size());
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_TRUE(*read == joined);
    absl::StatusOr<std::vector<DirEntry>> entries = fs->ListDir(folder);
    ASSERT_TRUE(entries.ok());
    for (const DirEntry& e : *entries) EXPECT_FALSE(IsTempFileName(e.name)) << e.name;
  }
}

// More parts than one writev takes (IOV_MAX, 1024 on Linux), empty ones among them, and a
// part bigger than a pipe or page: the file is still the parts in order.
TEST(WriteCacheFileAtomic, WritesThousandsOfSmallPartsInOrder) {
  const std::string big = Pattern(3 << 20);
  std::vector<std::string> owned;
  for (int i = 0; i < 5000; ++i) owned.push_back(i % 7 == 0 ? "" : absl::StrCat(i, ","));
  std::vector<absl::string_view> parts(owned.begin(), owned.end());
  parts.insert(parts.begin() + 2500, big);
  std::string joined;
  for (absl::string_view p : parts) joined.append(p.data(), p.size());
  FileSystem* disk = DefaultFileSystem();
  const std::string dir = ::testing::TempDir() + "/io_test_write_many";
  ASSERT_TRUE(disk->MakeDirs(dir).ok());
  const std::string path = JoinPath(dir, "index.bin");
  ASSERT_TRUE(disk->WriteCacheFileAtomic(path, parts).ok());
  absl::StatusOr<std::string> read = disk->ReadFile(path, joined.size() + 1);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), joined.size());
  EXPECT_TRUE(*read == joined);
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
