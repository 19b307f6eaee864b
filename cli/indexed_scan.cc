#include "cli/indexed_scan.h"

#include <chrono>
#include <iostream>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "cli/commands.h"

namespace factdedup::cli {

IndexedScanner::IndexedScanner(std::string root, const dedup::DedupOptions& options, bool enabled,
                               std::string* problem_out)
    : root_(std::move(root)), enabled_(enabled), previous_(options), next_(options) {
  if (!enabled_) return;
  std::string problem;
  previous_ = provenance::LoadIndex(provenance::DefaultFileSystem(), root_, options, &problem);
  if (problem_out != nullptr) {
    *problem_out = std::move(problem);
  } else if (!problem.empty()) {
    std::cerr << "factdedup: " << problem << "\n";
  }
}

absl::StatusOr<VaultAndIndex> LoadVaultAndIndex(
    const std::string& root, Progress* progress, int threads, bool use_index,
    const std::function<absl::StatusOr<dedup::DedupOptions>(const provenance::Config&)>&
        options_of) {
  std::unique_ptr<IndexedScanner> scanner;
  std::string problem;
  double index_seconds = 0;
  auto load = [&](const dedup::DedupOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    scanner = std::make_unique<IndexedScanner>(root, options, use_index, &problem);
    index_seconds = Progress::Since(t0);
  };
  std::thread loader;
  if (use_index && threads != 1) {
    absl::StatusOr<provenance::Config> config =
        provenance::LoadConfig(provenance::DefaultFileSystem(), root);
    if (config.ok()) {
      config->dedup.threads = threads;
      absl::StatusOr<dedup::DedupOptions> options = options_of(*config);
      if (options.ok()) {
        try {
          loader = std::thread(load, *options);
        } catch (const std::system_error&) {  // no thread: loaded after the vault
        }
      }
    }
  }
  absl::StatusOr<provenance::Vault> vault =
      LoadVaultOrReport(root, false, progress, nullptr, threads);
  if (loader.joinable()) loader.join();
  if (!vault.ok()) return vault.status();
  absl::StatusOr<dedup::DedupOptions> options = options_of(vault->config);
  if (!options.ok()) return options.status();
  if (scanner == nullptr) load(*options);
  if (!problem.empty()) std::cerr << "factdedup: " << problem << "\n";
  return VaultAndIndex{*std::move(vault), std::move(scanner), index_seconds};
}

absl::StatusOr<VaultAndIndex> LoadVaultAndIndex(const std::string& root, Progress* progress,
                                                int threads, bool use_index) {
  return LoadVaultAndIndex(
      root, progress, threads, use_index,
      [](const provenance::Config& c) -> absl::StatusOr<dedup::DedupOptions> { return c.dedup; });
}

SaveBeside::SaveBeside(IndexedScanner& scanner, int threads) {
  auto save = [this, &scanner] {
    const auto start = std::chrono::steady_clock::now();
    scanner.Save();
    seconds_ = Progress::Since(start);
  };
  if (threads != 1) {
    try {
      thread_ = std::jthread(save);
      return;
    } catch (const std::system_error&) {  // no thread: now
    }
  }
  save();
}

void SaveBeside::Done(Progress* progress, const std::string& detail) {
  if (thread_.joinable()) thread_.join();
  progress->StageDone("index save", seconds_, detail);
}

absl::StatusOr<ScannedVault> ScanAndFindConflicts(const provenance::Vault& vault,
                                                  dedup::DedupOptions options,
                                                  IndexedScanner& scanner, Progress* progress) {
  options.progress = DedupProgress(progress);
  ScannedVault out;
  absl::StatusOr<provenance::ScanResult> scan = scanner.Scan(vault, options);
  if (!scan.ok()) return scan.status();
  out.scan = *std::move(scan);
  RecordScanStages(out.scan.dedup.stats, progress);
  const auto t0 = std::chrono::steady_clock::now();
  options.progress = nullptr;
  absl::StatusOr<std::vector<provenance::Conflict>> conflicts = provenance::FindConflicts(
      vault, out.scan, scanner.ConflictOptionsFor(vault, out.scan, options), nullptr,
      scanner.previous_claims(), scanner.next_claims(), nullptr, scanner.next_line_summaries());
  if (!conflicts.ok()) return conflicts.status();
  out.conflicts = *std::move(conflicts);
  scanner.DropNormalizations();
  progress->StageDone("conflicts", Progress::Since(t0));
  return out;
}

absl::StatusOr<provenance::ScanResult> IndexedScanner::Scan(const provenance::Vault& vault,
                                                            const dedup::DedupOptions& options) {
  // Disabled, the index is still built in memory (never saved): the conflict pass reads each
  // fact's normalization from it instead of normalizing the fact a second time.
  DropSave();
  next_ = provenance::FactIndex(options);
  scanned_ = true;
  if (!enabled_) return provenance::ScanVaultIndexed(vault, options, {}, &next_, &stats_);
  // The corpus state is captured only for an index that will be written with it: Save keeps
  // an index that has a state unless this run changes 1% or more of its facts (new facts
  // lie in notes whose bytes it does not know). Capturing costs time and, at 100k facts,
  // about 25 MB of peak memory.
  bool keep_corpus = writable_;
  if (writable_ && !previous_.corpus().empty()) {
    size_t facts = 0, in_changed_notes = 0;
    for (const provenance::Note& note : vault.notes) {
      facts += note.facts.size();
      if (previous_.FindByContent(provenance::NoteContentHash(note.content)) == nullptr) {
        in_changed_notes += note.facts.size();
      }
    }
    keep_corpus = in_changed_notes * 100 >= facts;
  }
  absl::StatusOr<provenance::ScanResult> result =
      provenance::ScanVaultIndexed(vault, options, {&previous_}, &next_, &stats_, keep_corpus);
  if (result.ok()) BeginSave(options.threads);
  return result;
}

size_t IndexedScanner::FreshFacts(size_t* facts) const {
  size_t fresh = 0;
  *facts = 0;
  for (const provenance::IndexedNote& note : next_.notes()) {
    *facts += note.facts.size();
    if (previous_.FindByContent(note.content_hash) != nullptr) continue;
    // A changed note: its facts whose text the saved note at its path does not have.
    const provenance::IndexedNote* saved = previous_.FindByPath(note.path);
    absl::flat_hash_set<uint64_t> known;
    if (saved != nullptr) {
      for (const provenance::IndexedFact& f : saved->facts) known.insert(f.text_hash);
    }
    for (const provenance::IndexedFact& f : note.facts) fresh += !known.contains(f.text_hash);
  }
  return fresh;
}

void IndexedScanner::DropNormalizations() {
  if (beginner_.joinable()) beginner_.join();
  // Save() reads the notes only when it writes the whole index (no save begun).
  if (corpus_on_disk_ || !MaySave()) {
    next_.Clear();
    dropped_ = true;
  }
}

void IndexedScanner::DropSave() {
  if (beginner_.joinable()) beginner_.join();
  writer_.reset();  // its temp file goes with it
  corpus_on_disk_ = false;
}

void IndexedScanner::BeginSave(int threads) {
  if (next_.corpus().empty() || !MaySave()) return;
  if (!previous_.notes().empty()) {  // else Save writes whatever the claims are
    size_t facts = 0;
    if (FreshFacts(&facts) * 100 < facts) return;  // the claims decide, in Save
  }
  // From here on the corpus state is the file's, not memory's (MaySave reads this first).
  corpus_on_disk_ = true;
  auto begin = [this] {
    absl::StatusOr<std::unique_ptr<provenance::IndexWriter>> w =
        provenance::IndexWriter::Begin(provenance::DefaultFileSystem(), root_, next_);
    // Failed (a read-only vault): nothing is saved, as SaveIndex's failure is ignored.
    if (w.ok()) writer_ = *std::move(w);
    next_.set_corpus(dedup::CorpusState());
  };
  if (threads != 1) {
    try {
      beginner_ = std::jthread(begin);
      return;
    } catch (const std::system_error&) {  // no thread: here
    }
  }
  begin();
}

absl::StatusOr<provenance::ScanResult> IndexedScanner::ScanOther(
    const provenance::Vault& vault, const dedup::DedupOptions& options) {
  if (!enabled_) return provenance::ScanVault(vault, options);
  return provenance::ScanVaultIndexed(vault, options, {&next_, &previous_}, nullptr, &stats_);
}

absl::StatusOr<std::vector<provenance::Finding>> IndexedScanner::ChangeDuplicates(
    const provenance::Vault& vault, const provenance::Vault& base,
    const dedup::DedupOptions& options, const std::vector<std::string>& allowed_ids,
    provenance::ScanResult* now) {
  DropSave();
  next_ = provenance::FactIndex(options);
  scanned_ = true;
  return provenance::ChangeDuplicateFindings(vault, base, options, {&previous_}, allowed_ids, now,
                                             &next_, &stats_);
}

provenance::ConflictOptions IndexedScanner::ConflictOptionsFor(
    const provenance::Vault& vault, const provenance::ScanResult& scan,
    const dedup::DedupOptions& options) const {
  provenance::ConflictOptions out = LineConflictOptions(options);
  if (scanned_) out.normalized = provenance::NormalizedDisplays(next_, vault, scan, options);
  return out;
}

provenance::ConflictOptions IndexedScanner::LineConflictOptions(
    const dedup::DedupOptions& options) const {
  provenance::ConflictOptions out;
  out.threads = options.threads;
  if (enabled_) out.line_summaries = &previous_.line_summaries();
  return out;
}

bool IndexedScanner::MaySave() const {
  if (!enabled_ || !scanned_ || !writable_) return false;
  // A run around a change (check) builds no corpus state; an index that has one is worth more
  // than the facts such a run would add: the next check starts the engine from the state
  // (see dedup::CorpusState) instead of sketching every fact again, and the facts added since
  // are few and found by content anyway. A full scan writes a new index with a new state.
  // corpus_on_disk_ first: once set, BeginSave's thread may be replacing next_'s state.
  return previous_.corpus().empty() || corpus_on_disk_ || !next_.corpus().empty();
}

void IndexedScanner::Save() {
  if (!MaySave()) return;
  if (beginner_.joinable()) beginner_.join();
  if (corpus_on_disk_) {  // begun by BeginSave: the claims are all it lacks
    if (writer_ != nullptr) {
      (void)writer_->Finish(next_claims_.empty() ? previous_.claims() : next_claims_,
                            next_lines_.empty() ? previous_.line_summaries() : next_lines_);
    }
    writer_.reset();
    return;
  }
  // The whole index is written from next_'s notes: never from notes DropNormalizations freed
  // (an index without them would be written as if the vault were empty).
  if (dropped_) return;
  // An index to which this run adds new facts and claim summaries numbering under 1% of its
  // facts is kept as it is: rewriting it (tens of MB at 100k facts) costs more than
  // normalizing those few facts again next time, which is all a stale entry costs (entries
  // are keyed by content).
  size_t facts = 0, fresh_claims = 0;
  const size_t fresh_facts = FreshFacts(&facts);
  next_claims_.ForEach([&](uint64_t key, const provenance::ClaimCache::Summary&) {
    fresh_claims += !previous_.claims().contains(key);
  });
  if (!previous_.notes().empty() && (fresh_facts + fresh_claims) * 100 < facts) return;
  next_.set_claims(next_claims_.empty() ? previous_.claims() : std::move(next_claims_));
  next_.set_line_summaries(next_lines_.empty() ? previous_.line_summaries()
                                               : std::move(next_lines_));
  // A read-only vault works without an index: the error is deliberately dropped.
  (void)provenance::SaveIndex(provenance::DefaultFileSystem(), root_, next_);
}

}  // namespace factdedup::cli
