// Bounds on YAML text, checked before it reaches yaml-cpp, so that a hostile note's
// frontmatter or a hostile `.factdedup.yaml` cannot make parsing take unbounded time, memory
// or stack (deep nesting, alias bombs, megabytes of YAML).
//
//   int line = 0;
//   if (absl::Status s = CheckYamlLimits(yaml, {}, &line); !s.ok()) { /* report at line */ }
//
// The check is lexical and errs on the safe side: it may count a '[' or '*' inside an odd
// plain scalar, never miss real nesting or a real alias.
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_YAML_LIMITS_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_YAML_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace factdedup::provenance::internal {

struct YamlLimits {
  // Bytes of YAML. Default 1 MiB.
  size_t max_bytes = 1 << 20;
  // Nesting of block and flow collections ("a:\n  b:\n    c: [[1]]" is 4). Default 64.
  int max_depth = 64;
  // Alias references ("*name"). Default 16: notes and configurations need none, and however
  // 16 aliases are arranged, expanding them all gives a few hundred nodes, while a "billion
  // laughs" bomb needs dozens.
  int max_aliases = 16;
};

// OK, or kInvalidArgument saying which limit `yaml` exceeds; *line is then the 1-based line
// of `yaml` where it did (1 for the size).
absl::Status CheckYamlLimits(absl::string_view yaml, const YamlLimits& limits, int* line);

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_YAML_LIMITS_H_
