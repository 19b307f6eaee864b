#include "cli/args.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace factdedup::cli {

std::string ParsedArgs::Get(const std::string& flag, const std::string& fallback) const {
  auto it = values.find(flag);
  if (it == values.end() || it->second.empty()) return fallback;
  return it->second.back();
}

absl::StatusOr<ParsedArgs> ParseArgs(const CommandSpec& spec,
                                     const std::vector<std::string>& argv) {
  ParsedArgs out;
  bool only_positionals = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positionals || a.size() < 2 || a[0] != '-') {
      out.positionals.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positionals = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    std::string name, value;
    bool has_inline = false;
    const FlagSpec* flag = nullptr;
    if (!absl::StartsWith(a, "--")) {
      for (const FlagSpec& f : spec.flags) {
        if (!f.short_name.empty() && a.substr(1) == f.short_name) flag = &f;
      }
      if (flag == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat("unknown option '", a, "' for '", spec.name,
                                                       "' (see factdedup ", spec.name, " --help)"));
      }
      name = flag->name;
    } else {
      name = a.substr(2);
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      for (const FlagSpec& f : spec.flags) {
        if (f.name == name) flag = &f;
      }
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option '--", name, "' for '",
                                                     spec.name, "' (see factdedup ", spec.name,
                                                     " --help)"));
    }
    if (flag->value.empty()) {
      if (has_inline) {
        return absl::InvalidArgumentError(absl::StrCat("option '--", name, "' takes no value"));
      }
      out.values[name].push_back("");
      continue;
    }
    if (!has_inline) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("option '--", name, "' needs a value (", flag->value, ")"));
      }
      value = argv[++i];
    }
    out.values[name].push_back(value);
  }
  if (out.help) return out;
  const int n = static_cast<int>(out.positionals.size());
  if (n < spec.min_positionals || (spec.max_positionals >= 0 && n > spec.max_positionals)) {
    return absl::InvalidArgumentError(
        absl::StrCat("usage: factdedup ", spec.name, " ", spec.usage));
  }
  return out;
}

std::string CommandHelp(const CommandSpec& spec) {
  std::string out =
      absl::StrCat("usage: factdedup ", spec.name, " ", spec.usage, "\n\n", spec.summary, "\n");
  if (!spec.details.empty()) absl::StrAppend(&out, "\n", spec.details, "\n");
  if (!spec.flags.empty()) {
    absl::StrAppend(&out, "\noptions:\n");
    for (const FlagSpec& f : spec.flags) {
      std::string left = absl::StrCat(f.short_name.empty() ? "" : "-", f.short_name,
                                      f.short_name.empty() ? "" : ", ", "--", f.name,
                                      f.value.empty() ? "" : " ", f.value);
      absl::StrAppend(&out, absl::StrFormat("  %-24s %s\n", left, f.help));
    }
  }
  absl::StrAppend(&out, absl::StrFormat("  %-24s %s\n", "--help", "show this help"));
  return out;
}

}  // namespace factdedup::cli
