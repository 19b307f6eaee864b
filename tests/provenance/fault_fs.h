// FaultFileSystem: a FileSystem wrapper for tests that makes chosen WriteFileAtomic calls fail
// the way disks and other programs make them fail.
//
//   auto mem = NewMemFileSystem();
//   FaultFileSystem fs(mem.get());
//   fs.Inject(FaultFileSystem::Fault::kNoSpace, "Accounts/", /*nth=*/0);
//   absl::Status s = ApplyClean(&fs, vault, plan, "t");   // the first page write fails
//
// A rule fires on the nth (0-based) WriteFileAtomic call whose path contains `path_part`.
// After kCrashBeforeRename every later call fails too, as if the process had died there:
// the base file system then holds exactly what a real crash leaves.
#ifndef FACTDEDUP_TESTS_PROVENANCE_FAULT_FS_H_
#define FACTDEDUP_TESTS_PROVENANCE_FAULT_FS_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "provenance/io.h"

namespace factdedup::testing {

class FaultFileSystem final : public provenance::FileSystem {
 public:
  enum class Fault {
    kShortWrite,         // half the bytes reach a temp file next to the target; the call fails
    kNoSpace,            // ENOSPC: kResourceExhausted, nothing written
    kPermission,         // EACCES: kPermissionDenied, nothing written
    kChangedBefore,      // another program rewrites the target just before the write
    kDeletedBefore,      // another program deletes the target just before the write
    kCrashBeforeRename,  // the whole temp file is written, then the process "dies"
  };
  static constexpr const char* kOtherProgramBytes = "- edited by another program\n";

  explicit FaultFileSystem(provenance::FileSystem* base) : base_(base) {}

  void Inject(Fault fault, std::string path_part, int nth = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.push_back({fault, std::move(path_part), nth, 0});
  }
  bool crashed() const { return crashed_; }
  int fired() const { return fired_; }

  absl::StatusOr<std::string> ReadFile(const std::string& p, uint64_t max) override {
    if (crashed_) return Dead();
    return base_->ReadFile(p, max);
  }
  absl::StatusOr<std::vector<provenance::DirEntry>> ListDir(const std::string& p) override {
    if (crashed_) return Dead();
    return base_->ListDir(p);
  }
  absl::StatusOr<provenance::FileInfo> Stat(const std::string& p, bool follow) override {
    if (crashed_) return Dead();
    return base_->Stat(p, follow);
  }
  absl::StatusOr<std::string> RealPath(const std::string& p) override {
    if (crashed_) return Dead();
    return base_->RealPath(p);
  }
  absl::Status MakeDirs(const std::string& p) override {
    if (crashed_) return Dead();
    return base_->MakeDirs(p);
  }
  absl::Status Remove(const std::string& p) override {
    if (crashed_) return Dead();
    return base_->Remove(p);
  }
  absl::StatusOr<std::unique_ptr<provenance::FileLock>> TryLock(const std::string& p) override {
    if (crashed_) return Dead();
    return base_->TryLock(p);
  }

  absl::Status WriteFileAtomic(const std::string& path, absl::string_view contents,
                               const std::optional<provenance::FileInfo>& expected) override {
    if (crashed_) return Dead();
    const Fault* fault = Match(path);
    if (fault == nullptr) return base_->WriteFileAtomic(path, contents, expected);
    ++fired_;
    const std::string temp = absl::StrCat(path, provenance::kTempFileMarker, "fault0");
    switch (*fault) {
      case Fault::kShortWrite:
        (void)base_->WriteFileAtomic(temp, contents.substr(0, contents.size() / 2), {});
        return absl::ResourceExhaustedError(absl::StrCat(temp, ": cannot write: short write"));
      case Fault::kNoSpace:
        return absl::ResourceExhaustedError(
            absl::StrCat(temp, ": cannot write: No space left on device"));
      case Fault::kPermission:
        return absl::PermissionDeniedError(
            absl::StrCat(temp, ": cannot create temp file: Permission denied"));
      case Fault::kChangedBefore:
        (void)base_->WriteFileAtomic(path, kOtherProgramBytes, {});
        return base_->WriteFileAtomic(path, contents, expected);
      case Fault::kDeletedBefore:
        (void)base_->Remove(path);
        return base_->WriteFileAtomic(path, contents, expected);
      case Fault::kCrashBeforeRename:
        (void)base_->WriteFileAtomic(temp, contents, {});
        crashed_ = true;
        return Dead();
    }
    return absl::InternalError("unknown fault");
  }

 private:
  struct Rule {
    Fault fault;
    std::string path_part;
    int nth;
    int seen;
  };

  static absl::Status Dead() { return absl::AbortedError("the process died (injected crash)"); }

  const Fault* Match(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Rule& r : rules_) {
      if (!absl::StrContains(path, r.path_part)) continue;
      if (r.seen++ == r.nth) return &r.fault;
    }
    return nullptr;
  }

  provenance::FileSystem* base_;
  std::mutex mu_;
  std::vector<Rule> rules_;
  bool crashed_ = false;
  int fired_ = 0;
};

}  // namespace factdedup::testing

#endif  // FACTDEDUP_TESTS_PROVENANCE_FAULT_FS_H_
