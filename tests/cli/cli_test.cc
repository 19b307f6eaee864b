// End-to-end tests of the factdedup executable: exit codes, --help, facts --json.
#include <sys/wait.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace factdedup {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code = -1;
  std::string out;
};

// Runs the factdedup binary with `args` (shell-quoted by the caller); stdout only, stderr to
// `stderr_path`.
Result RunCli(const std::string& args, const std::string& stderr_path = "/dev/null") {
  std::string cmd = std::string(FACTDEDUP_BIN) + " " + args + " 2>'" + stderr_path + "'";
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Vault() { return std::string("'") + FACTDEDUP_SOURCE_DIR + "/data/vault'"; }

// A copy of the sample vault without its index, in a new folder under /tmp: the folder, or ""
// when it could not be made.
std::string CopyOfTheVault() {
  char tmpl[] = "/tmp/factdedup-index-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return "";
  const std::string dir = tmpl;
  const std::string copy =
      "cp -r " + Vault() + "/. '" + dir + "/' && rm -rf '" + dir + "/.factdedup'";
  return std::system(copy.c_str()) == 0 ? dir : "";
}

// The bytes of a file ("" if it cannot be read).
std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Cli, HelpVersionAndUsageErrors) {
  EXPECT_EQ(RunCli("--help").code, 0);
  EXPECT_THAT(RunCli("--help").out, HasSubstr("exit codes"));
  EXPECT_EQ(RunCli("--version").code, 0);
  EXPECT_THAT(RunCli("--version").out, HasSubstr("factdedup "));
  EXPECT_EQ(RunCli("").code, 2);
  EXPECT_EQ(RunCli("no-such-command").code, 2);
  EXPECT_EQ(RunCli("facts --help").code, 0);
  EXPECT_THAT(RunCli("facts --help").out, HasSubstr("usage: factdedup facts VAULT"));
  EXPECT_EQ(RunCli("facts").code, 2);
  EXPECT_EQ(RunCli("facts " + Vault() + " --no-such-flag").code, 2);
  EXPECT_EQ(RunCli("facts /nonexistent/vault").code, 2);
}

TEST(Cli, FactsJsonListsEveryBulletWithRelativePaths) {
  Result r = RunCli("facts " + Vault() + " --json");
  ASSERT_EQ(r.code, 0);
  std::map<std::string, int> per_note;
  std::set<std::pair<std::string, int>> locations;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    nlohmann::json j = nlohmann::json::parse(std::string(line));
    ASSERT_TRUE(j["path"].is_string());
    ASSERT_TRUE(j["line"].is_number_integer());
    ASSERT_TRUE(j["section"].is_string());
    ASSERT_TRUE(j["text"].is_string());
    EXPECT_NE(j["path"].get<std::string>()[0], '/');
    EXPECT_GE(j["line"].get<int>(), 1);
    per_note[j["path"]]++;
    EXPECT_TRUE(locations.emplace(j["path"], j["line"]).second) << line;
  }
  EXPECT_EQ(per_note["Accounts/Microsoft.md"], 136);
  EXPECT_EQ(per_note["Meetings/2025-12-16 - Prep for Microsoft AI talks.md"], 43);
  EXPECT_EQ(locations.size(), 136u + 24 + 9 + 12 + 43);
}

TEST(Cli, ScanJsonIsIdenticalForOneAndManyThreads) {
  Result one = RunCli("scan " + Vault() + " --json --threads 1");
  Result two = RunCli("scan " + Vault() + " --json --threads 2");
  Result four = RunCli("scan " + Vault() + " --json --threads 4");
  ASSERT_EQ(one.code, 0);
  EXPECT_FALSE(one.out.empty());
  EXPECT_EQ(one.out, two.out);
  EXPECT_EQ(one.out, four.out);
  nlohmann::json j = nlohmann::json::parse(one.out);
  EXPECT_EQ(j["version"], 1);
  EXPECT_GT(j["clusters"].size(), 10u);
}

TEST(Cli, CheckCleanAndReportTakeThreadsWithTheSameOutput) {
  setenv("SOURCE_DATE_EPOCH", "1", 1);  // the report's generation time
  for (const std::string& cmd : {"check " + Vault() + " --format json --no-index",
                                 "clean " + Vault(), "report " + Vault() + " --format json"}) {
    Result all = RunCli(cmd);
    EXPECT_FALSE(all.out.empty()) << cmd;
    for (const char* threads : {"1", "3"}) {
      Result r = RunCli(cmd + " --threads " + threads);
      EXPECT_EQ(r.code, all.code) << cmd << " --threads " << threads;
      EXPECT_EQ(r.out, all.out) << cmd << " --threads " << threads;
    }
    for (const char* bad : {"-1", "x", "2000"}) {
      EXPECT_EQ(RunCli(cmd + " --threads " + bad).code, 2) << cmd << " --threads " << bad;
    }
  }
  unsetenv("SOURCE_DATE_EPOCH");
}

