// Helpers shared by the provenance tests.
#ifndef FACTDEDUP_TESTS_PROVENANCE_TEST_UTIL_H_
#define FACTDEDUP_TESTS_PROVENANCE_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>

namespace factdedup::testing {

inline std::string SourcePath(const std::string& rel) {
  return std::string(FACTDEDUP_SOURCE_DIR) + "/" + rel;
}

inline std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace factdedup::testing

#endif  // FACTDEDUP_TESTS_PROVENANCE_TEST_UTIL_H_
