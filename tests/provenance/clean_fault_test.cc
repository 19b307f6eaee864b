// `clean --write` and `restore` under injected faults (tests/provenance/fault_fs.h): whatever
// fails, every page is its old or its new version (or what another program wrote), never
// partial and never lost; the journal agrees with the pages, so a later run finishes the job
// and `restore` undoes exactly what was written; no temp file survives the next run.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "provenance/clean.h"
#include "tests/provenance/fault_fs.h"

namespace factdedup::provenance {
namespace {

using ::factdedup::testing::FaultFileSystem;
using Fault = FaultFileSystem::Fault;

constexpr char kRoot[] = "v";

// Three pages with duplicate bullets, and a note with nothing to clean.
const std::map<std::string, std::string>& Pages() {
  static const auto* pages = new std::map<std::string, std::string>{
      {"Accounts/Contoso.md",
       "# Contoso\n\n## Key Facts\n- Contoso signed a $5M storage deal with Fabrikam in March "
       "2026.\n- Contoso signed a $5M storage deal with Fabrikam in March 2026.\n- Contoso "
       "moved its headquarters to Austin.\n"},
      {"Accounts/Fabrikam.md",
       "## Key Facts\n- Fabrikam hired 300 engineers for the Lisbon office.\n- Fabrikam hired "
       "300 engineers for the Lisbon office.\n- The Lisbon office opens in June 2026.\n"},
      {"Accounts/Northwind.md",
       "## Key Facts\n- Northwind runs 12 warehouses in Ohio.\n- Northwind runs 12 warehouses "
       "in Ohio.\n"},
      {"Inbox/idea.md", "- a lone thought about gardening\n"},
  };
  return *pages;
}

std::unique_ptr<FileSystem> NewVault() {
  std::unique_ptr<FileSystem> mem = NewMemFileSystem();
  for (const auto& [path, bytes] : Pages()) {
    EXPECT_TRUE(mem->WriteFileAtomic(JoinPath(kRoot, path), bytes, {}).ok());
  }
  return mem;
}

struct Planned {
  Vault vault;
  CleanPlan plan;
};

Planned PlanOn(FileSystem* fs, const std::string& root = kRoot) {
  Planned p;
  absl::StatusOr<Vault> vault = LoadVault(fs, root, Config{});
  EXPECT_TRUE(vault.ok()) << vault.status();
  p.vault = *std::move(vault);
  absl::StatusOr<ScanResult> scan = ScanVault(p.vault, p.vault.config.dedup);
  EXPECT_TRUE(scan.ok()) << scan.status();
  absl::StatusOr<CleanPlan> plan = PlanClean(p.vault, *scan, {});
  EXPECT_TRUE(plan.ok()) << plan.status();
  p.plan = *std::move(plan);
  return p;
}

// Every file under `dir`, recursively, as full paths.
void AllFiles(FileSystem* fs, const std::string& dir, std::vector<std::string>* out) {
  absl::StatusOr<std::vector<DirEntry>> entries = fs->ListDir(dir);
  if (!entries.ok()) return;
  for (const DirEntry& e : *entries) {
    const std::string path = JoinPath(dir, e.name);
    if (e.type == FileInfo::Type::kDirectory) {
      AllFiles(fs, path, out);
    } else {
      out->push_back(path);
    }
  }
}

struct FaultCase {
  std::string name;
  Fault fault;
  std::string path_part;  // which write: a page, the journal or a backup
  int nth;
};

std::vector<FaultCase> Cases() {
  std::vector<FaultCase> cases;
  const std::pair<Fault, std::string> faults[] = {
      {Fault::kShortWrite, "short_write"}, {Fault::kNoSpace, "enospc"},
      {Fault::kPermission, "eacces"},      {Fault::kChangedBefore, "changed"},
      {Fault::kDeletedBefore, "deleted"},  {Fault::kCrashBeforeRename, "crash"},
  };
  for (const auto& [fault, name] : faults) {
    for (int nth : {0, 1, 2}) {
      cases.push_back({absl::StrCat(name, "_page", nth), fault, "v/Accounts/", nth});
    }
    // Another program never edits the journal or a backup: those faults concern pages.
    if (fault == Fault::kChangedBefore || fault == Fault::kDeletedBefore) continue;
    cases.push_back({name + "_journal", fault, "journal.jsonl", 0});
    for (int nth : {0, 2}) {
      cases.push_back({absl::StrCat(name, "_backup", nth), fault, "backups/", nth});
    }
  }
  return cases;
}

class CleanFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(CleanFaultTest, PagesStayOldOrNewAndTheJournalAgrees) {
  const FaultCase& c = GetParam();
  std::unique_ptr<FileSystem> mem = NewVault();
  Planned first = PlanOn(mem.get());
  ASSERT_EQ(first.plan.pages.size(), 3u);
  std::map<std::string, const PagePlan*> planned;
  for (const PagePlan& p : first.plan.pages) planned[p.path] = &p;