TEST(Cli, FactsTextFormat) {
  Result r = RunCli("facts " + Vault());
  ASSERT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Accounts/Microsoft.md:15: [Key Facts] Microsoft's internal"));
}

TEST(Cli, CleanDryRunPrintsADiffAndWritesNothingThenWriteAndRestore) {
  char tmpl[] = "/tmp/factdedup-cli-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  ASSERT_EQ(std::system(("cp -r " + Vault() + "/. '" + dir + "/'").c_str()), 0);
  const std::string q = "'" + dir + "'";
  Result dry = RunCli("clean " + q);
  EXPECT_EQ(dry.code, 0);
  EXPECT_THAT(dry.out, HasSubstr("--- a/Accounts/Microsoft.md\n+++ b/Accounts/Microsoft.md\n@@"));
  EXPECT_EQ(
      std::system(
          ("cmp -s " + q + "/Accounts/Microsoft.md " + Vault() + "/Accounts/Microsoft.md").c_str()),
      0);
  EXPECT_EQ(RunCli("clean " + q + " --write").code, 0);
  EXPECT_NE(
      std::system(
          ("cmp -s " + q + "/Accounts/Microsoft.md " + Vault() + "/Accounts/Microsoft.md").c_str()),
      0);
  EXPECT_EQ(RunCli("clean " + q).out, "") << "second run must change nothing";
  EXPECT_EQ(RunCli("restore " + q + " Accounts/Microsoft.md").code, 0);
  EXPECT_EQ(
      std::system(
          ("cmp -s " + q + "/Accounts/Microsoft.md " + Vault() + "/Accounts/Microsoft.md").c_str()),
      0);
  EXPECT_EQ(RunCli("restore " + q + " Accounts/Microsoft.md").code, 2);
  std::system(("rm -rf " + q).c_str());
}

TEST(Cli, CheckAgainstAGitBaseReportsOnlyNewDuplicates) {
  char tmpl[] = "/tmp/factdedup-git-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  const std::string q = "'" + dir + "'";
  const std::string git = "git -C " + q + " -c user.email=t@t -c user.name=t ";
  ASSERT_EQ(std::system(("mkdir -p " + q + "/vault && git -C " + q + " init -q").c_str()), 0);
  // The base already has one duplicate pair.
  ASSERT_EQ(std::system(("printf '## Key Facts\\n\\n- Jay Parikh is EVP for CoreAI at "
                         "Microsoft.\\n- Jay Parikh is EVP for CoreAI at Microsoft.\\n' > " +
                         q + "/vault/A.md && " + git + "add -A && " + git + "commit -qm base")
                            .c_str()),
            0);
  EXPECT_EQ(RunCli("check " + q + "/vault --base HEAD").code, 0) << "nothing new";
  EXPECT_EQ(RunCli("check " + q + "/vault").code, 1) << "without a base every duplicate counts";
  // The change adds a paraphrase of another fact.
  ASSERT_EQ(std::system(("printf -- '- Microsoft has a physical VAST PoC system in its Redmond "
                         "lab.\\n- Microsoft has a physical VAST PoC system installed in its lab "
                         "in Redmond.\\n' >> " +
                         q + "/vault/A.md && " + git + "commit -qam change")
                            .c_str()),
            0);
  Result r = RunCli("check " + q + "/vault --base HEAD~1 --format json");
  EXPECT_EQ(r.code, 1);
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["path"], "A.md");
  EXPECT_GE(j["findings"][0]["line"].get<int>(), 4);
  // The working tree was not touched by reading the base.
  EXPECT_EQ(std::system(("test -z \"$(git -C " + q + " status --porcelain)\"").c_str()), 0);
  const std::string err = dir + "/err.txt";
  EXPECT_EQ(RunCli("check " + q + "/vault --base no-such-ref", err).code, 2);
  EXPECT_THAT(FileBytes(err), HasSubstr("--base no-such-ref: no such commit"));
  EXPECT_EQ(RunCli("check " + q + "/vault --base no-such-ref --no-index", err).code, 2);
  EXPECT_THAT(FileBytes(err), HasSubstr("--base no-such-ref: no such commit"));
  // Outside any repository: a new folder in /tmp, which is in none.
  char no_git[] = "/tmp/factdedup-no-git-XXXXXX";
  const std::string outside = mkdtemp(no_git);
  EXPECT_EQ(RunCli("check '" + outside + "' --base HEAD", err).code, 2);
  EXPECT_THAT(FileBytes(err), HasSubstr("not inside a git repository"));
  std::system(("rm -rf '" + outside + "'").c_str());
  std::system(("rm -rf " + q).c_str());
}

// With the index, `check --base-dir` computes only around what the change added; it must print
// what the full computation (--no-index) prints, cold and with the index it then wrote.
// Whether `check --format json` output has a duplicate and a conflict/polarity finding.
bool HasDuplicateAndPolarityFindings(const std::string& out) {
  std::set<std::string> rules;
  const nlohmann::json j = nlohmann::json::parse(out);
  for (const auto& f : j["findings"]) rules.insert(f["rule"].get<std::string>());
  return rules.count("duplicate") > 0 && rules.count("conflict/polarity") > 0;
}

