// ChangeDuplicateFindings (duplicates computed around the facts a change added) against the
// full computation (ScanVault of both versions, then DuplicateFindings), on copies of the
// sample vaults with one change each: a paraphrase added, an exact copy added, a conflicting
// value added, a fact restated with one digit changed, two contradicting facts added, a fact
// removed, a note added, a note deleted. Conflict findings of the change, focused (FindConflicts
// with AddedLocations as the focus, over the full scan and over the scan around the added facts),
// must equal the unfocused ones filtered by the same rule. Findings must be equal: rule, cluster,
// path, line, message and related facts.
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "provenance/check.h"
#include "provenance/conflicts.h"
#include "provenance/index.h"
#include "provenance/io.h"
#include "tests/provenance/test_util.h"

namespace factdedup::provenance {
namespace {

namespace fs = std::filesystem;
using ::factdedup::testing::ReadFileOrDie;
using ::factdedup::testing::SourcePath;

Vault LoadOrDie(const std::string& root) {
  absl::StatusOr<Vault> v = LoadVault(DefaultFileSystem(), root, Config{});
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : Vault{};
}

std::vector<std::string> Show(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) {
    std::vector<std::string> related;
    for (const FindingLocation& r : f.related) {
      related.push_back(absl::StrCat(r.path, ":", r.line, " ", r.text));
    }
    out.push_back(absl::StrCat(f.rule, " ", f.cluster_id, " ", f.where.path, ":", f.where.line, " ",
                               f.message, " | ", absl::StrJoin(related, " | ")));
  }
  return out;
}

std::vector<std::string> FullFindings(const Vault& now, const Vault& base) {
  absl::StatusOr<ScanResult> a = ScanVault(now, dedup::DedupOptions{});
  absl::StatusOr<ScanResult> b = ScanVault(base, dedup::DedupOptions{});
  EXPECT_TRUE(a.ok() && b.ok());
  return Show(DuplicateFindings(now, *a, &base, &*b, {}));
}

std::vector<std::string> ChangeFindings(const Vault& now, const Vault& base,
                                        ScanResult* around = nullptr) {
  absl::StatusOr<std::vector<Finding>> f =
      ChangeDuplicateFindings(now, base, dedup::DedupOptions{}, {}, {}, around);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? Show(*f) : std::vector<std::string>{};
}

// Conflict findings of the change: conflicts over `scan`, focused on the added locations or
// not, filtered by the rule.
// With `claims` (summaries an earlier run saved), the focused pass reads them. Without
// `fill_next` the pass keeps no summaries of its own (as `check` runs it).
std::vector<std::string> ConflictChangeFindings(const Vault& now, const Vault& base,
                                                const ScanResult& scan, bool focused,
                                                const ClaimCache* claims = nullptr,
                                                bool fill_next = true) {
  const LineSet added = AddedLocations(now, base);
  ClaimCache next;
  absl::StatusOr<std::vector<Conflict>> c =
      FindConflicts(now, scan, {}, focused ? &added : nullptr, claims, fill_next ? &next : nullptr);
  if (fill_next) {
    // The summaries of this run: one per distinct (text, note date) of the compared facts,
    // so at least one per distinct text and at most one per fact.
    std::set<std::string> texts;
    for (const FactRef& r : scan.facts)
      texts.insert(std::string(DisplayOf(now.notes[r.note], now.notes[r.note].facts[r.fact])));
    EXPECT_LE(next.size(), scan.facts.size());
    EXPECT_GE(next.size(), texts.size());
  }
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? Show(ConflictFindings(*c, &added, {})) : std::vector<std::string>{};
}

// Line-level edits of a vault copy.
class VaultCopy {
 public:
  VaultCopy(const std::string& source, const std::string& name) {
    root_ = (fs::temp_directory_path() / absl::StrCat("factdedup_change_", name, "_", ::getpid()))
                .string();
    fs::remove_all(root_);
    fs::copy(source, root_, fs::copy_options::recursive);
  }
  ~VaultCopy() { fs::remove_all(root_); }
  const std::string& root() const { return root_; }

  std::vector<std::string> Lines(const std::string& rel) const {
    return absl::StrSplit(ReadFileOrDie(root_ + "/" + rel), '\n');
  }
  void Write(const std::string& rel, const std::vector<std::string>& lines) const {
    std::ofstream(root_ + "/" + rel, std::ios::binary) << absl::StrJoin(lines, "\n");
  }
  // Inserts `text` as a line after 1-based line `line`.
  void InsertAfter(const std::string& rel, int line, const std::string& text) const {
    std::vector<std::string> l = Lines(rel);
    l.insert(l.begin() + line, text);
    Write(rel, l);
  }
  void Remove(const std::string& rel, int line) const {
    std::vector<std::string> l = Lines(rel);
    l.erase(l.begin() + (line - 1));
    Write(rel, l);
  }

