// factdedup: finds near-duplicate and paraphrased facts in an Obsidian vault.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "cli/commands.h"

#ifdef FACTDEDUP_WITH_JEMALLOC
// jemalloc's start-up options (MALLOC_CONF in the environment still applies on top): the
// heap and jemalloc's own metadata on transparent huge pages where the kernel allows them
// (madvise). A run first-touches hundreds of MB in small objects; with 4 KiB pages a warm
// check spent 0.45-0.50 s of its 2.5-2.8 s of CPU in system time, mostly page faults.
// Measured on the 100k-fact index benchmark vault (MALLOC_CONF set and unset, alternating):
// check 1.72-1.86 s -> 1.40-1.67 s wall, system time 0.45-0.50 s -> 0.20-0.22 s; cold scan
// 3.05-3.35 s -> 2.87-3.13 s, peak RSS +7% (432 -> 462 MB).
extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks up.
const char* malloc_conf = "thp:always,metadata_thp:always";
}
#endif

namespace factdedup::cli {
namespace {

void PrintHelp() {
  std::cout << "usage: factdedup <command> [options]\n\n"
               "Finds near-duplicate and paraphrased facts in an Obsidian-style vault, keeps\n"
               "one canonical fact with links to every source, and reports conflicts.\n\n"
               "commands:\n";
  for (const Command& c : AllCommands()) {
    std::cout << absl::StrFormat("  %-14s %s\n", c.spec.name, c.spec.summary);
  }
  std::cout << "\n'factdedup <command> --help' describes a command.\n\n"
               "exit codes: 0 ok, 1 findings (checks), 2 usage or input error\n";
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (args.size() >= 2) {
      for (const Command& c : AllCommands()) {
        if (c.spec.name == args[1]) {
          std::cout << CommandHelp(c.spec);
          return kExitOk;
        }
      }
    }
    PrintHelp();
    return args.empty() ? kExitError : kExitOk;
  }
  if (args[0] == "--version" || args[0] == "version") {
    std::cout << "factdedup " << FACTDEDUP_VERSION << "\n";
    return kExitOk;
  }
  for (const Command& c : AllCommands()) {
    if (c.spec.name != args[0]) continue;
    std::vector<std::string> rest(args.begin() + 1, args.end());
    absl::StatusOr<ParsedArgs> parsed = ParseArgs(c.spec, rest);
    if (!parsed.ok()) {
      std::cerr << "factdedup: " << parsed.status().message() << "\n";
      return kExitError;
    }
    if (parsed->help) {
      std::cout << CommandHelp(c.spec);
      return kExitOk;
    }
    return c.run(*parsed);
  }
  std::cerr << "factdedup: unknown command '" << args[0] << "' (see factdedup --help)\n";
  return kExitError;
}

}  // namespace
}  // namespace factdedup::cli

int main(int argc, char** argv) { return factdedup::cli::Main(argc, argv); }