// Writes <to>/Accounts/Change.md: a paraphrase of the first bullet of
// <from>/Accounts/Microsoft.md and a statement contradicting the sample vault. False when that
// page has no bullet.
bool WriteChangeNote(const std::string& from, const std::string& to) {
  std::string first;
  std::ifstream in(from + "/Accounts/Microsoft.md");
  for (std::string line; std::getline(in, line) && first.empty();) {
    if (line.rfind("- ", 0) == 0) first = line.substr(2);
  }
  if (first.empty()) return false;
  std::ofstream(to + "/Accounts/Change.md")
      << "## Key Facts\n\n- As noted before, " << first
      << "\n- Azure API exclusivity for OpenAI was removed from the agreement.\n";
  return true;
}

TEST(Cli, CheckAroundTheChangePrintsWhatTheFullCheckPrints) {
  char tmpl[] = "/tmp/factdedup-change-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string q = "'" + dir + "'";
  ASSERT_EQ(std::system(("cp -r " + Vault() + " " + q + "/base && rm -rf " + q +
                         "/base/.factdedup && cp -r " + q + "/base " + q + "/now")
                            .c_str()),
            0);
  // The change: a new note with a paraphrase of an existing fact and a contradicting statement.
  ASSERT_TRUE(WriteChangeNote(dir + "/base", dir + "/now"));
  const std::string args = "check " + q + "/now --base-dir " + q + "/base --format json";
  const Result full = RunCli(args + " --no-index");
  EXPECT_EQ(full.code, 1) << full.out;
  EXPECT_TRUE(HasDuplicateAndPolarityFindings(full.out)) << full.out;
  const Result cold = RunCli(args);  // no index yet: written by this run
  EXPECT_EQ(cold.code, full.code);
  EXPECT_EQ(cold.out, full.out);
  EXPECT_EQ(std::system(("test -f " + q + "/now/.factdedup/index.bin").c_str()), 0);
  const Result warm = RunCli(args);
  EXPECT_EQ(warm.code, full.code);
  EXPECT_EQ(warm.out, full.out);
  // Two notes that swap their bytes: every changed line of the one that now defines "Microsoft
  // AI (MAI)" is an added line but its facts are not (the other note had them), among them a
  // frontmatter key without a value ("participants:"); the acronym conflict lists every line
  // that expands MAI, those facts too.
  const std::string meetings = q + "/now/Meetings/";
  ASSERT_EQ(std::system(("mv " + meetings + "'2025-11-12 - Microsoft AI capacity and VAST.md' " +
                         meetings + "t.md && mv " + meetings +
                         "'2025-12-16 - Prep for Microsoft AI talks.md' " + meetings +
                         "'2025-11-12 - Microsoft AI capacity and VAST.md' && mv " + meetings +
                         "t.md " + meetings + "'2025-12-16 - Prep for Microsoft AI talks.md'")
                            .c_str()),
            0);
  const Result swapped_full = RunCli(args + " --no-index");
  EXPECT_THAT(swapped_full.out, HasSubstr("5 facts in all; suggestion: 'Microsoft AI (MAI)'"));
  const Result swapped = RunCli(args);
  EXPECT_EQ(swapped.code, swapped_full.code);
  EXPECT_EQ(swapped.out, swapped_full.out);
  std::system(("rm -rf " + q).c_str());
}

// The standard output of a shell command.
std::string ShellOut(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf;
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
  pclose(p);
  return out;
}

