// Fuzzes the incremental index's decoder (provenance/index.h, docs/index-format.md). The
// input's first four bytes steer, its lines are facts of up to four notes. A real index is
// built from them (ScanVaultIndexed over an in-memory vault, with or without the corpus state)
// and encoded; it must decode and encode again to the same bytes. Then bytes of its body are
// damaged and the header resealed (body size and checksum made to match), as only a crafted
// file would be: Decode must reject it or load something that encodes and decodes again, and a
// scan that reuses it must run without a crash (a normalization that does not decode is
// normalized again).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "dedup/engine.h"
#include "dedup/hash.h"
#include "fuzz/fuzz_check.h"
#include "provenance/config.h"
#include "provenance/index.h"
#include "provenance/io.h"
#include "provenance/vault.h"

namespace factdedup::provenance {
namespace {

constexpr size_t kHeader = 76;  // docs/index-format.md: body size at 60, checksum at 68

void Reseal(std::string* bytes) {
  const uint64_t body = bytes->size() - kHeader;
  std::memcpy(bytes->data() + 60, &body, 8);  // little-endian machines only (as the format)
  const uint64_t sum = dedup::Hash64(absl::string_view(*bytes).substr(kHeader), 0);
  std::memcpy(bytes->data() + 68, &sum, 8);
}

void Run(const uint8_t* data, size_t size) {
  if (size < 4) return;
  const uint8_t steer = data[0], count = data[1], value = data[2], where = data[3];
  const absl::string_view text(reinterpret_cast<const char*>(data) + 4, size - 4);
  std::unique_ptr<FileSystem> fs = NewMemFileSystem();
  FUZZ_CHECK(fs->MakeDirs("/v").ok());
  std::string notes[4];
  for (std::string& n : notes) n = "# N\n\n## Key Facts\n";
  size_t lines = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line.size() > 200) continue;
    absl::StrAppend(&notes[lines % 4], "- ", line, "\n");
    if (++lines >= 40) break;
  }
  if (lines == 0) return;
  for (int k = 0; k < 4; ++k) {
    FUZZ_CHECK(fs->WriteFileAtomic(absl::StrCat("/v/n", k, ".md"), notes[k], std::nullopt).ok());
  }
  absl::StatusOr<Vault> vault = LoadVault(fs.get(), "/v", Config{});
  if (!vault.ok()) return;
  dedup::DedupOptions options;
  options.threads = 1 + (steer & 1);
  FactIndex built(options);
  IndexStats stats;
  if (!ScanVaultIndexed(*vault, options, {}, &built, &stats, /*keep_corpus=*/(steer & 2) != 0)
           .ok()) {
    return;
  }
  const std::string bytes = built.Encode();
  FUZZ_CHECK(bytes.size() > kHeader);
  {
    FactIndex intact(options);
    const absl::Status st = intact.Decode(bytes);
    FUZZ_CHECK(st.ok()) << st;
    FUZZ_CHECK(intact.Encode() == bytes) << "an intact index encodes again to the same bytes";
  }
  // Damage: `count % 8 + 1` bytes of the body, from a position `where` steers, set to values
  // `value` steers; the header resealed.
  std::string damaged = bytes;
  const size_t body = damaged.size() - kHeader;
  size_t at = kHeader + (static_cast<size_t>(where) * 2654435761u + steer) % body;
  for (int k = 0; k <= count % 8; ++k) {
    damaged[at] = static_cast<char>((steer & 4) != 0 ? value + k : damaged[at] ^ (value | 1));
    at = kHeader + (at - kHeader + 1 + count) % body;
  }
  if ((steer & 8) != 0 && body > 8) damaged.resize(damaged.size() - 1 - value % 8);  // truncated
  Reseal(&damaged);
  FactIndex loaded(options);
  if (!loaded.Decode(damaged).ok()) return;  // rejected: rebuilt by the caller
  const std::string again = loaded.Encode();
  FactIndex reloaded(options);
  const absl::Status st = reloaded.Decode(again);
  FUZZ_CHECK(st.ok()) << "what Decode accepted must encode to a file it accepts: " << st;
  FactIndex next(options);
  (void)ScanVaultIndexed(*vault, options, {&loaded}, &next, &stats, /*keep_corpus=*/false);
}

}  // namespace
}  // namespace factdedup::provenance

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  factdedup::provenance::Run(data, size);
  return 0;
}