  // The run that meets the fault.
  FaultFileSystem faulty(mem.get());
  faulty.Inject(c.fault, c.path_part, c.nth);
  absl::Status s = ApplyClean(&faulty, first.vault, first.plan, "t1");
  ASSERT_EQ(faulty.fired(), 1) << "the fault must be met for the case to mean anything";
  EXPECT_FALSE(s.ok()) << "a failed write must be reported";

  // Which page the fault hit directly (the nth page written, in plan order).
  std::string hit;
  if (c.path_part == "v/Accounts/") hit = first.plan.pages[c.nth].path;
  auto check_page = [&](const std::string& path, bool finished) {
    absl::StatusOr<std::string> now = mem->ReadFile(JoinPath(kRoot, path), 1 << 20);
    if (path == hit && c.fault == Fault::kDeletedBefore) {
      EXPECT_TRUE(absl::IsNotFound(now.status())) << path << ": a deleted page came back";
      return;
    }
    ASSERT_TRUE(now.ok()) << path << ": page lost: " << now.status();
    if (path == hit && c.fault == Fault::kChangedBefore) {
      EXPECT_EQ(*now, FaultFileSystem::kOtherProgramBytes) << path << ": another's edit lost";
      return;
    }
    const PagePlan& p = *planned.at(path);
    if (finished) {
      EXPECT_EQ(*now, p.after) << path;
    } else {
      EXPECT_TRUE(*now == p.before || *now == p.after) << path << ": partial page:\n" << *now;
    }
  };
  for (const auto& [path, p] : planned) check_page(path, /*finished=*/false);
  EXPECT_EQ(*mem->ReadFile("v/Inbox/idea.md", 1 << 20), Pages().at("Inbox/idea.md"));

  // A page the faulty run wrote can be restored from what it recorded, right away.
  for (const auto& [path, p] : planned) {
    absl::StatusOr<std::string> now = mem->ReadFile(JoinPath(kRoot, path), 1 << 20);
    if (!now.ok() || *now != p->after) continue;
    std::unique_ptr<FileSystem> copy = NewMemFileSystem();
    std::vector<std::string> files;
    AllFiles(mem.get(), kRoot, &files);
    for (const std::string& f : files) {
      ASSERT_TRUE(copy->WriteFileAtomic(f, *mem->ReadFile(f, 1 << 30), {}).ok());
    }
    ASSERT_TRUE(RestorePage(copy.get(), kRoot, path, "t1r").ok()) << path;
    EXPECT_EQ(*copy->ReadFile(JoinPath(kRoot, path), 1 << 20), p->before) << path;
  }

  // The next run, without faults, finishes the job and leaves no temp file behind.
  Planned second = PlanOn(mem.get());
  ASSERT_TRUE(ApplyClean(mem.get(), second.vault, second.plan, "t2").ok());
  for (const auto& [path, p] : planned) check_page(path, /*finished=*/true);
  std::vector<std::string> files;
  AllFiles(mem.get(), kRoot, &files);
  for (const std::string& f : files) EXPECT_FALSE(IsTempFileName(f)) << f << " left behind";

