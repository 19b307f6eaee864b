#include "provenance/internal/checksum.h"

#ifdef FACTDEDUP_HAVE_XXH3_DISPATCH
#include <xxh_x86dispatch.h>
#else
#include "dedup/hash.h"
#endif

namespace factdedup::provenance::internal {

uint64_t Checksum(absl::string_view bytes) {
#ifdef FACTDEDUP_HAVE_XXH3_DISPATCH
  // XXH3 gives the same value whichever vector unit computes it (seed 0 is the default).
  return XXH3_64bits_dispatch(bytes.data(), bytes.size());
#else
  return dedup::Hash64(bytes, 0);
#endif
}

}  // namespace factdedup::provenance::internal