// `check --base REF` with the index reads from git only the files the change touched (and
// takes every other note as the working tree's); it must print what the full check prints,
// for edits (one staged), a new untracked note, a deleted note and a moved one, with the vault
// in a subfolder of the repository.
TEST(Cli, CheckAroundAGitChangePrintsWhatTheFullCheckPrints) {
  char tmpl[] = "/tmp/factdedup-gitchange-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string q = "'" + dir + "'";
  const std::string kb = q + "/repo/kb";
  const std::string git = "git -C " + q + "/repo -c user.email=t@t -c user.name=t ";
  ASSERT_EQ(std::system(("mkdir -p " + q + "/repo && cp -r " + Vault() + " " + kb + " && rm -rf " +
                         kb + "/.factdedup && cp -r " + kb + " " + q + "/base && git -C " + q +
                         "/repo init -q && " + git + "add -A && " + git + "commit -qm base")
                            .c_str()),
            0);
  ASSERT_EQ(RunCli("scan " + kb + " --json --quiet").code, 0);  // the warm index, of the base
  ASSERT_EQ(std::system(("test -f " + kb + "/.factdedup/index.bin").c_str()), 0);
  // A new note git does not track, with a paraphrase and a contradicting statement.
  ASSERT_TRUE(WriteChangeNote(dir + "/repo/kb", dir + "/repo/kb"));
  // Edits: a paraphrase after the first bullet of two pages, one of them staged.
  const std::string meeting = "2025-11-12 - Microsoft AI capacity and VAST.md";
  for (const std::string& page : {std::string("Accounts/Microsoft.md"), "Meetings/" + meeting}) {
    const std::string qp = kb + "/'" + page + "'";
    ASSERT_EQ(std::system(("awk 'BEGIN { d = 0 } { print } !d && /^- / { print \"- As noted "
                           "before, \" substr($0, 3); d = 1 }' " +
                           qp + " > " + qp + ".tmp && mv " + qp + ".tmp " + qp)
                              .c_str()),
              0);
  }
  ASSERT_EQ(std::system((git + "add kb/Accounts/Microsoft.md").c_str()), 0);
  // A deleted note and a moved one with a new line.
  const std::string sync = "Microsoft.sync-conflict-20260105-093000-VAULT01.md";
  ASSERT_EQ(
      std::system(("rm " + kb + "/Meetings/'2025-12-16 - Prep for Microsoft AI talks.md' && " +
                   "mkdir " + kb + "/Moved && mv " + kb + "/Accounts/" + sync + " " + kb +
                   "/Moved/ && printf -- '- Azure API exclusivity for OpenAI continues.\\n' "
                   ">> " +
                   kb + "/Moved/" + sync)
                      .c_str()),
      0);
  const std::string status_before = ShellOut(git + "status --porcelain");
  const std::string args = "check " + kb + " --format json";
  const Result full = RunCli(args + " --base HEAD --no-index");
  EXPECT_EQ(full.code, 1) << full.out;
  EXPECT_TRUE(HasDuplicateAndPolarityFindings(full.out)) << full.out;
  const std::string timings = dir + "/timings.txt";
  const Result around = RunCli(args + " --base HEAD --timings", timings);
  EXPECT_EQ(around.code, full.code);
  EXPECT_EQ(around.out, full.out);
  // Only the changed files were read from git: the moved note's old place, the deleted note
  // and the two edited pages (the new notes are not at HEAD).
  EXPECT_THAT(ShellOut("cat '" + timings + "'"), HasSubstr("s (4 changed files read)"))
      << "the changed-files path was taken";
  EXPECT_EQ(RunCli(args + " --base-dir " + q + "/base --no-index").out, full.out);
  EXPECT_EQ(ShellOut(git + "status --porcelain"), status_before)
      << "the working tree and git's index are untouched";
  std::system(("rm -rf " + q).c_str());
}

// `args` (a check) finds something, and prints the same with the index as with --no-index.
void ExpectFindingsAsWithoutTheIndex(const std::string& args) {
  const Result full = RunCli(args + " --no-index");
  EXPECT_EQ(full.code, 1) << args << "\n" << full.out;
  const Result around = RunCli(args);
  EXPECT_EQ(around.code, full.code) << args;
  EXPECT_EQ(around.out, full.out) << args;
}

// Where reading only the changed files could differ from reading the whole base, `check
// --base` reads the whole base: a note that is a symlink to a changed note. A vault folder
// that does not exist at the base is an empty base, with the index or without.
TEST(Cli, CheckAgainstAGitBaseWithASymlinkOrNoVaultThereMatchesTheFullCheck) {
  char tmpl[] = "/tmp/factdedup-gitedge-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string q = "'" + dir + "'";
  const std::string git = "git -C " + q + " -c user.email=t@t -c user.name=t ";
  // The change adds to B.md a paraphrase of C.md's fact; A.md is a symlink to B.md. Taken as
  // unchanged, A.md would give the base the paraphrase already, and the duplicate would not be
  // a finding of the change.
  ASSERT_EQ(std::system(("mkdir -p " + q + "/kb && git -C " + q + " init -q && printf '## Key " +
                         "Facts\\n\\n- Azure API exclusivity for OpenAI continues.\\n' > " + q +
                         "/kb/B.md && printf '## Key Facts\\n\\n- Microsoft has a physical VAST " +
                         "PoC system in its Redmond lab.\\n' > " + q + "/kb/C.md && ln -s B.md " +
                         q + "/kb/A.md && " + git + "add -A && " + git + "commit -qm base")
                            .c_str()),
            0);
  ASSERT_EQ(RunCli("scan " + q + "/kb --json --quiet").code, 0);  // the index
  ASSERT_EQ(std::system(("printf -- '- Microsoft has a physical VAST PoC system installed in its "
                         "lab in Redmond.\\n' >> " +
                         q + "/kb/B.md")
                            .c_str()),
            0);
  ExpectFindingsAsWithoutTheIndex("check " + q + "/kb --base HEAD --format json");
  // A vault folder new since the base (untracked): every fact is new, with the index or not.
  ASSERT_EQ(std::system(("mkdir " + q + "/new && cp " + q + "/kb/B.md " + q + "/new/B.md && cp " +
                         q + "/kb/B.md " + q + "/new/C.md")
                            .c_str()),
            0);
  ExpectFindingsAsWithoutTheIndex("check " + q + "/new --base HEAD --format json");
  std::system(("rm -rf " + q).c_str());
}

