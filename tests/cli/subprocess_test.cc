#include "cli/subprocess.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace factdedup::cli {
namespace {

std::string TempDir(const char* name) {
  std::string tmpl = ::testing::TempDir() + "/" + name + "-XXXXXX";
  EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

TEST(Subprocess, SeveralChildrenWithLargeOutputsFinishInAnyOrder) {
  // Each writes 2 MB, far more than a pipe holds: a child blocks until its pipe is read, and
  // must not hold another's pipe open (the last one would never see its end).
  std::vector<Child> children;
  for (int k = 0; k < 3; ++k) {
    absl::StatusOr<Child> c = Child::Start({"sh", "-c",
                                            "head -c 2097152 /dev/zero | tr '\\0' '" +
                                                std::string(1, static_cast<char>('a' + k)) + "'"});
    ASSERT_TRUE(c.ok()) << c.status();
    children.push_back(*std::move(c));
  }
  for (int k = 2; k >= 0; --k) {
    const Finished f = children[k].Finish();
    EXPECT_TRUE(f.started);
    EXPECT_EQ(f.code, 0);
    ASSERT_EQ(f.out.size(), size_t{2} << 20);
    EXPECT_EQ(f.out.find_first_not_of(static_cast<char>('a' + k)), std::string::npos);
  }
}

TEST(Subprocess, ExitCodesSignalsStdinAndMissingPrograms) {
  EXPECT_EQ(cli::Run({"sh", "-c", "exit 3"}).code, 3);
  const Finished killed = cli::Run({"sh", "-c", "kill -9 $$"});
  EXPECT_TRUE(killed.started);
  EXPECT_EQ(killed.code, -1);
  const std::string dir = TempDir("subprocess-stdin");
  const std::string in = dir + "/in.txt";
  std::ofstream(in) << "one\ntwo\n";
  const Finished cat = cli::Run({"cat"}, in);
  EXPECT_TRUE(cat.ok());
  EXPECT_EQ(cat.out, "one\ntwo\n");
  EXPECT_EQ(cli::Run({"cat"}).out, "") << "stdin is /dev/null by default";
  const Finished missing = cli::Run({"factdedup-no-such-program"});
  EXPECT_FALSE(missing.started);
  EXPECT_FALSE(missing.ok());
  absl::StatusOr<Child> none = Child::Start({"factdedup-no-such-program"});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("factdedup-no-such-program"), std::string::npos);
  EXPECT_FALSE(Child::Start({}).ok());
  RemoveTree(dir);
}

TEST(Subprocess, AChildNotFinishedIsStillWaitedFor) {
  {
    absl::StatusOr<Child> c = Child::Start({"head", "-c", "1048576", "/dev/zero"});
    ASSERT_TRUE(c.ok());
    Child moved = *std::move(c);
    // Destroyed with 1 MB unread: it closes the pipe (the child ends on SIGPIPE) and waits.
  }
  // No child of this process is left (a zombie would still be waitable).
  int status = 0;
  EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(Subprocess, RemoveTreeRemovesEverythingButFollowsNoSymlink) {
  const std::string outside = TempDir("subprocess-outside");
  std::ofstream(outside + "/keep.txt") << "kept";
  const std::string dir = TempDir("subprocess-tree");
  ASSERT_EQ(::mkdir((dir + "/a").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir + "/a/b").c_str(), 0755), 0);
  std::ofstream(dir + "/a/b/f.md") << "x";
  std::ofstream(dir + "/top.md") << "y";
  ASSERT_EQ(::symlink(outside.c_str(), (dir + "/a/link").c_str()), 0);
  RemoveTree(dir);
  struct stat st;
  EXPECT_NE(::lstat(dir.c_str(), &st), 0) << "the folder is gone";
  EXPECT_EQ(::stat((outside + "/keep.txt").c_str(), &st), 0) << "a symlink's target is not";
  RemoveTree(outside);
  EXPECT_NE(::lstat(outside.c_str(), &st), 0);
  RemoveTree(outside);  // nothing there: no harm
}

}  // namespace
}  // namespace factdedup::cli