  // Restore undoes every clean that was written, byte for byte, and nothing else.
  for (const auto& [path, p] : planned) {
    absl::Status r = RestorePage(mem.get(), kRoot, path, "t3");
    if (path == hit && (c.fault == Fault::kChangedBefore || c.fault == Fault::kDeletedBefore)) {
      EXPECT_FALSE(r.ok()) << path;
      continue;
    }
    ASSERT_TRUE(r.ok()) << path << ": " << r;
    EXPECT_EQ(*mem->ReadFile(JoinPath(kRoot, path), 1 << 20), p->before) << path;
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, CleanFaultTest, ::testing::ValuesIn(Cases()),
                         [](const auto& tp) { return tp.param.name; });

TEST(CleanFault, RestoreUnderFaultsKeepsThePageOldOrNew) {
  for (Fault fault :
       {Fault::kShortWrite, Fault::kNoSpace, Fault::kPermission, Fault::kCrashBeforeRename}) {
    for (const char* target : {"journal.jsonl", "v/Accounts/Contoso.md"}) {
      std::unique_ptr<FileSystem> mem = NewVault();
      Planned p = PlanOn(mem.get());
      ASSERT_TRUE(ApplyClean(mem.get(), p.vault, p.plan, "t1").ok());
      const std::string cleaned = *mem->ReadFile("v/Accounts/Contoso.md", 1 << 20);
      FaultFileSystem faulty(mem.get());
      faulty.Inject(fault, target);
      EXPECT_FALSE(RestorePage(&faulty, kRoot, "Accounts/Contoso.md", "t2").ok());
      EXPECT_EQ(faulty.fired(), 1);
      // Not restored: still the cleaned page, and a retry without faults restores it.
      EXPECT_EQ(*mem->ReadFile("v/Accounts/Contoso.md", 1 << 20), cleaned) << target;
      ASSERT_TRUE(RestorePage(mem.get(), kRoot, "Accounts/Contoso.md", "t3").ok()) << target;
      EXPECT_EQ(*mem->ReadFile("v/Accounts/Contoso.md", 1 << 20),
                Pages().at("Accounts/Contoso.md"));
    }
  }
}

TEST(CleanFault, UnreadableJournalIsNeverReplaced) {
  std::unique_ptr<FileSystem> mem = NewVault();
  Planned p = PlanOn(mem.get());
  ASSERT_TRUE(ApplyClean(mem.get(), p.vault, p.plan, "t1").ok());
  const std::string journal = *mem->ReadFile("v/.factdedup/journal.jsonl", 1 << 20);
  // A second clean meets a journal it cannot read (here: over the size limit it is read with).
  ASSERT_TRUE(mem->WriteFileAtomic("v/Accounts/Northwind.md",
                                   "- Northwind has 3 ships.\n- Northwind has 3 ships.\n", {})
                  .ok());
  class UnreadableJournal final : public FileSystem {
   public:
    explicit UnreadableJournal(FileSystem* base) : base_(base) {}
    absl::StatusOr<std::string> ReadFile(const std::string& p, uint64_t max) override {
      if (absl::EndsWith(p, "journal.jsonl")) return absl::PermissionDeniedError(p + ": EACCES");
      return base_->ReadFile(p, max);
    }
    absl::StatusOr<std::vector<DirEntry>> ListDir(const std::string& p) override {
      return base_->ListDir(p);
    }
    absl::StatusOr<FileInfo> Stat(const std::string& p, bool f) override {
      return base_->Stat(p, f);
    }
    absl::StatusOr<std::string> RealPath(const std::string& p) override {
      return base_->RealPath(p);
    }
    absl::Status WriteFileAtomic(const std::string& p, absl::string_view c,
                                 const std::optional<FileInfo>& e) override {
      return base_->WriteFileAtomic(p, c, e);
    }
    absl::Status MakeDirs(const std::string& p) override { return base_->MakeDirs(p); }
    absl::Status Remove(const std::string& p) override { return base_->Remove(p); }

   private:
    FileSystem* base_;
  } fs(mem.get());
  Planned again = PlanOn(mem.get());
  ASSERT_EQ(again.plan.pages.size(), 1u);
  const std::string before = again.plan.pages[0].before;
  absl::Status s = ApplyClean(&fs, again.vault, again.plan, "t2");
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_EQ(*mem->ReadFile("v/.factdedup/journal.jsonl", 1 << 20), journal);
  EXPECT_EQ(*mem->ReadFile("v/Accounts/Northwind.md", 1 << 20), before)
      << "no page is written without its journal record";
}

TEST(CleanFault, InPlaceEditKeepingSizeMtimeAndInodeIsStillSeen) {
  char tmpl[] = "/tmp/factdedup-edit-XXXXXX";
  const std::string root = mkdtemp(tmpl);
  const std::string page = root + "/Contoso.md";
  FileSystem* fs = DefaultFileSystem();
  const std::string before = Pages().at("Accounts/Contoso.md");
  ASSERT_TRUE(fs->WriteFileAtomic(page, before, {}).ok());
  Planned p = PlanOn(fs, root);
  ASSERT_EQ(p.plan.pages.size(), 1u);
  // Another program rewrites the page in place with as many bytes, within one mtime tick.
  struct stat st;
  ASSERT_EQ(stat(page.c_str(), &st), 0);
  std::string edited = before;
  edited[edited.size() - 2] = '!';
  int fd = open(page.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, edited.data(), edited.size(), 0), static_cast<ssize_t>(edited.size()));
  close(fd);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, page.c_str(), times, 0), 0);
  absl::StatusOr<FileInfo> now = fs->Stat(page, true);
  ASSERT_TRUE(now.ok());
  ASSERT_EQ(now->mtime_ns, p.vault.notes[0].read_mtime_ns);
  ASSERT_EQ(now->size, p.vault.notes[0].read_size);
  absl::Status s = ApplyClean(fs, p.vault, p.plan, "t");
  EXPECT_TRUE(absl::IsAborted(s)) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("changed since it was read"));
  EXPECT_EQ(*fs->ReadFile(page, 1 << 20), edited) << "the other program's edit was lost";
  std::system(("rm -rf '" + root + "'").c_str());
}

