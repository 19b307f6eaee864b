// A small command-line parser for factdedup's subcommands: positionals, `--flag`,
// `--flag value`, `--flag=value` and `-f value` for flags with a short name. Unknown flags are
// usage errors.
#ifndef FACTDEDUP_CLI_ARGS_H_
#define FACTDEDUP_CLI_ARGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace factdedup::cli {

struct FlagSpec {
  std::string name;   // without the leading "--"
  std::string value;  // placeholder ("X") for flags that take a value, "" for switches
  std::string help;
  std::string short_name;  // "o" for `-o`; "" for none
};

struct CommandSpec {
  std::string name;
  std::string usage;    // e.g. "VAULT [--json]"
  std::string summary;  // one line
  std::string details;  // paragraphs shown by `factdedup NAME --help`
  std::vector<FlagSpec> flags;
  int min_positionals = 0;
  int max_positionals = 0;  // -1 for any number
};

struct ParsedArgs {
  std::vector<std::string> positionals;
  std::map<std::string, std::vector<std::string>> values;  // flag -> values ("" for switches)
  bool help = false;

  bool Has(const std::string& flag) const { return values.count(flag) > 0; }
  // Last value given for `flag`, or `fallback`.
  std::string Get(const std::string& flag, const std::string& fallback = "") const;
};

// Parses argv after the command name. Errors are usage errors (exit code 2).
absl::StatusOr<ParsedArgs> ParseArgs(const CommandSpec& spec, const std::vector<std::string>& argv);

// The text of `factdedup NAME --help`.
std::string CommandHelp(const CommandSpec& spec);

}  // namespace factdedup::cli

#endif  // FACTDEDUP_CLI_ARGS_H_