TEST(Cli, ScanJsonHasConflictsAndUpdates) {
  Result r = RunCli("scan " + Vault() + " --json");
  ASSERT_EQ(r.code, 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["conflicts"].is_array());
  ASSERT_TRUE(j["updates"].is_array());
  std::set<std::string> types;
  for (const auto& c : j["conflicts"]) {
    types.insert(c["type"]);
    ASSERT_TRUE(c["suggestion"].is_string());
    ASSERT_GE(c["facts"].size(), 2u);
    for (const auto& f : c["facts"]) {
      EXPECT_TRUE(f["path"].is_string());
      EXPECT_GE(f["line"].get<int>(), 1);
      EXPECT_TRUE(f["text"].is_string());
      EXPECT_TRUE(f["value"].is_string());
    }
    for (const auto& p : c["pairs"]) EXPECT_LT(p[1].get<size_t>(), c["facts"].size());
    if (c["type"] == "frontmatter") {
      EXPECT_EQ(c["facts"][0]["field"], "last_contact");
      EXPECT_EQ(c["facts"][0]["line"], 4);
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"value", "polarity", "name", "acronym", "frontmatter"}));
  ASSERT_GE(j["updates"].size(), 1u);
  EXPECT_EQ(j["updates"][0]["type"], "update");
}

TEST(Cli, EvalScoresTheConflictGold) {
  const std::string gold = std::string("'") + FACTDEDUP_SOURCE_DIR + "/data/gold/";
  Result r =
      RunCli("eval " + gold + "conflicts.tsv' " + gold + "not_conflicts.tsv' --vault " + Vault());
  ASSERT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("conflicts: P="));
  EXPECT_THAT(r.out, HasSubstr("not conflicts: 0 of 29 rows reported"));
}

TEST(Cli, CheckReportsNewConflictsAgainstAGitBaseWithABudget) {
  char tmpl[] = "/tmp/factdedup-git-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  const std::string q = "'" + dir + "'";
  const std::string git = "git -C " + q + " -c user.email=t@t -c user.name=t ";
  ASSERT_EQ(std::system(("mkdir -p " + q + "/vault && git -C " + q + " init -q").c_str()), 0);
  ASSERT_EQ(std::system(("printf '## Key Facts\\n\\n- Azure API exclusivity for OpenAI "
                         "continues.\\n' > " +
                         q + "/vault/A.md && " + git + "add -A && " + git + "commit -qm base")
                            .c_str()),
            0);
  EXPECT_EQ(RunCli("check " + q + "/vault --base HEAD").code, 0);
  // The change adds a contradicting statement in another note.
  ASSERT_EQ(std::system(("printf '## Notes\\n\\n- OpenAI Azure exclusivity was removed from the "
                         "contract.\\n' > " +
                         q + "/vault/B.md && " + git + "add -A && " + git + "commit -qm change")
                            .c_str()),
            0);
  Result r = RunCli("check " + q + "/vault --base HEAD~1 --format json");
  EXPECT_EQ(r.code, 1);
  nlohmann::json j = nlohmann::json::parse(r.out);
  std::vector<nlohmann::json> conflicts;
  for (const auto& f : j["findings"]) {
    if (f["rule"].get<std::string>().rfind("conflict/", 0) == 0) conflicts.push_back(f);
  }
  ASSERT_EQ(conflicts.size(), 1u) << r.out;
  EXPECT_EQ(conflicts[0]["rule"], "conflict/polarity");
  EXPECT_EQ(conflicts[0]["path"], "B.md");  // the fact the change added
  EXPECT_EQ(conflicts[0]["related"][0]["path"], "A.md");
  EXPECT_EQ(RunCli("check " + q + "/vault --base HEAD").code, 0) << "nothing new at HEAD";
  // Budgets: the dedup engine may also see a duplicate here, so allow one; the conflict alone
  // still fails the check until max_new_conflicts allows it.
  auto config = [&](const std::string& yaml) {
    return std::system(("printf '" + yaml + "' > " + q + "/vault/.factdedup.yaml").c_str());
  };
  ASSERT_EQ(config("check:\\n  max_new_duplicates: 1\\n"), 0);
  EXPECT_EQ(RunCli("check " + q + "/vault --base HEAD~1").code, 1);
  ASSERT_EQ(config("check:\\n  max_new_duplicates: 1\\n  max_new_conflicts: 1\\n"), 0);
  EXPECT_EQ(RunCli("check " + q + "/vault --base HEAD~1").code, 0);
  std::system(("rm -rf " + q).c_str());
}

