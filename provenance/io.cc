#include "provenance/io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace factdedup::provenance {
namespace {

absl::Status ErrnoStatus(int err, absl::string_view what, absl::string_view path) {
  std::string msg = absl::StrCat(path, ": ", what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

FileInfo FromStat(const struct stat& st) {
  FileInfo info;
  if (S_ISREG(st.st_mode)) {
    info.type = FileInfo::Type::kFile;
  } else if (S_ISDIR(st.st_mode)) {
    info.type = FileInfo::Type::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    info.type = FileInfo::Type::kSymlink;
  }
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  info.mode = st.st_mode & 07777;
  info.inode = st.st_ino;
  info.device = st.st_dev;
  return info;
}

// "<path>: locked (pid N)"; `holder` is the lock file's contents ("?" unless a number).
absl::Status LockedError(absl::string_view path, absl::string_view holder) {
  holder = absl::StripAsciiWhitespace(holder);
  bool number = !holder.empty() && holder.size() <= 10 &&
                std::all_of(holder.begin(), holder.end(), [](char c) {
                  return absl::ascii_isdigit(static_cast<unsigned char>(c));
                });
  return absl::UnavailableError(absl::StrCat(path, ": locked (pid ", number ? holder : "?", ")"));
}

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }  // releases the flock

 private:
  int fd_;
};

bool SameVersion(const FileInfo& a, const FileInfo& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.inode == b.inode;
}

// A file opened for reading, closed with this object.
struct OpenFile {
  int fd = -1;
  OpenFile() = default;
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
  // Opens `path`, which must be a regular file of at most `max_size` bytes: its size. Sets
  // *info (when not null) to the opened file's information.
  absl::StatusOr<uint64_t> OpenRegular(const std::string& path, uint64_t max_size,
                                       FileInfo* info = nullptr) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
    struct stat st;
    if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, "cannot stat", path);
    if (info != nullptr) *info = FromStat(st);
    if (!S_ISREG(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > max_size) {
      return absl::OutOfRangeError(
          absl::StrFormat("%s: file is %d bytes, over the size limit of %d bytes (max_file_size)",
                          path, static_cast<int64_t>(size), max_size));
    }
    return size;
  }
};

// Writes `parts` one after another to `fd`, with as few system calls as the kernel allows
// (writev of up to IOV_MAX parts; an index at 1M facts has hundreds of thousands of small
// parts). Returns 0 or the errno of the failed write.
int WriteAll(int fd, absl::Span<const absl::string_view> parts) {
  std::vector<struct iovec> iov;
  iov.reserve(std::min<size_t>(parts.size(), IOV_MAX));
  size_t next = 0;  // first part not yet in `iov`
  size_t skip = 0;  // bytes of iov[0] already written
  while (next < parts.size() || !iov.empty()) {
    while (iov.size() < IOV_MAX && next < parts.size()) {
      if (!parts[next].empty()) {
        iov.push_back({const_cast<char*>(parts[next].data()), parts[next].size()});
      }
      ++next;
    }
    if (iov.empty()) break;
    iov[0].iov_base = static_cast<char*>(iov[0].iov_base) + skip;
    iov[0].iov_len -= skip;
    skip = 0;
    ssize_t n = ::writev(fd, iov.data(), static_cast<int>(iov.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    // Drop the parts written whole; a part written in part stays first, `skip` bytes in.
    size_t written = static_cast<size_t>(n), drop = 0;
    while (drop < iov.size() && written >= iov[drop].iov_len) written -= iov[drop++].iov_len;
    iov.erase(iov.begin(), iov.begin() + static_cast<std::ptrdiff_t>(drop));
    skip = written;
  }
  return 0;
}

// CacheFileWriter on a temp file beside the path (WriteCacheFileAtomic's, in steps).
class PosixCacheFileWriter final : public CacheFileWriter {
 public:
  PosixCacheFileWriter(std::string path, std::string temp, int fd, uint32_t mode)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd), mode_(mode) {}
  ~PosixCacheFileWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(temp_.c_str());
  }
  absl::Status Append(absl::Span<const absl::string_view> parts) override {
    if (fd_ < 0) return absl::FailedPreconditionError(temp_ + ": closed");
    if (int err = WriteAll(fd_, parts); err != 0) return ErrnoStatus(err, "cannot write", temp_);
    return absl::OkStatus();
  }
  absl::Status Overwrite(uint64_t offset, absl::string_view bytes) override {
    if (fd_ < 0) return absl::FailedPreconditionError(temp_ + ": closed");
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                                 static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "cannot write", temp_);
      }
      done += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  }
  absl::Status Commit() override {
    if (fd_ < 0) return absl::FailedPreconditionError(temp_ + ": closed");
    if (::fchmod(fd_, mode_) != 0) return ErrnoStatus(errno, "cannot set mode", temp_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoStatus(errno, "cannot close", temp_);
    if (::rename(temp_.c_str(), path_.c_str()) != 0) {
      return ErrnoStatus(errno, "cannot rename temp file over", path_);
    }
    committed_ = true;
    return absl::OkStatus();
  }

 private:
  std::string path_, temp_;
  int fd_;
  uint32_t mode_;
  bool committed_ = false;
};

