// All file I/O of factdedup goes through FileSystem, so tests run in memory and inject faults.
//
//   FileSystem* fs = DefaultFileSystem();                 // POSIX, process-wide
//   absl::StatusOr<std::string> bytes = fs->ReadFile("vault/a.md", 16 << 20);
//
//   auto mem = NewMemFileSystem();                        // for tests
//   mem->WriteFileAtomic("v/a.md", "- fact\n", {});
//
// Paths are plain strings joined with '/'. Thread-safety: every implementation here is safe to
// call from several threads at once.
#ifndef FACTDEDUP_PROVENANCE_IO_H_
#define FACTDEDUP_PROVENANCE_IO_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace factdedup::provenance {

struct FileInfo {
  enum class Type { kFile, kDirectory, kSymlink, kOther };
  Type type = Type::kOther;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint32_t mode = 0644;  // permission bits
  uint64_t inode = 0;
  uint64_t device = 0;
};

// Every temp file WriteFileAtomic creates is named `<path><kTempFileMarker><6 characters>`;
// one left behind by a crash is never read as a note and `clean --write` removes it.
inline constexpr char kTempFileMarker[] = ".factdedup-tmp-";

// Whether `name` (a path or its last component) is such a temp file.
bool IsTempFileName(absl::string_view name);

// An exclusive advisory lock, released when destroyed or when its process dies. Must not
// outlive the FileSystem that made it.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// A whole file's bytes, in memory that `owner` keeps alive (FileSystem::ReadShared).
struct SharedBytes {
  absl::string_view bytes;
  std::shared_ptr<const void> owner;
  FileInfo info;  // of the file read (as ReadFileAndInfo gives it)
};

struct DirEntry {
  std::string name;                              // not a path: the last component only
  FileInfo::Type type = FileInfo::Type::kOther;  // of the entry itself (symlinks not followed)
};

// A cache file written in steps, put in place as WriteCacheFileAtomic puts one (a temp file
// beside it, renamed over it; not flushed to disk): parts appended as they become known, bytes
// already written overwritten (a header whose checksum is known last), then Commit. Destroyed
// without a successful Commit, it removes its temp file: `path` is never seen half-written.
class CacheFileWriter {
 public:
  virtual ~CacheFileWriter() = default;
  virtual absl::Status Append(absl::Span<const absl::string_view> parts) = 0;
  // Replaces bytes [offset, offset + bytes.size()) of those appended.
  virtual absl::Status Overwrite(uint64_t offset, absl::string_view bytes) = 0;
  virtual absl::Status Commit() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Reads a whole file. Fails with kOutOfRange, naming the limit, when it is larger than
  // `max_size` bytes (checked before reading, so a huge file costs nothing).
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path, uint64_t max_size) = 0;
  // ReadFile that also gives the file's information as it was read (`*info`; left as it is
  // when that cannot be had). The default implementation calls Stat(path, true), then
  // ReadFile; the disk's file system reads it from the file it opens (no second lookup).
  virtual absl::StatusOr<std::string> ReadFileAndInfo(const std::string& path, uint64_t max_size,
                                                      FileInfo* info);
  // ReadFile for a large file kept in memory while it is used (the incremental index). The
  // disk's file system maps the file read-only (its pages are the page cache's, neither
  // zero-filled nor copied), and reads it into memory of its own where it cannot be mapped.
  // Mapped bytes stay as they were when the file is replaced by a rename (as every writer of
  // the index does); a file written or truncated in place while mapped changes them or makes
  // reading them fault, so such a file must only ever be replaced. Fails as ReadFile does. The
  // default implementation calls ReadFileAndInfo.
  virtual absl::StatusOr<SharedBytes> ReadShared(const std::string& path, uint64_t max_size);
  // Whether the file at `path` holds exactly `bytes` (ReadFile(path, max_size) == bytes),
  // without keeping its bytes: the disk's file system compares them a block at a time as it
  // reads, and not at all when the sizes differ. Fails as ReadFile does. The default
  // implementation calls ReadFile.
  virtual absl::StatusOr<bool> HasBytes(const std::string& path, absl::string_view bytes,
                                        uint64_t max_size);
  // Entries of a directory, without "." and "..", in no particular order.
  virtual absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& path) = 0;
  // Information about `path`; follows symlinks when `follow` is true.
  virtual absl::StatusOr<FileInfo> Stat(const std::string& path, bool follow) = 0;
  // Canonical absolute path with every symlink resolved.
  virtual absl::StatusOr<std::string> RealPath(const std::string& path) = 0;
  // Replaces `path` with `contents` atomically: a temp file in the same folder, fsync, rename.
  // The file's mode is kept. When `expected` is given, refuses with kAborted if the file's
  // current size or mtime differ from it (it changed since it was read).
  virtual absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents,
                                       const std::optional<FileInfo>& expected) = 0;
  // WriteFileAtomic of `parts` joined, for contents that live in pieces (a large index): the
  // default joins them and calls WriteFileAtomic; the disk's file system writes them one after
  // another without joining them.
  virtual absl::Status WriteFileAtomicParts(const std::string& path,
                                            absl::Span<const absl::string_view> parts,
                                            const std::optional<FileInfo>& expected);
  // Replaces `path` with `parts` joined, atomically like WriteFileAtomicParts (concurrent
  // readers see the old or the new file whole) but without fsync: for a cache whose reader
  // verifies it (the index's checksum), where a power loss may cost the new contents and leave
  // a file that fails that check, never one that passes it. At 1M facts the fsync of the
  // 480 MB index took 1.5 s. The default calls WriteFileAtomicParts.
  virtual absl::Status WriteCacheFileAtomic(const std::string& path,
                                            absl::Span<const absl::string_view> parts);
  // A CacheFileWriter for `path` (its folder must exist). The default gathers the bytes in
  // memory and calls WriteCacheFileAtomic on Commit; the disk's file system writes them to its
  // temp file as they come.
  virtual absl::StatusOr<std::unique_ptr<CacheFileWriter>> OpenCacheFile(const std::string& path);
  // Creates a directory and its parents; success if it exists.
  virtual absl::Status MakeDirs(const std::string& path) = 0;
  virtual absl::Status Remove(const std::string& path) = 0;
  // Takes an exclusive lock on `path` (created if missing) without waiting and writes the
  // caller's process id into it. When another process, or another FileLock of this one,
  // holds it, fails with kUnavailable and the message "<path>: locked (pid N)" (N is "?" when
  // unknown). The default implementation fails with kUnimplemented.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> TryLock(const std::string& path);
};

// The process-wide POSIX file system. Never null; not owned by the caller.
FileSystem* DefaultFileSystem();

// An in-memory file system for tests. Symlinks are not modelled; locks are per instance.
std::unique_ptr<FileSystem> NewMemFileSystem();

// Joins two path pieces with one '/'. An empty `a` yields `b`.
std::string JoinPath(absl::string_view a, absl::string_view b);

}  // namespace factdedup::provenance

#endif  // FACTDEDUP_PROVENANCE_IO_H_
