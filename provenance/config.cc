#include "provenance/config.h"

#include <functional>
#include <map>

// GCC 12 reports false -Wdangling-pointer positives inside yaml-cpp's node templates.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#include <yaml-cpp/yaml.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "provenance/internal/yaml_limits.h"

namespace factdedup::provenance {
namespace {

absl::Status KeyError(absl::string_view path, const YAML::Node& node, absl::string_view msg) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ":", node.Mark().line + 1, ":", node.Mark().column + 1, ": ", msg));
}

absl::Status ReadStringList(absl::string_view path, absl::string_view key, const YAML::Node& v,
                            std::vector<std::string>* out) {
  out->clear();
  if (v.IsScalar()) {
    out->push_back(v.Scalar());
    return absl::OkStatus();
  }
  if (!v.IsSequence()) {
    return KeyError(path, v, absl::StrCat("'", key, "' must be a list of strings"));
  }
  for (const auto& item : v) {
    if (!item.IsScalar()) {
      return KeyError(path, item, absl::StrCat("'", key, "' must be a list of strings"));
    }
    out->push_back(item.Scalar());
  }
  return absl::OkStatus();
}

absl::Status ReadUint(absl::string_view path, absl::string_view key, const YAML::Node& v,
                      uint64_t max, uint64_t* out) {
  uint64_t value = 0;
  if (!v.IsScalar() || !YAML::convert<uint64_t>::decode(v, value) || v.Scalar().empty() ||
      v.Scalar()[0] == '-') {
    return KeyError(path, v, absl::StrCat("'", key, "' must be a non-negative integer"));
  }
  if (value > max) {
    return KeyError(path, v, absl::StrCat("'", key, "' must be at most ", max));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ReadDouble(absl::string_view path, absl::string_view key, const YAML::Node& v,
                        double lo, double hi, double* out) {
  double value = 0;
  if (!v.IsScalar() || !YAML::convert<double>::decode(v, value)) {
    return KeyError(path, v, absl::StrCat("'", key, "' must be a number"));
  }
  if (!(value >= lo && value <= hi)) {
    return KeyError(path, v, absl::StrCat("'", key, "' must be between ", lo, " and ", hi));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ReadInt(absl::string_view path, absl::string_view key, const YAML::Node& v, int lo,
                     int hi, int* out) {
  int value = 0;
  if (!v.IsScalar() || !YAML::convert<int>::decode(v, value)) {
    return KeyError(path, v, absl::StrCat("'", key, "' must be an integer"));
  }
  if (value < lo || value > hi) {
    return KeyError(path, v, absl::StrCat("'", key, "' must be between ", lo, " and ", hi));
  }
  *out = value;
  return absl::OkStatus();
}

using Handler = std::function<absl::Status(const YAML::Node&, Config*)>;

absl::Status ApplyMap(absl::string_view path, const YAML::Node& map,
                      const std::map<std::string, Handler>& handlers, Config* config) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string& key = it->first.Scalar();
    auto h = handlers.find(key);
    if (h == handlers.end()) {
      std::vector<std::string> known;
      for (const auto& [k, unused] : handlers) known.push_back(k);
      return KeyError(
          path, it->first,
          absl::StrCat("unknown key '", key, "' (known keys: ", absl::StrJoin(known, ", "), ")"));
    }
    if (absl::Status s = h->second(it->second, config); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool GlobMatchImpl(absl::string_view p, absl::string_view s, bool fold, bool paths) {
  while (!p.empty()) {
    if (p.size() >= 2 && p[0] == '*' && p[1] == '*') {
      absl::string_view rest = p.substr(2);
      if (!rest.empty() && rest[0] == '/') {
        // "**/" matches zero or more whole folders.
        if (GlobMatchImpl(rest.substr(1), s, fold, paths)) return true;
        for (size_t i = 0; i < s.size(); ++i) {
          if (s[i] == '/' && GlobMatchImpl(rest.substr(1), s.substr(i + 1), fold, paths))
            return true;
        }
        return false;
      }
      for (size_t i = 0; i <= s.size(); ++i) {
        if (GlobMatchImpl(rest, s.substr(i), fold, paths)) return true;
      }
      return false;
    }
    if (p[0] == '*') {
      // A literal tail ("*.md", the usual pattern): s must end with it, and with `paths` the
      // star must not cross a '/', which is what the search below finds, without trying
      // every start.
      const absl::string_view tail = p.substr(1);
      if (tail.find_first_of("*?") == absl::string_view::npos) {
        if (s.size() < tail.size()) return false;
        const size_t at = s.size() - tail.size();
        if (paths && s.substr(0, at).find('/') != absl::string_view::npos) return false;
        for (size_t k = 0; k < tail.size(); ++k) {
          char a = tail[k], b = s[at + k];
          if (fold) {
            a = absl::ascii_tolower(static_cast<unsigned char>(a));
            b = absl::ascii_tolower(static_cast<unsigned char>(b));
          }
          if (a != b) return false;
        }
        return true;
      }
      for (size_t i = 0; i <= s.size(); ++i) {
        if (GlobMatchImpl(p.substr(1), s.substr(i), fold, paths)) return true;
        if (paths && i < s.size() && s[i] == '/') break;
      }
      return false;
    }
    if (s.empty()) return false;
    if (p[0] == '?') {
      if (paths && s[0] == '/') return false;
    } else {
      char a = p[0], b = s[0];
      if (fold) {
        a = absl::ascii_tolower(static_cast<unsigned char>(a));
        b = absl::ascii_tolower(static_cast<unsigned char>(b));
      }
      if (a != b) return false;
    }
    p.remove_prefix(1);
    s.remove_prefix(1);
  }
  return s.empty();
}

}  // namespace

bool GlobMatch(absl::string_view pattern, absl::string_view path, bool fold_case) {
  return GlobMatchImpl(pattern, path, fold_case, /*paths=*/true);
}

bool IsFactSection(const VaultOptions& options, absl::string_view section) {
  for (const auto& p : options.skip_sections) {
    if (GlobMatchImpl(p, section, /*fold=*/true, /*paths=*/false)) return false;
  }
  for (const auto& p : options.fact_sections) {
    if (GlobMatchImpl(p, section, /*fold=*/true, /*paths=*/false)) return true;
  }
  return false;
}

absl::StatusOr<Config> ParseConfig(absl::string_view yaml, absl::string_view path) {
  Config config;
  config.path = std::string(path);
  YAML::Node root;
  int limit_line = 0;
  if (absl::Status s = internal::CheckYamlLimits(yaml, {}, &limit_line); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", limit_line, ": ", s.message()));
  }
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": malformed YAML: ", e.msg));
  }
  if (root.IsNull()) return config;
  if (!root.IsMap()) return KeyError(path, root, "the configuration must be a map of keys");
  const std::string p(path);
  std::map<std::string, Handler> handlers = {
      {"version",
       [&](const YAML::Node& v, Config*) -> absl::Status {
         if (!v.IsScalar() || v.Scalar() != "1") {
           return KeyError(p, v, "'version' must be 1 (the only configuration version)");
         }
         return absl::OkStatus();
       }},
      {"include", [&](const YAML::Node& v,
                      Config* c) { return ReadStringList(p, "include", v, &c->vault.include); }},
      {"exclude", [&](const YAML::Node& v,
                      Config* c) { return ReadStringList(p, "exclude", v, &c->vault.exclude); }},
      {"max_file_size",
       [&](const YAML::Node& v, Config* c) {
         return ReadUint(p, "max_file_size", v, 1ull << 30, &c->vault.max_file_size);
       }},
      {"link_style",
       [&](const YAML::Node& v, Config* c) -> absl::Status {
         if (!v.IsScalar() ||
             (v.Scalar() != "wikilink" && v.Scalar() != "footnote" && v.Scalar() != "none")) {
           return KeyError(p, v, "'link_style' must be wikilink, footnote or none");
         }
         c->link_style = v.Scalar();
         return absl::OkStatus();
       }},
      {"fact_sections",
       [&](const YAML::Node& v, Config* c) {
         return ReadStringList(p, "fact_sections", v, &c->vault.fact_sections);
       }},
      {"skip_sections",
       [&](const YAML::Node& v, Config* c) {
         return ReadStringList(p, "skip_sections", v, &c->vault.skip_sections);
       }},
  };
  std::map<std::string, Handler> dedup_handlers = {
      {"threshold",
       [&](const YAML::Node& v, Config* c) {
         return ReadDouble(p, "dedup.threshold", v, 0.01, 1.0, &c->dedup.threshold);
       }},
      {"containment_threshold",
       [&](const YAML::Node& v, Config* c) {
         return ReadDouble(p, "dedup.containment_threshold", v, 0.01, 1.0,
                           &c->dedup.containment_threshold);
       }},
      {"min_containment_tokens",
       [&](const YAML::Node& v, Config* c) {
         return ReadInt(p, "dedup.min_containment_tokens", v, 1, 1000,
                        &c->dedup.min_containment_tokens);
       }},
      {"canonical_floor",
       [&](const YAML::Node& v, Config* c) {
         return ReadDouble(p, "dedup.canonical_floor", v, 0.0, 1.0, &c->dedup.canonical_floor);
       }},
      {"distinct_entities_floor",
       [&](const YAML::Node& v, Config* c) {
         return ReadDouble(p, "dedup.distinct_entities_floor", v, 0.0, 1.0,
                           &c->dedup.distinct_entities_floor);
       }},
      {"lsh_threshold",
       [&](const YAML::Node& v, Config* c) {
         return ReadDouble(p, "dedup.lsh_threshold", v, 0.01, 1.0, &c->dedup.lsh_threshold);
       }},
      {"num_perm",
       [&](const YAML::Node& v, Config* c) {
         return ReadInt(p, "dedup.num_perm", v, 1, 1024, &c->dedup.minhash.num_perm);
       }},
      {"simhash_distance",
       [&](const YAML::Node& v, Config* c) {
         return ReadInt(p, "dedup.simhash_distance", v, 0, 16, &c->dedup.simhash_distance);
       }},
      {"lsh_common_min",
       [&](const YAML::Node& v, Config* c) {
         return ReadInt(p, "dedup.lsh_common_min", v, 1, 1 << 30, &c->dedup.lsh_common_min);
       }},
      {"lsh_common_share",
       [&](const YAML::Node& v, Config* c) {
         return ReadDouble(p, "dedup.lsh_common_share", v, 0.0, 1.0, &c->dedup.lsh_common_share);
       }},
      {"max_bucket_size",
       [&](const YAML::Node& v, Config* c) {
         return ReadInt(p, "dedup.max_bucket_size", v, 2, 1000000, &c->dedup.max_bucket_size);
       }},
      {"rare_word_keys",
       [&](const YAML::Node& v, Config* c) {
         return ReadInt(p, "dedup.rare_word_keys", v, 0, 64, &c->dedup.rare_word_keys);
       }},
      {"rare_word_share",
       [&](const YAML::Node& v, Config* c) {
         return ReadDouble(p, "dedup.rare_word_share", v, 0.0, 1.0, &c->dedup.rare_word_share);
       }},
      {"rare_word_bucket",
       [&](const YAML::Node& v, Config* c) {
         return ReadInt(p, "dedup.rare_word_bucket", v, 2, 1000000, &c->dedup.rare_word_bucket);
       }},
      {"method",
       [&](const YAML::Node& v, Config* c) -> absl::Status {
         if (v.IsScalar() && v.Scalar() == "verified") {
           c->dedup.method = dedup::Method::kVerified;
         } else if (v.IsScalar() && v.Scalar() == "minhash") {
           c->dedup.method = dedup::Method::kMinHash;
         } else {
           return KeyError(p, v, "'dedup.method' must be 'verified' or 'minhash'");
         }
         return absl::OkStatus();
       }},
  };
  std::map<std::string, Handler> check_handlers = {
      {"max_new_duplicates",
       [&](const YAML::Node& v, Config* c) {
         int value = 0;
         absl::Status s = ReadInt(p, "check.max_new_duplicates", v, 0, 1000000, &value);
         c->max_new_duplicates = value;
         return s;
       }},
      {"max_new_conflicts",
       [&](const YAML::Node& v, Config* c) {
         int value = 0;
         absl::Status s = ReadInt(p, "check.max_new_conflicts", v, 0, 1000000, &value);
         c->max_new_conflicts = value;
         return s;
       }},
      {"allow", [&](const YAML::Node& v,
                    Config* c) { return ReadStringList(p, "check.allow", v, &c->check_allow); }},
  };
  handlers["check"] = [&](const YAML::Node& v, Config* c) -> absl::Status {
    if (!v.IsMap()) return KeyError(p, v, "'check' must be a map of keys");
    return ApplyMap(p, v, check_handlers, c);
  };
  handlers["dedup"] = [&](const YAML::Node& v, Config* c) -> absl::Status {
    if (!v.IsMap()) return KeyError(p, v, "'dedup' must be a map of keys");
    return ApplyMap(p, v, dedup_handlers, c);
  };
  try {
    if (absl::Status s = ApplyMap(p, root, handlers, &config); !s.ok()) return s;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", e.mark.line + 1, ": ", e.msg));
  }
  return config;
}

absl::StatusOr<Config> LoadConfig(FileSystem* fs, const std::string& vault_root) {
  const std::string path = JoinPath(vault_root, kConfigFileName);
  absl::StatusOr<std::string> bytes = fs->ReadFile(path, 1 << 20);
  if (!bytes.ok()) {
    if (absl::IsNotFound(bytes.status())) return Config{};
    return bytes.status();
  }
  return ParseConfig(*bytes, path);
}

}  // namespace factdedup::provenance
