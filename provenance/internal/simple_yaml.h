// A fast path for the frontmatter almost every note has: top-level keys with one-line scalar
// values or block lists of one-line scalars, e.g.
//
//   type: account
//   name: Altdyne 1
//   created: '2026-01-05'
//   account: "[[Delquest 1]]"
//   tags:
//     - account
//
// yaml-cpp takes about 170,000 instructions for such a note (a tenth of a warm `check`).
// ParseSimpleYaml reads only a strict subset of YAML, on which it gives exactly what yaml-cpp's
// nodes give (the scalars as Scalar() returns them, the lists' scalar items), and declines
// everything else (comments, blank lines, flow collections, nested maps, multi-line or escaped
// scalars, anchors, tags, tabs, CR, null words, duplicate keys, ...), which the caller then
// hands to yaml-cpp. A test compares the two on generated inputs.
#ifndef FACTDEDUP_PROVENANCE_INTERNAL_SIMPLE_YAML_H_
#define FACTDEDUP_PROVENANCE_INTERNAL_SIMPLE_YAML_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace factdedup::provenance::internal {

struct SimpleYamlKey {
  std::string key;
  int line = 0;       // 0-based line of the key in the text
  std::string value;  // a scalar's value; "" for a list or an empty (null) value
  std::vector<std::string> items;
  bool is_list = false;
};

// The keys of `yaml` in order, when all of it is in the subset; false (and *keys unspecified)
// otherwise. An empty text has no keys.
bool ParseSimpleYaml(absl::string_view yaml, std::vector<SimpleYamlKey>* keys);

}  // namespace factdedup::provenance::internal

#endif  // FACTDEDUP_PROVENANCE_INTERNAL_SIMPLE_YAML_H_