class PosixFileSystem final : public FileSystem {
 public:
  absl::StatusOr<std::string> ReadFile(const std::string& path, uint64_t max_size) override {
    FileInfo info;
    return ReadFileAndInfo(path, max_size, &info);
  }

  absl::StatusOr<std::string> ReadFileAndInfo(const std::string& path, uint64_t max_size,
                                              FileInfo* info) override {
    OpenFile file;
    absl::StatusOr<uint64_t> opened = file.OpenRegular(path, max_size, info);
    if (!opened.ok()) return opened.status();
    const int fd = file.fd;
    const uint64_t size = *opened;
    // One byte more than the stat size is asked for: a file read whole in one call then comes
    // back short by that byte, which is its end (a regular file's read returns fewer bytes
    // than asked only there), and needs no second read to see it; a file that grew since the
    // fstat fills the byte, and is read on to its end.
    std::string out;
    out.resize(static_cast<size_t>(size) + 1);
    size_t done = 0;
    while (true) {
      if (done == out.size()) out.resize(std::max<size_t>(out.size() * 2, 4096));
      const size_t want = out.size() - done;
      ssize_t n = ::read(fd, out.data() + done, want);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "cannot read", path);
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
      if (done > max_size) {
        return absl::OutOfRangeError(absl::StrFormat(
            "%s: file grew over the size limit of %d bytes while reading", path, max_size));
      }
      if (done == size && static_cast<size_t>(n) < want) break;  // the end, as above
    }
    out.resize(done);
    return out;
  }

  absl::StatusOr<bool> HasBytes(const std::string& path, absl::string_view bytes,
                                uint64_t max_size) override {
    OpenFile file;
    absl::StatusOr<uint64_t> opened = file.OpenRegular(path, max_size);
    if (!opened.ok()) return opened.status();
    const int fd = file.fd;
    const uint64_t size = *opened;
    if (size != bytes.size()) return false;
    // Block after block into a buffer on the stack, compared as read; then one more read to
    // see the end of the file (it may have grown since the fstat).
    // A read short of a whole block at the stat size is the file's end (as in
    // ReadFileAndInfo): a file smaller than a block takes one read.
    char block[1 << 16];
    size_t done = 0;
    while (true) {
      ssize_t n = ::read(fd, block, sizeof block);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "cannot read", path);
      }
      if (n == 0) return done == bytes.size();
      if (static_cast<size_t>(n) > bytes.size() - done ||
          std::memcmp(block, bytes.data() + done, static_cast<size_t>(n)) != 0) {
        return false;
      }
      done += static_cast<size_t>(n);
      if (done == size && static_cast<size_t>(n) < sizeof block) return true;
    }
  }

  absl::StatusOr<SharedBytes> ReadShared(const std::string& path, uint64_t max_size) override {
    OpenFile file;
    FileInfo info;
    absl::StatusOr<uint64_t> opened = file.OpenRegular(path, max_size, &info);
    if (!opened.ok()) return opened.status();
    const uint64_t size = *opened;
    if (size == 0) {
      auto empty = std::make_shared<const char>('\0');
      return SharedBytes{absl::string_view(empty.get(), 0), std::move(empty), info};
    }
    // Mapped, not read: the pages are the page cache's own, neither zero-filled nor copied
    // (reading a 49 MB index into new memory spent more time in the kernel zeroing and copying
    // it than the rest of its load). MAP_POPULATE maps them all in one call instead of a fault
    // per page. The index is only ever replaced by a rename, which leaves this file as it was.
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, file.fd, 0);
    if (map != MAP_FAILED) {
      std::shared_ptr<const void> owner(
          map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
      return SharedBytes{absl::string_view(static_cast<const char*>(map), size), std::move(owner),
                         info};
    }
    // A file system that cannot map it: read into memory of its own. One byte more than the
    // file, to see it grow; not initialized (read fills it).
    std::shared_ptr<char[]> buffer(new char[size + 1]);
    size_t done = 0;
    while (done <= size) {
      ssize_t n = ::read(file.fd, buffer.get() + done, size + 1 - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "cannot read", path);
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    if (done > size) return absl::AbortedError(absl::StrCat(path, ": grew while being read"));
    const absl::string_view bytes(buffer.get(), done);
    return SharedBytes{bytes, std::move(buffer), info};
  }

  absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return ErrnoStatus(errno, "cannot list directory", path);
    std::vector<DirEntry> out;
    while (struct dirent* e = ::readdir(dir)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      DirEntry entry;
      entry.name = e->d_name;
      // The entry's own type as the directory gives it (what lstat would say), without a call
      // per entry; asked for only where the file system does not give it.
      switch (e->d_type) {
        case DT_REG:
          entry.type = FileInfo::Type::kFile;
          break;
        case DT_DIR:
          entry.type = FileInfo::Type::kDirectory;
          break;
        case DT_LNK:
          entry.type = FileInfo::Type::kSymlink;
          break;
        case DT_UNKNOWN: {
          struct stat st;
          if (::lstat(JoinPath(path, entry.name).c_str(), &st) == 0) entry.type = FromStat(st).type;
          break;
        }
        default:  // a FIFO, socket or device
          break;
      }
      out.push_back(std::move(entry));
    }
    ::closedir(dir);
    return out;
  }

  absl::StatusOr<FileInfo> Stat(const std::string& path, bool follow) override {
    struct stat st;
    int rc = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (rc != 0) return ErrnoStatus(errno, "cannot stat", path);
    return FromStat(st);
  }

  absl::StatusOr<std::string> RealPath(const std::string& path) override {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf) == nullptr) {
      return ErrnoStatus(errno, "cannot resolve", path);
    }
    return std::string(buf);
  }

  absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents,
                               const std::optional<FileInfo>& expected) override {
    return WriteParts(path, absl::MakeConstSpan(&contents, 1), expected);
  }

  absl::Status WriteFileAtomicParts(const std::string& path,
                                    absl::Span<const absl::string_view> parts,
                                    const std::optional<FileInfo>& expected) override {
    return WriteParts(path, parts, expected);
  }

  absl::Status WriteCacheFileAtomic(const std::string& path,
                                    absl::Span<const absl::string_view> parts) override {
    absl::StatusOr<std::unique_ptr<CacheFileWriter>> w = OpenCacheFile(path);
    if (!w.ok()) return w.status();
    if (absl::Status s = (*w)->Append(parts); !s.ok()) return s;
    return (*w)->Commit();
  }

  absl::StatusOr<std::unique_ptr<CacheFileWriter>> OpenCacheFile(const std::string& path) override {
    uint32_t mode = 0644;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) mode = FromStat(st).mode;
    std::string tmpl = absl::StrCat(path, kTempFileMarker, "XXXXXX");
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return ErrnoStatus(errno, "cannot create temp file", tmpl);
    return std::make_unique<PosixCacheFileWriter>(path, std::move(tmpl), fd, mode);
  }

 private:
  // The file is flushed to disk before the rename, and the folder after it.
  absl::Status WriteParts(const std::string& path, absl::Span<const absl::string_view> parts,
                          const std::optional<FileInfo>& expected) {
    uint32_t mode = 0644;
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) {
      FileInfo now = FromStat(st);
      if (expected.has_value() && !SameVersion(now, *expected)) {
        return absl::AbortedError(
            absl::StrCat(path, ": file changed since it was read; not written"));
      }
      mode = now.mode;
    } else if (expected.has_value()) {
      return absl::AbortedError(
          absl::StrCat(path, ": file was removed since it was read; not written"));
    }
    std::string dir = ".";
    if (size_t slash = path.rfind('/'); slash != std::string::npos) {
      dir = slash == 0 ? "/" : path.substr(0, slash);
    }
    std::string tmpl = absl::StrCat(path, kTempFileMarker, "XXXXXX");
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) return ErrnoStatus(errno, "cannot create temp file", tmpl);
    auto fail = [&](int err, absl::string_view what) {
      ::close(fd);
      ::unlink(tmpl.c_str());
      return ErrnoStatus(err, what, tmpl);
    };
    if (int err = WriteAll(fd, parts); err != 0) return fail(err, "cannot write");
    if (::fchmod(fd, mode) != 0) return fail(errno, "cannot set mode");
    if (::fsync(fd) != 0) return fail(errno, "cannot fsync");
    if (::close(fd) != 0) {
      int err = errno;
      ::unlink(tmpl.c_str());
      return ErrnoStatus(err, "cannot close", tmpl);
    }
    // Re-check just before the rename to keep the window for a lost update small.
    if (expected.has_value()) {
      if (::stat(path.c_str(), &st) != 0 || !SameVersion(FromStat(st), *expected)) {
        ::unlink(tmpl.c_str());
        return absl::AbortedError(
            absl::StrCat(path, ": file changed since it was read; not written"));
      }
    }
    if (::rename(tmpl.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmpl.c_str());
      return ErrnoStatus(err, "cannot rename temp file over", path);
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return absl::OkStatus();
  }

 public:
  absl::Status MakeDirs(const std::string& path) override {
    std::string cur;
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t slash = path.find('/', pos);
      if (slash == std::string::npos) slash = path.size();
      cur = path.substr(0, slash);
      pos = slash + 1;
      if (cur.empty()) continue;
      if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoStatus(errno, "cannot create directory", cur);
      }
    }
    return absl::OkStatus();
  }

  absl::Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "cannot remove", path);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<FileLock>> TryLock(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus(errno, "cannot open lock file", path);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      if (err != EWOULDBLOCK) {
        ::close(fd);
        return ErrnoStatus(err, "cannot lock", path);
      }
      char buf[32];
      ssize_t n = ::pread(fd, buf, sizeof buf, 0);
      ::close(fd);
      return LockedError(path, absl::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0));
    }
    // The pid only informs whoever finds the lock taken; failing to write it is harmless.
    std::string pid = absl::StrCat(::getpid(), "\n");
    if (::ftruncate(fd, 0) == 0) {
      [[maybe_unused]] ssize_t n = ::pwrite(fd, pid.data(), pid.size(), 0);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

class MemFileSystem final : public FileSystem {
 public:
  absl::StatusOr<std::string> ReadFile(const std::string& path, uint64_t max_size) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(path);
    if (it == files_.end()) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    if (it->second.data.size() > max_size) {
      return absl::OutOfRangeError(
          absl::StrFormat("%s: file is %d bytes, over the size limit of %d bytes (max_file_size)",
                          path, it->second.data.size(), max_size));
    }
    return it->second.data;
  }

  absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string prefix = path.empty() ? "" : path + "/";
    std::map<std::string, FileInfo::Type> seen;
    for (const auto& [p, f] : files_) {
      if (p.compare(0, prefix.size(), prefix) != 0) continue;
      std::string rest = p.substr(prefix.size());
      size_t slash = rest.find('/');
      if (slash == std::string::npos) {
        seen[rest] = FileInfo::Type::kFile;
      } else {
        seen[rest.substr(0, slash)] = FileInfo::Type::kDirectory;
      }
    }
    if (seen.empty() && !dirs_.count(path)) {
      return absl::NotFoundError(absl::StrCat(path, ": no such directory"));
    }
    std::vector<DirEntry> out;
    for (const auto& [name, type] : seen) out.push_back({name, type});
    return out;
  }

  absl::StatusOr<FileInfo> Stat(const std::string& path, bool) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(path);
    if (it != files_.end()) return it->second.info;
    std::string prefix = path + "/";
    for (const auto& [p, f] : files_) {
      if (p.compare(0, prefix.size(), prefix) == 0) {
        FileInfo info;
        info.type = FileInfo::Type::kDirectory;
        return info;
      }
    }
    if (dirs_.count(path)) {
      FileInfo info;
      info.type = FileInfo::Type::kDirectory;
      return info;
    }
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  }

  absl::StatusOr<std::string> RealPath(const std::string& path) override {
    return std::string(path);
  }

  absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents,
                               const std::optional<FileInfo>& expected) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(path);
    if (expected.has_value()) {
      if (it == files_.end() || !SameVersion(it->second.info, *expected)) {
        return absl::AbortedError(
            absl::StrCat(path, ": file changed since it was read; not written"));
      }
    }
    File& f = files_[path];
    f.data = std::string(contents);
    f.info.type = FileInfo::Type::kFile;
    f.info.size = contents.size();
    f.info.mtime_ns = ++clock_;
    f.info.inode = f.info.inode ? f.info.inode : ++next_inode_;
    return absl::OkStatus();
  }

  absl::Status MakeDirs(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu_);
    dirs_[path] = true;
    return absl::OkStatus();
  }

  absl::Status Remove(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (files_.erase(path) == 0) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<FileLock>> TryLock(const std::string& path) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!locks_.insert(path).second) return LockedError(path, files_[path].data);
    File& f = files_[path];
    f.data = absl::StrCat(::getpid(), "\n");
    f.info.type = FileInfo::Type::kFile;
    f.info.size = f.data.size();
    f.info.mtime_ns = ++clock_;
    return std::unique_ptr<FileLock>(new MemFileLock(this, path));
  }

 private:
  class MemFileLock final : public FileLock {
   public:
    MemFileLock(MemFileSystem* fs, std::string path) : fs_(fs), path_(std::move(path)) {}
    ~MemFileLock() override {
      std::lock_guard<std::mutex> lock(fs_->mu_);
      fs_->locks_.erase(path_);
    }

   private:
    MemFileSystem* fs_;
    std::string path_;
  };

  struct File {
    std::string data;
    FileInfo info;
  };
  std::mutex mu_;
  std::map<std::string, File> files_;
  std::map<std::string, bool> dirs_;
  std::set<std::string> locks_;
  int64_t clock_ = 0;
  uint64_t next_inode_ = 0;
};

}  // namespace

