#include "provenance/scan_json.h"

#include "provenance/internal/json.h"

namespace factdedup::provenance {

std::string FormatScanJson(const Vault& vault, const ScanResult& scan,
                           const std::vector<Conflict>& conflicts) {
  return internal::Dump(internal::ScanJson(vault, scan, conflicts));
}

}  // namespace factdedup::provenance
