// Fuzzes the normalizer and the mojibake repair: any bytes normalize without error into valid
// UTF-8, deterministically; repairing valid UTF-8 yields valid UTF-8 and leaves it unchanged
// when it reports no repair (and always for pure ASCII).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "dedup/normalize.h"
#include "fuzz/fuzz_check.h"
#include "provenance/note.h"

namespace factdedup::dedup {
namespace {

bool Utf8(absl::string_view s) { return provenance::ValidateUtf8(s, nullptr, nullptr); }

bool Ascii(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

void CheckNormalize(const Normalizer& n, absl::string_view text) {
  absl::StatusOr<NormalizedText> a = n.Normalize(text);
  FUZZ_CHECK(a.ok()) << a.status().message();
  FUZZ_CHECK(Utf8(a->clean)) << "clean is not valid UTF-8";
  FUZZ_CHECK(a->tokens.size() <= a->all_tokens.size());
  for (const Token& t : a->all_tokens) {
    FUZZ_CHECK(!t.text.empty());
    FUZZ_CHECK(Utf8(t.text)) << "token is not valid UTF-8";
  }
  absl::StatusOr<NormalizedText> b = n.Normalize(text);
  FUZZ_CHECK(b.ok() && b->clean == a->clean && b->tokens.size() == a->tokens.size())
      << "not deterministic";
}

void CheckRepair(absl::string_view text) {
  if (!Utf8(text)) return;  // the repair is defined over valid UTF-8
  bool repaired = false;
  std::string out = RepairMojibake(text, &repaired);
  FUZZ_CHECK(Utf8(out)) << "repair produced invalid UTF-8";
  if (!repaired) {
    FUZZ_CHECK(out == text) << "changed without reporting a repair";
  }
  if (Ascii(text)) {
    FUZZ_CHECK(!repaired && out == text) << "ASCII was changed";
  }
}

}  // namespace
}  // namespace factdedup::dedup

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const factdedup::dedup::Normalizer* normalizer = new factdedup::dedup::Normalizer();
  static const factdedup::dedup::Normalizer* literal = [] {
    factdedup::dedup::NormalizeOptions o;
    o.repair_mojibake = false;
    o.stem = false;
    o.canonicalize_numbers = false;
    return new factdedup::dedup::Normalizer(o);
  }();
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  factdedup::dedup::CheckNormalize(*normalizer, text);
  factdedup::dedup::CheckNormalize(*literal, text);
  factdedup::dedup::CheckRepair(text);
  return 0;
}
