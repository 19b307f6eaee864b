// Helpers shared by the provenance tests.
#ifndef FACTDEDUP_TESTS_PROVENANCE_TEST_UTIL_H_
#define FACTDEDUP_TESTS_PROVENANCE_TEST_UTIL_H_

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "provenance/io.h"

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

// Compares with tests/golden/<name>; FACTDEDUP_UPDATE_GOLDEN=1 rewrites the golden file.
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  const std::string path = SourcePath("tests/golden/" + name);
  const char* update = std::getenv("FACTDEDUP_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    ASSERT_TRUE(provenance::DefaultFileSystem()->WriteFileAtomic(path, actual, std::nullopt).ok());
    return;
  }
  EXPECT_EQ(actual, ReadFileOrDie(path))
      << "golden " << name << " differs (FACTDEDUP_UPDATE_GOLDEN=1 to rewrite)";
}

}  // namespace factdedup::testing

#endif  // FACTDEDUP_TESTS_PROVENANCE_TEST_UTIL_H_
