// Fuzzes DeduplicateAround from a CorpusState (dedup/engine.h). The input's first three bytes
// steer, its lines are facts. The facts are deduplicated with a corpus state; a change then
// drops some of them, adds copies and paraphrases, and the clusters and candidates around the
// change must be those computed without the state. Then one byte of the state's encoding is
// flipped: the damaged state must be rejected by Decode, or be used without a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "dedup/engine.h"
#include "fuzz/fuzz_check.h"

namespace factdedup::dedup {
namespace {

std::string Show(const DedupResult& r) {
  std::string out = absl::StrCat(r.stats.candidates, "|", r.stats.duplicate_pairs, "|");
  for (const Cluster& c : r.clusters) {
    absl::StrAppend(&out, c.canonical, "[");
    for (const Member& m : c.members) {
      absl::StrAppend(&out, m.item, "/", m.similarity, "/", RelationName(m.relation), " ");
    }
    absl::StrAppend(&out, "]", c.reason, ";");
  }
  return out;
}

void Run(const uint8_t* data, size_t size) {
  if (size < 3) return;
  const uint8_t steer = data[0], flip_at = data[1], flip = data[2];
  const absl::string_view text(reinterpret_cast<const char*>(data) + 3, size - 3);
  std::vector<Item> before;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line.size() > 300) continue;
    before.push_back({std::string(line), absl::StrCat("a", before.size())});
    if (before.size() >= 80) break;
  }
  if (before.empty()) return;
  DedupOptions options;
  options.threads = 1;
  if (steer & 0x20) {  // small buckets, few common words
    options.max_bucket_size = 3;
    options.rare_word_bucket = 3;
    options.lsh_common_min = 2;
    options.lsh_common_share = 0;
  }
  if (steer & 0x40) options.rare_word_keys = 0;
  CorpusState state;
  if (!Deduplicate(before, options, &state).ok()) return;
  FUZZ_CHECK(!state.empty());
  // The change: every k-th item dropped; copies of dropped ones and paraphrases added.
  const size_t k = 2 + steer % 5;
  std::vector<Item> after;
  std::vector<int> previous, focus;
  for (size_t i = 0; i < before.size(); ++i) {
    if (i % k == 0 && (steer & 0x80) == 0) continue;
    after.push_back(before[i]);
    previous.push_back(static_cast<int>(i));
  }
  for (size_t i = 0; i < before.size(); i += k) {
    if (steer & 0x08) {
      focus.push_back(static_cast<int>(after.size()));
      after.push_back({before[i].text, absl::StrCat("b", i)});
      previous.push_back(-1);
    }
    if (steer & 0x10) {
      focus.push_back(static_cast<int>(after.size()));
      after.push_back({absl::StrCat("As noted, ", before[i].text), absl::StrCat("c", i)});
      previous.push_back(-1);
    }
  }
  if (after.empty()) return;
  focus.push_back(0);
  absl::StatusOr<DedupResult> plain = DeduplicateAround(after, focus, options);
  absl::StatusOr<DedupResult> from = DeduplicateAround(after, focus, options, &state, previous);
  FUZZ_CHECK(plain.ok() && from.ok());
  FUZZ_CHECK(Show(*plain) == Show(*from)) << "\n" << Show(*plain) << "\n" << Show(*from);

  std::string bytes = state.Encode();
  FUZZ_CHECK(bytes.size() == state.EncodedSize());
  CorpusState back;
  FUZZ_CHECK(back.Decode(bytes).ok());
  FUZZ_CHECK(back.Encode() == bytes);
  if (flip == 0) return;
  bytes[flip_at * bytes.size() / 256] ^= static_cast<char>(flip);
  CorpusState damaged;
  if (!damaged.Decode(bytes).ok()) {
    FUZZ_CHECK(damaged.empty());
    return;
  }
  FUZZ_CHECK(DeduplicateAround(after, focus, options, &damaged, previous).ok());
}

}  // namespace
}  // namespace factdedup::dedup

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  factdedup::dedup::Run(data, size);
  return 0;
}
