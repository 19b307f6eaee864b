#include "provenance/scan_json.h"

#include <sstream>

#include "provenance/internal/json.h"
#include "provenance/version.h"

namespace factdedup::provenance {
namespace {

// Writes `j` as Dump would at nesting depth `depth` (2 spaces per level): the first line as
// is, every following line indented by 2 x depth more. JSON strings hold no raw newline.
void WriteNested(std::ostream& out, const nlohmann::json& j, int depth) {
  const std::string s = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string pad(static_cast<size_t>(2 * depth), ' ');
  size_t from = 0;
  for (size_t nl = s.find('\n'); nl != std::string::npos; nl = s.find('\n', from)) {
    out.write(s.data() + from, static_cast<std::streamsize>(nl + 1 - from));
    out << pad;
    from = nl + 1;
  }
  out.write(s.data() + from, static_cast<std::streamsize>(s.size() - from));
}

// `"key": [ elements ]` as a member of the top-level object; `element(i)` builds element i.
template <typename Element>
void WriteArrayMember(std::ostream& out, const char* key, size_t count, Element element) {
  out << "  \"" << key << "\": ";
  if (count == 0) {
    out << "[]";
    return;
  }
  out << "[\n";
  for (size_t i = 0; i < count; ++i) {
    out << "    ";
    WriteNested(out, element(i), 2);
    out << (i + 1 < count ? ",\n" : "\n");
  }
  out << "  ]";
}

}  // namespace

std::string FormatScanJson(const Vault& vault, const ScanResult& scan,
                           const std::vector<Conflict>& conflicts) {
  std::ostringstream out;
  WriteScanJson(out, vault, scan, conflicts);
  return std::move(out).str();
}

void WriteScanJson(std::ostream& out, const Vault& vault, const ScanResult& scan,
                   const std::vector<Conflict>& conflicts) {
  // Members in the order nlohmann::json (a std::map) sorts them, as internal::ScanJson's
  // document is written: clusters, conflicts, facts, stats, updates, version.
  std::vector<const Conflict*> contradictions, updates;
  for (const Conflict& c : conflicts) {
    (IsContradiction(c) ? contradictions : updates).push_back(&c);
  }
  const std::vector<dedup::Cluster>& clusters = scan.dedup.clusters;
  out << "{\n";
  WriteArrayMember(out, "clusters", clusters.size(),
                   [&](size_t i) { return internal::ClusterJson(vault, scan, clusters[i]); });
  out << ",\n";
  WriteArrayMember(out, "conflicts", contradictions.size(),
                   [&](size_t i) { return internal::ConflictJson(*contradictions[i]); });
  out << ",\n  \"facts\": " << scan.facts.size() << ",\n  \"stats\": ";
  WriteNested(out, internal::StatsJson(scan.dedup.stats), 1);
  out << ",\n";
  WriteArrayMember(out, "updates", updates.size(),
                   [&](size_t i) { return internal::ConflictJson(*updates[i]); });
  out << ",\n  \"version\": " << kJsonFormatVersion << "\n}\n";
}

}  // namespace factdedup::provenance
