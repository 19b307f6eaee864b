// The factdedup executable under hostile conditions: killed with SIGKILL in the middle of
// `clean --write`, and two writers on one vault at once.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace factdedup {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/factdedup-robust-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Spit(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

// Every file under `root` (vault-relative path -> bytes), .factdedup/ left out.
std::map<std::string, std::string> Pages(const std::string& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    std::string rel = fs::relative(e.path(), root).string();
    if (!e.is_regular_file() || absl::StartsWith(rel, ".factdedup")) continue;
    out[rel] = Slurp(e.path());
  }
  return out;
}

std::vector<std::string> TempFiles(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (absl::StrContains(e.path().filename().string(), ".factdedup-tmp-")) {
      out.push_back(e.path().string());
    }
  }
  return out;
}

// A vault of `pages` account pages, each with a few facts stated twice. No word is shared
// between pages, so each page's clean is its own.
void GenerateVault(const std::string& root, int pages) {
  auto word = [](int n) {
    static const char* syllables[] = {"ba", "ko", "ri", "mu",  "te", "za", "lo", "fi",
                                      "du", "ne", "pa", "sho", "vi", "ge", "ru"};
    return absl::StrCat(syllables[n % 15], syllables[n / 15 % 15], syllables[n / 225 % 15],
                        syllables[n / 3375 % 15]);
  };
  for (int p = 0; p < pages; ++p) {
    std::string page = absl::StrCat("# Page", p, "\n\n## Key Facts\n");
    for (int f = 0; f < 6; ++f) {
      const int n = (p * 6 + f) * 4;
      std::string fact =
          absl::StrCat("- ", word(n), " ", word(n + 1), " ", word(n + 2), " ", word(n + 3), ".\n");
      absl::StrAppend(&page, fact, f % 2 == 0 ? fact : "");
    }
    Spit(fs::path(root) / "Accounts" / absl::StrCat("Company", p, ".md"), page);
  }
}

struct CliRun {
  int code = -1;
  std::string err;
};