bool IsTempFileName(absl::string_view name) {
  size_t slash = name.rfind('/');
  if (slash != absl::string_view::npos) name.remove_prefix(slash + 1);
  // The marker's last occurrence, 6 characters before the end: no occurrence can start later
  // (the marker has no border: no proper prefix of it is also a suffix).
  const absl::string_view kMarker(kTempFileMarker);
  return name.size() > kMarker.size() + 6 &&
         name.substr(name.size() - 6 - kMarker.size(), kMarker.size()) == kMarker;
}

absl::StatusOr<std::string> FileSystem::ReadFileAndInfo(const std::string& path, uint64_t max_size,
                                                        FileInfo* info) {
  absl::StatusOr<FileInfo> st = Stat(path, /*follow=*/true);
  absl::StatusOr<std::string> bytes = ReadFile(path, max_size);
  if (bytes.ok() && st.ok()) *info = *st;
  return bytes;
}

absl::StatusOr<bool> FileSystem::HasBytes(const std::string& path, absl::string_view bytes,
                                          uint64_t max_size) {
  absl::StatusOr<std::string> read = ReadFile(path, max_size);
  if (!read.ok()) return read.status();
  return *read == bytes;
}

absl::StatusOr<SharedBytes> FileSystem::ReadShared(const std::string& path, uint64_t max_size) {
  FileInfo info;
  absl::StatusOr<std::string> bytes = ReadFileAndInfo(path, max_size, &info);
  if (!bytes.ok()) return bytes.status();
  auto owner = std::make_shared<const std::string>(*std::move(bytes));
  const absl::string_view view = *owner;
  return SharedBytes{view, std::move(owner), info};
}