TEST(Cli, ReportJsonExtendsScanJson) {
  Result scan = RunCli("scan " + Vault() + " --json");
  Result report = RunCli("report " + Vault() + " --format json");
  ASSERT_EQ(scan.code, 0);
  ASSERT_EQ(report.code, 0);
  nlohmann::json s = nlohmann::json::parse(scan.out), r = nlohmann::json::parse(report.out);
  EXPECT_EQ(r["report_version"], 1);
  for (const auto& [key, value] : s.items()) {
    ASSERT_TRUE(r.contains(key)) << key;
    if (key != "clusters" && key != "conflicts" && key != "updates") {
      EXPECT_EQ(r[key], value) << key;
      continue;
    }
    ASSERT_EQ(r[key].size(), value.size()) << key;
    for (size_t i = 0; i < value.size(); ++i) {
      for (const auto& [k, v] : value[i].items()) {
        if (k != "facts") {
          EXPECT_EQ(r[key][i][k], v) << key << "/" << i << "/" << k;
          continue;
        }
        // Conflict facts gain "sources"; everything else is the same.
        ASSERT_EQ(r[key][i][k].size(), v.size());
        for (size_t f = 0; f < v.size(); ++f) {
          for (const auto& [fk, fv] : v[f].items()) EXPECT_EQ(r[key][i][k][f][fk], fv) << fk;
          EXPECT_TRUE(r[key][i][k][f].contains("sources"));
        }
      }
    }
  }
}

TEST(Cli, ReportFormatsOutputFileAndErrors) {
  Result md = RunCli("report " + Vault());  // md is the default
  ASSERT_EQ(md.code, 0);
  EXPECT_EQ(md.out.rfind("---\ntype: factdedup-report\n", 0), 0u);
  EXPECT_EQ(RunCli("report " + Vault() + " " + Vault()).code, 2) << "one vault only";
  // SOURCE_DATE_EPOCH fixes the date; -o writes the file and nothing to stdout.
  char tmpl[] = "/tmp/factdedup-report-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  Result html = RunCli("report " + Vault() + " --format html -o '" + dir + "/r.html'");
  EXPECT_EQ(html.code, 0);
  EXPECT_EQ(html.out, "");
  std::ifstream in(dir + "/r.html");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(text, HasSubstr("Content-Security-Policy"));
  std::string cmd = std::string("SOURCE_DATE_EPOCH=1767571200 ") + FACTDEDUP_BIN + " report " +
                    Vault() + " --format json --output '" + dir + "/r.json' 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream jin(dir + "/r.json");
  nlohmann::json j = nlohmann::json::parse(jin);
  EXPECT_EQ(j["generated"], "2026-01-05T00:00:00Z");
  std::system(("rm -rf '" + dir + "'").c_str());
  EXPECT_EQ(RunCli("report " + Vault() + " --format pdf").code, 2);
  EXPECT_EQ(RunCli("report /nonexistent/vault").code, 2);
  EXPECT_EQ(RunCli("report " + Vault() + " -o /nonexistent/dir/r.md").code, 2);
  EXPECT_EQ(RunCli("report " + Vault() + " -x").code, 2);
  EXPECT_THAT(RunCli("report --help").out, HasSubstr("-o, --output FILE"));
}

// The index is rewritten when a run changed more than 1% of its facts, and kept otherwise.
TEST(Cli, IndexIsRewrittenOnlyWhenMoreThanOnePercentOfItChanged) {
  char tmpl[] = "/tmp/factdedup-index-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string q = "'" + dir + "'";
  // 400 notes of one fact each: a note is 0.25% of the facts.
  for (int i = 0; i < 400; ++i) {
    std::ofstream(absl::StrCat(dir, "/n", i, ".md"))
        << "# N\n\n## Key Facts\n- Fact number " << i << " says widget " << i * 7
        << " ships in lane " << i % 13 << "\n";
  }
  const std::string index = dir + "/.factdedup/index.bin";
  auto bytes = [&] { return FileBytes(index); };
  ASSERT_EQ(RunCli("scan " + q + " --quiet").code, 0);
  const std::string first = bytes();
  ASSERT_FALSE(first.empty());
  std::ofstream(dir + "/n0.md", std::ios::app) << "- One more fact about gadget 42\n";
  ASSERT_LE(RunCli("check " + q).code, 1);
  ASSERT_EQ(RunCli("scan " + q + " --quiet").code, 0);
  // One new fact and its claim: under 1% of 401 facts.
  EXPECT_TRUE(bytes() == first) << "0.5% of the index changed: it is kept";
  for (int i = 1; i < 6; ++i) {
    std::ofstream(absl::StrCat(dir, "/n", i, ".md"), std::ios::app) << "- Extra " << i << "\n";
  }
  ASSERT_EQ(RunCli("scan " + q + " --quiet").code, 0);
  EXPECT_TRUE(bytes() != first) << "5 new facts and claims, 2.5%: the index is rewritten";
  // Results do not depend on it.
  EXPECT_EQ(RunCli("scan " + q + " --json").out, RunCli("scan " + q + " --json --no-index").out);
  std::system(("rm -rf " + q).c_str());
}