// Starts factdedup with `args`; stdout to /dev/null, stderr to `err_file`.
pid_t Spawn(const std::vector<std::string>& args, const std::string& err_file) {
  // Everything that allocates happens before fork: the child only calls exec-safe functions.
  std::vector<char*> argv = {const_cast<char*>(FACTDEDUP_BIN)};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const char* err_path = err_file.c_str();
  pid_t pid = fork();
  if (pid == 0) {
    int out = open("/dev/null", O_WRONLY);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    execv(FACTDEDUP_BIN, argv.data());
    _exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CliRun RunCli(const std::vector<std::string>& args) {
  TempDir d;
  const std::string err = d.path() + "/stderr";
  CliRun r;
  r.code = Wait(Spawn(args, err));
  r.err = Slurp(err);
  return r;
}

// A vault copied from `from` to a fresh folder.
void CopyVault(const std::string& from, const std::string& to) {
  fs::copy(from, to, fs::copy_options::recursive);
}

TEST(CliKill, SigkillAnywhereInCleanWriteLeavesEveryPageOldOrNew) {
  TempDir base;
  const std::string original_root = base.path() + "/original";
  GenerateVault(original_root, 120);
  const std::map<std::string, std::string> original = Pages(original_root);
  // The reference: an uninterrupted run.
  const std::string ref_root = base.path() + "/reference";
  CopyVault(original_root, ref_root);
  ASSERT_EQ(RunCli({"clean", ref_root, "--write"}).code, 0);
  const std::map<std::string, std::string> cleaned = Pages(ref_root);
  ASSERT_EQ(cleaned.size(), original.size());
  int differ = 0;
  for (const auto& [path, bytes] : original) differ += cleaned.at(path) != bytes;
  ASSERT_GE(differ, 100) << "the vault must give clean plenty to write";

  auto changed = [&](const std::string& root) {
    int n = 0;
    for (const auto& [path, bytes] : original) n += Slurp(fs::path(root) / path) != bytes;
    return n;
  };
  // Points to kill at, found by watching the vault while the run goes on.
  const std::vector<std::pair<std::string, std::function<bool(const std::string&)>>> points = {
      {"at once", [](const std::string&) { return true; }},
      {"lock taken", [](const std::string& r) { return fs::exists(r + "/.factdedup/lock"); }},
      {"first backup",
       [](const std::string& r) {
         return fs::exists(r + "/.factdedup/backups") && !fs::is_empty(r + "/.factdedup/backups");
       }},
      {"journal written",
       [](const std::string& r) { return fs::exists(r + "/.factdedup/journal.jsonl"); }},
      {"first page", [&](const std::string& r) { return changed(r) >= 1; }},
      {"a third of the pages", [&](const std::string& r) { return changed(r) >= differ / 3; }},
  };
  int partial = 0;
  for (size_t k = 0; k < points.size(); ++k) {
    const auto& [name, reached] = points[k];
    SCOPED_TRACE(name);
    const std::string root = absl::StrCat(base.path(), "/kill", k);
    CopyVault(original_root, root);
    pid_t pid = Spawn({"clean", root, "--write"}, base.path() + "/stderr");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!reached(root) && std::chrono::steady_clock::now() < deadline &&
           waitpid(pid, nullptr, WNOHANG) == 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    // Every page is its old or its new version, byte for byte; nothing else appeared.
    std::map<std::string, std::string> now = Pages(root);
    int new_pages = 0;
    for (const auto& [path, bytes] : now) {
      if (absl::StrContains(path, ".factdedup-tmp-")) continue;  // an interrupted temp file
      ASSERT_TRUE(original.count(path)) << path << " appeared";
      EXPECT_TRUE(bytes == original.at(path) || bytes == cleaned.at(path)) << path << " is partial";
      new_pages += bytes != original.at(path);
    }
    for (const auto& [path, bytes] : original) ASSERT_TRUE(now.count(path)) << path << " lost";
    partial += new_pages > 0 && new_pages < differ;
    // The next run is not confused by what the killed one left: it finishes the job and
    // removes stale temp files.
    CliRun again = RunCli({"clean", root, "--write"});
    ASSERT_EQ(again.code, 0) << again.err;
    EXPECT_TRUE(Pages(root) == cleaned) << "the next run did not finish the job";
    EXPECT_THAT(TempFiles(root), ::testing::IsEmpty());
    // And every page can still be put back as it was.
    CliRun restore = RunCli({"restore", root, "Accounts/Company0.md", "Accounts/Company77.md"});
    EXPECT_EQ(restore.code, 0) << restore.err;
    EXPECT_EQ(Slurp(root + "/Accounts/Company0.md"), original.at("Accounts/Company0.md"));
    EXPECT_EQ(Slurp(root + "/Accounts/Company77.md"), original.at("Accounts/Company77.md"));
  }
  RecordProperty("kills_with_some_pages_written", partial);
}

// Holds `<root>/.factdedup/lock` the way factdedup does (flock), with our pid in it.
class HeldLock {
 public:
  explicit HeldLock(const std::string& root) {
    fs::create_directories(root + "/.factdedup");
    // O_CLOEXEC: a factdedup started meanwhile must not inherit (and so hold) the lock.
    fd_ = open((root + "/.factdedup/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_EQ(flock(fd_, LOCK_EX | LOCK_NB), 0);
    std::string pid = std::to_string(getpid()) + "\n";
    EXPECT_EQ(write(fd_, pid.data(), pid.size()), static_cast<ssize_t>(pid.size()));
  }
  ~HeldLock() { Release(); }
  void Release() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

TEST(CliLock, SecondWriterIsRefusedNamingTheFirstOrWaitsForIt) {
  TempDir t;
  const std::string root = t.path() + "/v";
  CopyVault(std::string(FACTDEDUP_SOURCE_DIR) + "/data/vault", root);
  const std::map<std::string, std::string> original = Pages(root);
  auto lock = std::make_unique<HeldLock>(root);
  CliRun refused = RunCli({"clean", root, "--write"});
  EXPECT_EQ(refused.code, 2);
  EXPECT_THAT(refused.err, HasSubstr(absl::StrCat("another factdedup is writing this vault (pid ",
                                                  getpid(), ")")));
  EXPECT_TRUE(Pages(root) == original) << "the refused run changed the vault";
  CliRun restore = RunCli({"restore", root, "Accounts/Microsoft.md"});
  EXPECT_EQ(restore.code, 2);
  EXPECT_THAT(restore.err, HasSubstr("another factdedup is writing this vault"));
  // A dry run does not need the lock.
  EXPECT_EQ(RunCli({"clean", root}).code, 0);
  // With --wait it goes ahead once the holder is done.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    lock->Release();
  });
  CliRun waited = RunCli({"clean", root, "--write", "--wait", "120"});
  release.join();
  EXPECT_EQ(waited.code, 0) << waited.err;
  EXPECT_TRUE(Pages(root) != original) << "the waiting run cleaned nothing";
  EXPECT_EQ(RunCli({"clean", root, "--write", "--wait", "soon"}).code, 2);
}

TEST(CliLock, TwoWritersAtOnceLoseNoUpdate) {
  TempDir t;
  const std::string original_root = t.path() + "/original";
  GenerateVault(original_root, 40);
  const std::string ref_root = t.path() + "/reference";
  CopyVault(original_root, ref_root);
  ASSERT_EQ(RunCli({"clean", ref_root, "--write"}).code, 0);
  const std::map<std::string, std::string> cleaned = Pages(ref_root);
  const std::map<std::string, std::string> original = Pages(original_root);
  int differ = 0;
  for (const auto& [path, bytes] : original) differ += cleaned.at(path) != bytes;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    const std::string root = absl::StrCat(t.path(), "/round", round);
    CopyVault(original_root, root);
    const std::string err_a = root + ".a.err", err_b = root + ".b.err";
    pid_t a = Spawn({"clean", root, "--write"}, err_a);
    pid_t b = Spawn({"clean", root, "--write"}, err_b);
    const int code_a = Wait(a), code_b = Wait(b);
    for (const auto& [code, err] : {std::pair{code_a, err_a}, std::pair{code_b, err_b}}) {
      EXPECT_TRUE(code == 0 || code == 2) << code;
      if (code == 2) {
        EXPECT_THAT(Slurp(err), HasSubstr("another factdedup is writing this vault"));
      }
    }
    EXPECT_TRUE(code_a == 0 || code_b == 0);
    EXPECT_TRUE(Pages(root) == cleaned) << "lost or partial update";
    // One clean record per page written, none lost and none twice.
    std::map<std::string, int> records;
    for (absl::string_view line :
         absl::StrSplit(Slurp(root + "/.factdedup/journal.jsonl"), '\n', absl::SkipEmpty())) {
      nlohmann::json j = nlohmann::json::parse(std::string(line));
      records[j["path"].get<std::string>()]++;
    }
    EXPECT_EQ(static_cast<int>(records.size()), differ);
    for (const auto& [path, n] : records) EXPECT_EQ(n, 1) << path;
  }
}

}  // namespace
}  // namespace factdedup
