#include "cli/commands.h"

#include <iostream>

#include "provenance/config.h"
#include "provenance/io.h"

namespace factdedup::cli {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command>* commands = new std::vector<Command>{
      FactsCommand(), LinksCommand(),   ScanCommand(),  EvalCommand(),
      CleanCommand(), RestoreCommand(), CheckCommand(), ReportCommand(),
  };
  return *commands;
}

int Fail(const absl::Status& status) {
  std::cerr << "factdedup: " << status.message() << "\n";
  return kExitError;
}

absl::StatusOr<provenance::Vault> LoadVaultOrReport(const std::string& root, bool quiet) {
  provenance::FileSystem* fs = provenance::DefaultFileSystem();
  absl::StatusOr<provenance::FileInfo> info = fs->Stat(root, /*follow=*/true);
  if (!info.ok() || info->type != provenance::FileInfo::Type::kDirectory) {
    return absl::NotFoundError(root + ": vault folder not found");
  }
  absl::StatusOr<provenance::Config> config = provenance::LoadConfig(fs, root);
  if (!config.ok()) return config.status();
  absl::StatusOr<provenance::Vault> vault = provenance::LoadVault(fs, root, *config);
  if (!vault.ok()) return vault.status();
  if (!quiet) {
    for (const provenance::Diagnostic& d : vault->diagnostics) {
      std::cerr << provenance::FormatDiagnostic(d) << "\n";
    }
  }
  return vault;
}

}  // namespace factdedup::cli