// A check builds no corpus state: it never replaces an index that has one, so the next check
// still starts from the state (it sketches only what the change moves, not every fact).
TEST(Cli, CheckKeepsAnIndexWithACorpusState) {
  char tmpl[] = "/tmp/factdedup-index-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string q = "'" + dir + "'";
  const char* kWords[] = {"widget",  "gadget",  "lane", "Contoso", "Fabrikam", "Azure",   "pilot",
                          "storage", "archive", "Oslo", "Lisbon",  "budget",   "renewal", "GPU"};
  // Note i's three facts; `changed`: its first one reworded (the fact count stays the same).
  auto write_note = [&](int i, bool changed) {
    std::ofstream out(absl::StrCat(dir, "/n", i, ".md"));
    out << "# N\n\n## Key Facts\n";
    for (int f = 0; f < 3; ++f) {
      const int k = i * 3 + f;
      if (changed && f == 0) {
        out << "- Quokka survey " << k << " relocated to Tromso depot " << k + 5000 << "\n";
        continue;
      }
      out << "- " << kWords[k % 14] << " " << kWords[(k / 14) % 14] << " item " << k << " ships "
          << kWords[(k / 196) % 14] << " in lane " << k % 97 << "\n";
    }
  };
  for (int i = 0; i < 1000; ++i) write_note(i, false);  // 3000 facts
  const std::string index = dir + "/.factdedup/index.bin";
  auto bytes = [&] { return FileBytes(index); };
  ASSERT_EQ(RunCli("scan " + q + " --quiet").code, 0);
  const std::string first = bytes();
  ASSERT_FALSE(first.empty());
  const std::string base = "'" + dir + "/../" + dir.substr(dir.rfind('/') + 1) + "-base'";
  ASSERT_EQ(std::system(("rm -rf " + base + " && cp -r " + q + " " + base).c_str()), 0);
  // 1.2% of the facts are new: over the 1% that makes a run rewrite the index.
  for (int i = 0; i < 36; ++i) write_note(i, true);
  const std::string err = dir + "/stderr.txt";
  auto sketched = [&] {  // "(N facts read, M sketched)" from check --timings
    EXPECT_LE(RunCli("check " + q + " --base-dir " + base + " --timings", err).code, 1);
    std::ifstream in(err);
    const std::string text(std::istreambuf_iterator<char>(in), {});
    const size_t at = text.find(" sketched)");
    if (at == std::string::npos) return -1;
    const size_t from = text.rfind(", ", at);
    return std::stoi(text.substr(from + 2, at - from - 2));
  };
  const int once = sketched();
  EXPECT_TRUE(bytes() == first) << "check kept the index with its state";
  EXPECT_GE(once, 36);
  EXPECT_LT(once, 1500) << "from the state, not every fact";
  EXPECT_EQ(sketched(), once) << "the second check starts from the same state";
  ASSERT_EQ(RunCli("scan " + q + " --quiet").code, 0);
  EXPECT_TRUE(bytes() != first) << "a full scan writes a new index with a new state";
  std::system(("rm -rf " + q + " " + base).c_str());
}

// A scan without a corpus state (--method minhash) writes the whole index from the notes it
// read, after the conflict pass; the normalizations freed after that pass must not be the
// notes it writes: the next run finds every fact's normalization in the index.
TEST(Cli, AnIndexWrittenWithoutACorpusStateKeepsEveryNote) {
  const std::string dir = CopyOfTheVault();
  ASSERT_FALSE(dir.empty());
  const std::string q = "'" + dir + "'";
  ASSERT_EQ(RunCli("scan " + q + " --method minhash --quiet").code, 0);
  const std::string err = dir + "/stderr.txt";
  ASSERT_EQ(RunCli("scan " + q + " --method minhash --timings", err).code, 0);
  std::ifstream in(err);
  const std::string text(std::istreambuf_iterator<char>(in), {});
  EXPECT_NE(text.find("(0 facts normalized"), std::string::npos) << text;
  std::system(("rm -rf " + q).c_str());
}

TEST(Cli, ScanJsonIsIdenticalWithoutAColdOrAWarmOrADamagedIndex) {
  const std::string dir = CopyOfTheVault();
  ASSERT_FALSE(dir.empty());
  const std::string q = "'" + dir + "'";
  Result none = RunCli("scan " + q + " --json --no-index");
  ASSERT_EQ(none.code, 0);
  EXPECT_NE(std::system(("test -e " + q + "/.factdedup/index.bin").c_str()), 0)
      << "--no-index writes nothing";
  Result cold = RunCli("scan " + q + " --json");
  ASSERT_EQ(std::system(("test -s " + q + "/.factdedup/index.bin").c_str()), 0);
  Result warm = RunCli("scan " + q + " --json");
  EXPECT_EQ(none.out, cold.out);
  EXPECT_EQ(none.out, warm.out);
  // A damaged index: one line on stderr naming it, then rebuilt; the output is unchanged.
  ASSERT_EQ(std::system(("printf 'garbage' | dd of=" + q +
                         "/.factdedup/index.bin bs=1 seek=100 conv=notrunc 2>/dev/null")
                            .c_str()),
            0);
  const std::string err = dir + "/stderr.txt";
  Result damaged = RunCli("scan " + q + " --json --quiet", err);
  EXPECT_EQ(none.out, damaged.out);
  std::ifstream in(err);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_THAT(line, HasSubstr(".factdedup/index.bin: index checksum mismatch; rebuilding it"));
  EXPECT_EQ(RunCli("scan " + q + " --json --quiet", err).out, none.out);
  std::ifstream again(err);
  EXPECT_FALSE(std::getline(again, line)) << "rebuilt: no note the second time: " << line;
  // check: same findings with and without the index.
  EXPECT_EQ(RunCli("check " + q + " --format json").out,
            RunCli("check " + q + " --format json --no-index").out);
  std::system(("rm -rf " + q).c_str());
}