 private:
  std::string root_;
};

// The facts of a full scan's clusters: first member of the first cluster, and so on.
struct Picked {
  std::string path;
  int line = 0;
  std::string display;
};
struct Picks {
  Picked clustered;        // a member of a cluster
  Picked other_clustered;  // a member of another cluster, in another note if there is one
  Picked dated;            // a compared fact with a digit
};

Picks Pick(const Vault& v) {
  absl::StatusOr<ScanResult> s = ScanVault(v, dedup::DedupOptions{});
  EXPECT_TRUE(s.ok() && s->dedup.clusters.size() >= 2);
  auto pick = [&](int item) {
    return Picked{s->note(v, item).path, s->fact(v, item).line, std::string(s->display(v, item))};
  };
  Picks p;
  p.clustered = pick(s->dedup.clusters[0].members[1].item);
  p.other_clustered = pick(s->dedup.clusters.back().canonical);
  for (const dedup::Cluster& c : s->dedup.clusters) {
    if (s->note(v, c.canonical).path != p.clustered.path) p.other_clustered = pick(c.canonical);
  }
  for (size_t i = 0; i < s->facts.size(); ++i) {
    if (s->display(v, static_cast<int>(i)).find_first_of("0123456789") != std::string::npos) {
      p.dated = pick(static_cast<int>(i));
    }
  }
  return p;
}

struct Change {
  std::string name;
  bool adds_findings;  // the full check must find something (the case is not vacuous)
  std::function<void(const VaultCopy&, const Picks&)> apply;
  bool adds_conflicts = false;  // the full check must find a conflict
};

std::vector<Change> Changes() {
  return {
      {"paraphrase added", true,
       [](const VaultCopy& v, const Picks& p) {
         v.InsertAfter(p.clustered.path, p.clustered.line,
                       absl::StrCat("- As noted before, ", p.clustered.display));
       }},
      {"exact copy added in another note (suppressed: one base cluster)", false,
       [](const VaultCopy& v, const Picks& p) {
         v.InsertAfter(p.other_clustered.path, p.other_clustered.line,
                       absl::StrCat("- ", p.clustered.display));
       }},
      {"conflicting value added", false,
       [](const VaultCopy& v, const Picks& p) {
         std::string t = p.dated.display;
         for (char& c : t) {
           if (c >= '0' && c <= '8') c = static_cast<char>(c + 1);
         }
         v.InsertAfter(p.dated.path, p.dated.line, absl::StrCat("- ", t));
       }},
      {"the same statement with its last digit changed (a conflict with an existing fact)", false,
       [](const VaultCopy& v, const Picks& p) {
         std::string t = p.dated.display;
         const size_t d = t.find_last_of("0123456789");
         if (d == std::string::npos) return;
         t[d] = t[d] == '9' ? '8' : static_cast<char>(t[d] + 1);
         v.InsertAfter(p.dated.path, p.dated.line, absl::StrCat("- ", t));
       }},
      {"two contradicting dates added in two notes", false,
       [](const VaultCopy& v, const Picks& p) {
         v.InsertAfter(p.clustered.path, p.clustered.line,
                       "- Northwind go-live for the Tailspin migration is planned for March 2027.");
         v.InsertAfter(p.other_clustered.path, p.other_clustered.line,
                       "- Northwind go-live for the Tailspin migration is planned for September "
                       "2028.");
       },
       /*adds_conflicts=*/true},
      {"fact removed", false,
       [](const VaultCopy& v, const Picks& p) { v.Remove(p.clustered.path, p.clustered.line); }},
      {"note added", true,
       [](const VaultCopy& v, const Picks& p) {
         std::vector<std::string> l = v.Lines(p.clustered.path);
         l.insert(l.begin() + p.clustered.line,
                  absl::StrCat("- According to the team, ", p.other_clustered.display));
         const std::string copy =
             absl::StrCat(p.clustered.path.substr(0, p.clustered.path.size() - 3), " (copy).md");
         v.Write(copy, l);
       }},
      {"note deleted", false,
       [](const VaultCopy& v, const Picks& p) { fs::remove(v.root() + "/" + p.clustered.path); }},
  };
}

// An index holding `claims`, saved and loaded again: its claims are read in place.
FactIndex Reloaded(const ClaimCache& claims) {
  FactIndex saved{dedup::DedupOptions{}};
  saved.set_claims(claims);
  FactIndex loaded{dedup::DedupOptions{}};
  EXPECT_TRUE(loaded.Decode(saved.Encode()).ok());
  return loaded;
}

void ExpectEqualForEveryChange(const std::string& source, const std::string& tag) {
  const Vault base = LoadOrDie(source);
  const Picks picks = Pick(base);
  ClaimCache base_claims;
  {
    absl::StatusOr<ScanResult> s = ScanVault(base, dedup::DedupOptions{});
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(FindConflicts(base, *s, {}, nullptr, nullptr, &base_claims).ok());
    ASSERT_FALSE(base_claims.empty());
  }
  bool blank_hides = false, blank_in_place_hides = false;
  for (const Change& change : Changes()) {
    VaultCopy copy(source, tag);
    change.apply(copy, picks);
    const Vault now = LoadOrDie(copy.root());
    const std::vector<std::string> full = FullFindings(now, base);
    if (change.adds_findings) {
      EXPECT_FALSE(full.empty()) << tag << ": " << change.name;
    }
    ScanResult around;
    EXPECT_EQ(ChangeFindings(now, base, &around), full) << tag << ": " << change.name;
    // The base loaded without the notes `now` has byte for byte (what `check` loads): the
    // same added texts, locations and findings.
    absl::StatusOr<Vault> partial =
        LoadVault(DefaultFileSystem(), source, Config{}, {.reuse = &now, .leave_out_reused = true});
    ASSERT_TRUE(partial.ok());
    EXPECT_FALSE(partial->left_out.empty()) << tag << ": " << change.name;
    EXPECT_EQ(partial->left_out.size() + partial->notes.size(), base.notes.size());
    EXPECT_EQ(AddedFactTexts(now, *partial), AddedFactTexts(now, base)) << change.name;
    EXPECT_EQ(AddedLocations(now, *partial), AddedLocations(now, base)) << change.name;
    EXPECT_EQ(ChangeFindings(now, *partial), full) << tag << ": " << change.name;
    // Read with other fact sections, the notes it left out are no longer unchanged.
    Vault other_base = base, other_partial = *partial;
    for (Vault* v : {&other_base, &other_partial}) v->config.vault.skip_sections = {"Key Facts"};
    EXPECT_EQ(AddedFactTexts(now, other_partial), AddedFactTexts(now, other_base)) << change.name;
    EXPECT_EQ(AddedLocations(now, other_partial), AddedLocations(now, other_base)) << change.name;
    EXPECT_EQ(ChangeFindings(now, other_partial), ChangeFindings(now, other_base)) << change.name;
    // Conflicts: focused on the added locations, over the full scan and over the scan around
    // the added facts (what `check` uses), equal to all conflicts filtered by the rule.
    absl::StatusOr<ScanResult> scan = ScanVault(now, dedup::DedupOptions{});
    ASSERT_TRUE(scan.ok());
    const std::vector<std::string> all = ConflictChangeFindings(now, base, *scan, false);
    if (change.adds_conflicts) {
      EXPECT_FALSE(all.empty()) << tag << ": " << change.name;
    }
    EXPECT_EQ(ConflictChangeFindings(now, base, *scan, true), all) << tag << ": " << change.name;
    EXPECT_EQ(ConflictChangeFindings(now, base, around, true), all) << tag << ": " << change.name;
    // With the claim summaries of a run on the base (as the index keeps them): the same.
    EXPECT_EQ(ConflictChangeFindings(now, base, around, true, &base_claims), all)
        << tag << ": " << change.name;
    // Loaded from a saved index, read in place (what `check` does: no summaries kept): the
    // same.
    const FactIndex loaded = Reloaded(base_claims);
    ASSERT_NE(loaded.claims().section(), nullptr);
    EXPECT_EQ(ConflictChangeFindings(now, base, around, true, &loaded.claims(), false), all)
        << tag << ": " << change.name;
    // They are read: summaries that state nothing hide the partners (facts the change did
    // not add) that the change's facts disagree with, in some change at least; in place too.
    if (!all.empty()) {
      ClaimCache blank;
      base_claims.ForEach([&](uint64_t key, const ClaimCache::Summary&) {
        blank.emplace(key, std::make_shared<ClaimSummary>());
      });
      blank_hides |= ConflictChangeFindings(now, base, around, true, &blank) != all;
      const FactIndex blank_loaded = Reloaded(blank);
      blank_in_place_hides |=
          ConflictChangeFindings(now, base, around, true, &blank_loaded.claims(), false) != all;
    }
  }
  EXPECT_TRUE(blank_hides) << tag << ": the saved summaries are never read";
  EXPECT_TRUE(blank_in_place_hides) << tag << ": the summaries read in place are never read";
}

TEST(ChangeDuplicateFindings, EqualsTheFullCheckOnTheSampleVault) {
  ExpectEqualForEveryChange(SourcePath("data/vault"), "sample");
}

TEST(ChangeDuplicateFindings, EqualsTheFullCheckOnTheCheckVault) {
  ExpectEqualForEveryChange(SourcePath("tests/data/check_vault"), "check");
}

TEST(ChangeDuplicateFindings, NoChangeNoFindingsAndNoBaseWork) {
  const Vault base = LoadOrDie(SourcePath("data/vault"));
  EXPECT_TRUE(AddedFactTexts(base, base).empty());
  EXPECT_TRUE(ChangeFindings(base, base).empty());
  EXPECT_TRUE(FullFindings(base, base).empty());
}

}  // namespace
}  // namespace factdedup::provenance