absl::Status FileSystem::WriteCacheFileAtomic(const std::string& path,
                                              absl::Span<const absl::string_view> parts) {
  return WriteFileAtomicParts(path, parts, std::nullopt);
}

namespace {

// The default CacheFileWriter: the bytes gathered in memory, written whole on Commit.
class BufferedCacheFileWriter final : public CacheFileWriter {
 public:
  BufferedCacheFileWriter(FileSystem* fs, std::string path) : fs_(fs), path_(std::move(path)) {}
  absl::Status Append(absl::Span<const absl::string_view> parts) override {
    for (absl::string_view p : parts) bytes_.append(p.data(), p.size());
    return absl::OkStatus();
  }
  absl::Status Overwrite(uint64_t offset, absl::string_view bytes) override {
    if (offset > bytes_.size() || bytes.size() > bytes_.size() - offset) {
      return absl::OutOfRangeError(absl::StrCat(path_, ": overwrite past the bytes written"));
    }
    bytes_.replace(offset, bytes.size(), bytes.data(), bytes.size());
    return absl::OkStatus();
  }
  absl::Status Commit() override {
    const absl::string_view all = bytes_;
    return fs_->WriteCacheFileAtomic(path_, absl::MakeConstSpan(&all, 1));
  }

 private:
  FileSystem* fs_;
  std::string path_, bytes_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CacheFileWriter>> FileSystem::OpenCacheFile(
    const std::string& path) {
  return std::make_unique<BufferedCacheFileWriter>(this, path);
}

absl::Status FileSystem::WriteFileAtomicParts(const std::string& path,
                                              absl::Span<const absl::string_view> parts,
                                              const std::optional<FileInfo>& expected) {
  std::string joined;
  size_t size = 0;
  for (absl::string_view part : parts) size += part.size();
  joined.reserve(size);
  for (absl::string_view part : parts) joined.append(part.data(), part.size());
  return WriteFileAtomic(path, joined, expected);
}

absl::StatusOr<std::unique_ptr<FileLock>> FileSystem::TryLock(const std::string& path) {
  return absl::UnimplementedError(absl::StrCat(path, ": this file system cannot lock files"));
}

FileSystem* DefaultFileSystem() {
  static PosixFileSystem* fs = new PosixFileSystem();
  return fs;
}

std::unique_ptr<FileSystem> NewMemFileSystem() { return std::make_unique<MemFileSystem>(); }

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (a.empty()) return std::string(b);
  if (a.back() == '/') return absl::StrCat(a, b);
  return absl::StrCat(a, "/", b);
}

}  // namespace factdedup::provenance