// report reads and writes the index as scan does; clean reads it and never writes it (a dry
// run writes nothing). Their outputs do not depend on it.
TEST(Cli, ReportAndCleanAreIdenticalWithoutAColdOrAWarmIndex) {
  const std::string dir = CopyOfTheVault();
  ASSERT_FALSE(dir.empty());
  const std::string q = "'" + dir + "'";
  auto has_index = [&] {
    return std::system(("test -s " + q + "/.factdedup/index.bin").c_str()) == 0;
  };
  setenv("SOURCE_DATE_EPOCH", "1767225600", 1);  // the runs may fall in different seconds
  const Result clean_none = RunCli("clean " + q + " --no-index");
  ASSERT_EQ(clean_none.code, 0);
  EXPECT_FALSE(has_index()) << "clean --no-index writes nothing";
  EXPECT_EQ(RunCli("clean " + q).out, clean_none.out);
  EXPECT_FALSE(has_index()) << "clean never writes the index";
  for (const std::string format : {"json", "md"}) {
    std::system(("rm -rf " + q + "/.factdedup").c_str());
    const Result none = RunCli("report " + q + " --format " + format + " --no-index");
    ASSERT_EQ(none.code, 0) << format;
    EXPECT_FALSE(has_index()) << "report --no-index writes nothing";
    const Result cold = RunCli("report " + q + " --format " + format);
    EXPECT_TRUE(has_index()) << "report writes the index";
    const Result warm = RunCli("report " + q + " --format " + format);
    EXPECT_EQ(cold.out, none.out) << format;
    EXPECT_EQ(warm.out, none.out) << format;
  }
  // clean reads the index report wrote: the same diff.
  EXPECT_EQ(RunCli("clean " + q).out, clean_none.out);
  unsetenv("SOURCE_DATE_EPOCH");
  std::system(("rm -rf " + q).c_str());
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Progress and the stage summary go to stderr only on a terminal or with --timings; never
// when piped, never with --quiet, and never into stdout.
TEST(Cli, StageSummaryOnlyWhenAskedOrOnATerminal) {
  char tmpl[] = "/tmp/factdedup-progress-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string err = dir + "/stderr.txt";
  // A fixed report time: the runs compared below may fall in different seconds.
  setenv("SOURCE_DATE_EPOCH", "1767225600", 1);
  for (const std::string cmd : {"scan", "report", "clean"}) {
    Result plain = RunCli(cmd + " " + Vault() + " --no-index", err);
    EXPECT_THAT(ReadText(err), Not(HasSubstr("; total "))) << cmd << ": piped";
    Result timed = RunCli(cmd + " " + Vault() + " --timings", err);
    const std::string summary = ReadText(err);
    EXPECT_THAT(summary, HasSubstr("facts in ")) << cmd;
    EXPECT_THAT(summary, HasSubstr("candidates+verify ")) << cmd;
    EXPECT_THAT(summary, HasSubstr("; total ")) << cmd;
    EXPECT_EQ(timed.out, plain.out) << cmd << ": the summary never goes to stdout";
    RunCli(cmd + " " + Vault() + " --timings --quiet", err);
    EXPECT_THAT(ReadText(err), Not(HasSubstr("; total "))) << cmd << ": --quiet wins";
  }
  // check: its own stages, the same rules.
  const Result plain = RunCli("check " + Vault() + " --no-index", err);
  EXPECT_THAT(ReadText(err), Not(HasSubstr("; total "))) << "check: piped";
  const Result timed = RunCli("check " + Vault() + " --no-index --timings", err);
  const std::string summary = ReadText(err);
  EXPECT_THAT(summary, HasSubstr("facts in ")) << summary;
  EXPECT_THAT(summary, HasSubstr(" findings")) << summary;
  EXPECT_THAT(summary, HasSubstr("duplicates ")) << summary;
  EXPECT_THAT(summary, HasSubstr("conflicts ")) << summary;
  EXPECT_THAT(summary, HasSubstr("; total ")) << summary;
  EXPECT_EQ(timed.out, plain.out) << "check: the summary never goes to stdout";
  EXPECT_EQ(timed.code, plain.code);
  RunCli("check " + Vault() + " --no-index --timings --quiet", err);
  EXPECT_THAT(ReadText(err), Not(HasSubstr("; total "))) << "check: --quiet wins";
  unsetenv("SOURCE_DATE_EPOCH");
  std::system(("rm -rf '" + dir + "'").c_str());
}

}  // namespace
}  // namespace factdedup