TEST(CleanFault, CorruptJournalRecordsAreErrorsNamingTheLine) {
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{not json", "journal.jsonl:2: not a journal record (not a JSON object)"},
      {R"({"format":"factdedup-clean","version":1,"action":"clean","path":"Accounts/Contoso.md",
           "backup":"backups/0000000000000000.md","before":{"xxh3":"0000000000000000"}})",
       "journal.jsonl:2: not a journal record (no 'after.xxh3')"},
      {R"({"format":"factdedup-clean","version":1,"action":"clean","path":"Accounts/Contoso.md",
           "backup":"../../../etc/passwd","before":{"xxh3":"0000000000000000"},
           "after":{"xxh3":"0000000000000001"}})",
       "journal.jsonl:2: not a journal record (backup is not backups/<xxh3>.md)"},
      {R"({"format":"factdedup-clean","version":7})",
       "journal.jsonl:2: journal version 7 is not 1"},
      {R"({"format":"factdedup-clean","version":1,"action":7})", "(no 'action')"},
  };
  for (const Case& c : cases) {
    std::unique_ptr<FileSystem> mem = NewVault();
    Planned p = PlanOn(mem.get());
    ASSERT_TRUE(ApplyClean(mem.get(), p.vault, p.plan, "t1").ok());
    std::string journal = *mem->ReadFile("v/.factdedup/journal.jsonl", 1 << 20);
    const size_t first_end = journal.find('\n') + 1;
    std::string line = c.line;
    line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
    journal.insert(first_end, line + "\n");
    ASSERT_TRUE(mem->WriteFileAtomic("v/.factdedup/journal.jsonl", journal, {}).ok());
    const std::string cleaned = *mem->ReadFile("v/Accounts/Contoso.md", 1 << 20);
    absl::Status s = RestorePage(mem.get(), kRoot, "Accounts/Contoso.md", "t2");
    EXPECT_FALSE(s.ok()) << c.line;
    EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr(c.message)) << c.line;
    EXPECT_EQ(*mem->ReadFile("v/Accounts/Contoso.md", 1 << 20), cleaned);
  }
}

TEST(CleanFault, RestoreRefusesPathsOutsideTheVault) {
  std::unique_ptr<FileSystem> mem = NewVault();
  for (const char* path : {"../outside.md", "/etc/passwd", "Accounts/../../x.md", ""}) {
    absl::Status s = RestorePage(mem.get(), kRoot, path, "t");
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << path << ": " << s;
  }
}

}  // namespace
}  // namespace factdedup::provenance
