// FUZZ_CHECK(cond) << "context": aborts (so libFuzzer saves the input) when an invariant
// of the code under test is broken. Fuzz targets only.
#ifndef FACTDEDUP_FUZZ_FUZZ_CHECK_H_
#define FACTDEDUP_FUZZ_FUZZ_CHECK_H_

#include <cstdlib>
#include <iostream>

namespace factdedup::fuzz {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* cond) {
    std::cerr << file << ":" << line << ": invariant broken: " << cond << " ";
  }
  ~CheckFailure() {
    std::cerr << std::endl;
    std::abort();
  }
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    std::cerr << v;
    return *this;
  }
};

}  // namespace factdedup::fuzz

#define FUZZ_CHECK(cond) \
  if (cond) {            \
  } else                 \
    ::factdedup::fuzz::CheckFailure(__FILE__, __LINE__, #cond)

#endif  // FACTDEDUP_FUZZ_FUZZ_CHECK_H_
