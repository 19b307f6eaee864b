// gen_vault_tool: writes a deterministic, realistic vault of about N facts for the scale
// benchmarks, with the true paraphrase families alongside.
//
//   gen_vault_tool --facts 100000 --seed 1 --out /tmp/v100k
//
// writes /tmp/v100k/vault/ (Accounts/*.md and Meetings/*.md with frontmatter and the seeds'
// section layout) and /tmp/v100k/families.tsv: one row per fact bullet, "path<TAB>line<TAB>
// families" where families is a comma-separated list of claim ids (a merged bullet states two
// claims). Two bullets state the same claim iff they share a claim id.
//
// A claim is a template plus its slot values (people, organizations, amounts, dates, counts,
// places); its id is a hash of exactly those, so two families that happen to draw the same
// values are the same claim. Variants of a claim: another wording of the template (reworded
// and reordered), other formats of its numbers and dates ("$250M" / "250 million dollars",
// "March 6, 2026" / "2026-03-06"), truncation with "...", mojibake ("â€™"), Markdown decoration
// (bold, [[links]]), and merged claims ("A; B"). Each account has its own contacts and
// partners drawn from name pools that grow with the vault (as a real vault's do), while the
// topics (objects, places, templates) are shared by all. Unrelated claims drawn from the same
// templates differ in a value or a name: look-alike facts that must not be merged.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace {

// splitmix64: the same sequence on every platform (std distributions are not portable).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  bool Chance(double p) { return (Next() >> 11) * 0x1.0p-53 < p; }

 private:
  uint64_t s_;
};

const std::vector<std::string> kFirst = {
    "Lior",   "Jeff",  "Jonsi", "Karl",   "Maneesh", "Kushal",  "Scott",  "Satya",
    "Amy",    "Priya", "Chen",  "Fatima", "Olga",    "Diego",   "Ingrid", "Kenji",
    "Aisha",  "Marco", "Nadia", "Tomas",  "Yuki",    "Rahul",   "Elena",  "Kwame",
    "Sofia",  "Lars",  "Mei",   "Andrei", "Leila",   "Hiroshi", "Grace",  "Omar",
    "Hannah", "Pavel", "Zara",  "Bruno",  "Ines",    "Tariq",   "Freya",  "Mateo"};
const std::vector<std::string> kLast = {
    "Genzel",   "Denworth", "Stephenson", "Rautenstrauch", "Sah",     "Guthrie",   "Nadella",
    "Hood",     "Raman",    "Wang",       "Haddad",        "Petrova", "Alvarez",   "Lindqvist",
    "Tanaka",   "Mensah",   "Rossi",      "Kovac",         "Novak",   "Sato",      "Mehta",
    "Ivanova",  "Owusu",    "Moreno",     "Berg",          "Liang",   "Popescu",   "Karimi",
    "Yamamoto", "Okafor",   "Farouk",     "Schultz",       "Dvorak",  "Qureshi",   "Nilsen",
    "Costa",    "Ferreira", "Hakimi",     "Johansson",     "Herrera", "Brandt",    "Kowalski",
    "Nakamura", "Adeyemi",  "Sorensen",   "Varga",         "Laine",   "Morales",   "Fischer",
    "Ortega",   "Jensen",   "Mbeki",      "Castillo",      "Weber",   "Takahashi", "Rahman",
    "Lund",     "Aziz",     "Bianchi",    "Horvath"};
const std::vector<std::string> kOrgHead = {"Con", "Fab", "Nor", "Tal", "Ver", "Alt", "Bry", "Cor",
                                           "Del", "Eri", "Gal", "Hel", "Iso", "Jun", "Kel", "Lum",
                                           "Mer", "Nov", "Oph", "Pra", "Qua", "Ros", "Sil", "Tor"};
const std::vector<std::string> kOrgTail = {"toso", "rikam", "thwind", "spin",  "tex",  "ora",
                                           "dyne", "vanta", "quest",  "lytic", "mark", "sys"};
const std::vector<std::string> kObject = {
    "GPU",          "flash storage",   "data lake",     "inference",     "HDD",
    "object store", "networking",      "training",      "analytics",     "backup",
    "archive tier", "vector database", "CDN",           "Kubernetes",    "NVMe fabric",
    "telemetry",    "identity",        "billing",       "search",        "streaming",
    "ETL",          "feature store",   "model serving", "observability", "edge compute",
    "VDI",          "checkpointing",   "file services", "data catalog",  "LLM tuning"};
const std::vector<std::string> kPlace = {
    "Redmond", "Dublin",  "Amsterdam", "Singapore", "Sydney",  "Frankfurt", "Tokyo",  "Virginia",
    "Oregon",  "Texas",   "Paris",     "Mumbai",    "Toronto", "Seoul",     "London", "Stockholm",
    "Madrid",  "Chicago", "Phoenix",   "Osaka",     "Zurich",  "Warsaw",    "Milan",  "Jakarta"};
const std::vector<std::string> kMonth = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};

struct Claim {
  int tmpl;
  int p1, p2;  // people
  int o1, o2;  // organizations
  int obj, place;
  int amount;            // in millions of dollars
  int count;             // a count
  int year, month, day;  // day 0: month precision
  uint64_t Id() const {
    uint64_t h = 1469598103934665603ULL;
    for (int v : {tmpl, p1, p2, o1, o2, obj, place, amount, count, year, month, day}) {
      h = (h ^ static_cast<uint64_t>(v + 1)) * 1099511628211ULL;
    }
    return h;
  }
};

// Syllables that extend the name pools: a real vault's people and partners grow with its
// accounts, so a large vault must not reuse a few thousand names for every account. One
// vowel per consonant, and no two consonants the name-conflict rule hears alike (c/k/q,
// z/s, ph/f): names built from them differ in their consonants, so no two generated names
// are spelling variants of each other. An earlier pool ("ca" and "ka", "ma", "mi" and "mel")
// made hundreds of look-alike people ("Lars Dorcason" / "Hiroshi Dorkason") that no real
// vault has, and the name-conflict rule rightly reported every line naming them.
const std::vector<std::string> kSyllable = {"ba", "ko", "di", "fe", "gu", "ha", "ju", "lo",
                                            "mi", "ne", "pa", "ri", "su", "ti", "vo", "wa"};
int Syllables() { return static_cast<int>(kSyllable.size()); }

int NumLastNames() {
  return static_cast<int>(kLast.size()) + Syllables() * Syllables() * Syllables();
}
std::string LastName(int i) {
  if (i < static_cast<int>(kLast.size())) return kLast[i];
  i -= static_cast<int>(kLast.size());
  const int k = Syllables();
  std::string s = kSyllable[i % k] + kSyllable[(i / k) % k] + kSyllable[i / (k * k)] + "son";
  s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}
std::string Person(int p) {
  return kFirst[p % kFirst.size()] + " " + LastName((p / kFirst.size()) % NumLastNames());
}
int NumPeople() { return static_cast<int>(kFirst.size()) * NumLastNames(); }
int NumOrgs() {
  return static_cast<int>(kOrgHead.size() * kOrgTail.size()) * (1 + Syllables() * Syllables());
}
std::string Org(int o) {
  const int base = static_cast<int>(kOrgHead.size() * kOrgTail.size());
  std::string s = kOrgHead[o % kOrgHead.size()] + kOrgTail[(o / kOrgHead.size()) % kOrgTail.size()];
  if (o >= base) {
    const int v = o / base - 1, k = Syllables();
    s += kSyllable[v % k] + kSyllable[(v / k) % k];
  }
  return s;
}

// The account's own contacts and partners: a few per account, from the whole pool.
constexpr int kContacts = 10, kPartners = 5;
int Pick(int account, int k, int pool) {
  uint64_t z =
      (static_cast<uint64_t>(account) << 20 | static_cast<uint64_t>(k)) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 31)) * 0xbf58476d1ce4e5b9ULL;
  return static_cast<int>((z ^ (z >> 29)) % static_cast<uint64_t>(pool));
}

std::string WithCommas(int v) {
  const std::string digits = absl::StrCat(v);
  std::string s;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s.push_back(',');
    s.push_back(digits[i]);
  }
  return s;
}

// Formats for the variable parts; `f` picks one.
std::string Amount(int millions, int f) {
  const bool billions = millions >= 1000 && millions % 1000 == 0;
  const int v = billions ? millions / 1000 : millions;
  const char* big = billions ? "billion" : "million";
  const char* letter = billions ? "B" : "M";
  switch (f % 3) {
    case 0:
      return absl::StrCat("$", v, letter);
    case 1:
      return absl::StrCat("$", v, " ", big);
    default:
      return absl::StrCat(v, " ", big, " dollars");
  }
}
std::string Count(int v, int f) { return f % 2 ? WithCommas(v) : absl::StrCat(v); }
std::string Date(const Claim& c, int f) {
  if (c.day == 0) {
    if (f % 2) return absl::StrFormat("%04d-%02d", c.year, c.month);
    return absl::StrCat(kMonth[c.month - 1], " ", c.year);
  }
  switch (f % 3) {
    case 0:
      return absl::StrCat(kMonth[c.month - 1], " ", c.day, ", ", c.year);
    case 1:
      return absl::StrFormat("%04d-%02d-%02d", c.year, c.month, c.day);
    default:
      return absl::StrCat(c.day, " ", kMonth[c.month - 1], " ", c.year);
  }
}

constexpr int kTemplates = 10;

// Wording `w` (0..2) of a claim, with formats `f`; `deco` adds Markdown decoration.
std::string Render(const Claim& c, int w, int f, bool deco) {
  std::string P = Person(c.p1), P2 = Person(c.p2), O = Org(c.o1), O2 = Org(c.o2);
  if (deco) {
    P = "[[" + P + "]]";
    O = "**" + O + "**";
  }
  const std::string& X = kObject[c.obj];
  const std::string& L = kPlace[c.place];
  const std::string A = Amount(c.amount, f), N = Count(c.count, f), D = Date(c, f);
  switch (c.tmpl * 3 + w) {
    case 0:
      return absl::StrCat(P, " stated that ", O, " will purchase ", A, " of ", X, " capacity by ",
                          D, ".");
    case 1:
      return absl::StrCat(P, " said ", O, " plans to buy ", A, " of ", X, " capacity before ", D,
                          ".");
    case 2:
      return absl::StrCat("By ", D, ", ", O, " will purchase ", A, " in ", X,
                          " capacity, according to ", P, ".");
    case 3:
      return absl::StrCat(O, " plans to deploy ", N, " ", X, " nodes in ", L, " during ", D, ".");
    case 4:
      return absl::StrCat("In ", D, ", ", O, " intends to roll out ", N, " ", X, " nodes in ", L,
                          ".");
    case 5:
      return absl::StrCat(O, " will deploy ", N, " ", X, " nodes at its ", L, " site in ", D, ".");
    case 6:
      return absl::StrCat(P, " reported that ", O, "’s ", X, " pilot in ", L, " was delayed to ", D,
                          ".");
    case 7:
      return absl::StrCat(O, "’s ", L, " ", X, " pilot slipped to ", D, ", ", P, " reported.");
    case 8:
      return absl::StrCat(P, " noted the ", X, " pilot of ", O, " in ", L, " is now delayed until ",
                          D, ".");
    case 9:
      return absl::StrCat(O, " signed a ", A, " agreement with ", O2, " for ", X, " services.");
    case 10:
      return absl::StrCat(O, " and ", O2, " signed an agreement worth ", A, " covering ", X,
                          " services.");
    case 11:
      return absl::StrCat("A ", A, " ", X, " services contract was signed by ", O, " with ", O2,
                          ".");
    case 12:
      return absl::StrCat(P, " said ", O, " needs ", N, " petabytes of ", X, " storage in ", L,
                          " before ", D, ".");
    case 13:
      return absl::StrCat(O, " requires ", N, " PB of ", X, " storage for ", L, " ahead of ", D,
                          ", per ", P, ".");
    case 14:
      return absl::StrCat("According to ", P, ", ", O, " must have ", N, " petabytes of ", X,
                          " storage in ", L, " by ", D, ".");
    case 15:
      return absl::StrCat(O2, " will replace ", O, "’s ", X, " platform in ", L, " starting ", D,
                          ".");
    case 16:
      return absl::StrCat("Starting ", D, ", ", O, " will move its ", L, " ", X, " platform to ",
                          O2, ".");
    case 17:
      return absl::StrCat(O, "’s ", X, " platform in ", L, " is being replaced by ", O2, " from ",
                          D, ".");
    case 18:
      return absl::StrCat(P, " and ", P2, " agreed that ", O, " should evaluate ", X, " for the ",
                          L, " region.");
    case 19:
      return absl::StrCat(P2, " and ", P, " agreed ", O, " should assess ", X, " in the ", L,
                          " region.");
    case 20:
      return absl::StrCat("Agreement between ", P, " and ", P2, ": ", O, " evaluates ", X, " for ",
                          L, ".");
    case 21:
      return absl::StrCat(O, " expects revenue of ", A, " from ", X, " in ", D, ".");
    case 22:
      return absl::StrCat(O, " forecasts ", A, " in ", X, " revenue for ", D, ".");
    case 23:
      return absl::StrCat("Revenue from ", X, " at ", O, " is expected to reach ", A, " in ", D,
                          ".");
    case 24:
      return absl::StrCat(P, " leads the ", X, " program at ", O, " and reports to ", P2, ".");
    case 25:
      return absl::StrCat(P, " runs ", O, "’s ", X, " program, reporting to ", P2, ".");
    case 26:
      return absl::StrCat("The ", X, " program at ", O, " is led by ", P, ", who reports to ", P2,
                          ".");
    case 27:
      return absl::StrCat(O, " hired ", N, " engineers in ", L, " to build ", X, " tooling.");
    case 28:
      return absl::StrCat(O, " added ", N, " engineers in ", L, " for ", X, " tooling work.");
    default:
      return absl::StrCat("To build ", X, " tooling, ", O, " hired ", N, " engineers in ", L, ".");
  }
}

// "Microsoft’s" read as Windows-1252: "Microsoftâ€™s".
std::string Mojibake(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "\xE2\x80\x99") == 0) {
      out += "\xC3\xA2\xE2\x82\xAC\xE2\x84\xA2";
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string Truncate(const std::string& s, Rng& rng) {
  std::vector<std::string> words = absl::StrSplit(s, ' ');
  if (words.size() < 8) return s;
  const size_t keep = words.size() * (60 + rng.Below(25)) / 100;
  words.resize(keep);
  return absl::StrJoin(words, " ") + " ...";
}

struct Bullet {
  std::string text;
  std::vector<uint64_t> claims;
};

Claim RandomClaim(Rng& rng, int account) {
  Claim c;
  c.tmpl = rng.Below(kTemplates);
  // People are the account's contacts; other organizations its partners.
  c.p1 = Pick(account, rng.Below(kContacts), NumPeople());
  c.p2 = Pick(account, rng.Below(kContacts), NumPeople());
  if (c.p2 == c.p1) c.p2 = (c.p1 + 1) % NumPeople();
  // Most claims are about the page's account.
  const int account_org = account % NumOrgs();
  c.o1 = rng.Chance(0.7) ? account_org : Pick(account, 100 + rng.Below(kPartners), NumOrgs());
  c.o2 = Pick(account, 100 + rng.Below(kPartners), NumOrgs());
  if (c.o2 == c.o1) c.o2 = (c.o1 + 1) % NumOrgs();
  c.obj = rng.Below(static_cast<int>(kObject.size()));
  c.place = rng.Below(static_cast<int>(kPlace.size()));
  static const int kAmounts[] = {25,  40,  50,  75,   80,   120,  150,  200,   250,   300,
                                 450, 500, 750, 1000, 2000, 3000, 5000, 10000, 25000, 250000};
  c.amount = kAmounts[rng.Below(20)];
  c.count = 2 + rng.Below(5000);
  c.year = 2024 + rng.Below(4);
  c.month = 1 + rng.Below(12);
  c.day = rng.Chance(0.4) ? 1 + rng.Below(28) : 0;
  // Slots a template does not show are cleared so that the id depends only on what is said.
  enum : int { kP = 1, kP2 = 2, kO2 = 4, kL = 8, kAmount = 16, kCount = 32, kDate = 64 };
  static const int kUses[kTemplates] = {
      kP | kAmount | kDate, kCount | kL | kDate,      kP | kL | kDate,
      kAmount | kO2,        kP | kCount | kL | kDate, kO2 | kL | kDate,
      kP | kP2 | kL,        kAmount | kDate,          kP | kP2,
      kCount | kL};
  const int uses = kUses[c.tmpl];
  if (!(uses & kP)) c.p1 = 0;
  if (!(uses & kP2)) c.p2 = 0;
  if (!(uses & kO2)) c.o2 = 0;
  if (!(uses & kL)) c.place = 0;
  if (!(uses & kAmount)) c.amount = 0;
  if (!(uses & kCount)) c.count = 0;
  if (!(uses & kDate)) c.year = c.month = c.day = 0;
  return c;
}

struct Page {
  std::string path;
  std::string frontmatter;
  std::vector<std::string> sections;
  std::vector<std::vector<Bullet>> bullets;
};

}  // namespace

int main(int argc, char** argv) {
  long facts = 10000;
  uint64_t seed = 1;
  std::string out;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    bool ok = true;
    if (k == "--facts") {
      ok = absl::SimpleAtoi(v, &facts) && facts > 0;
    } else if (k == "--seed") {
      ok = absl::SimpleAtoi(v, &seed);
    } else if (k == "--out") {
      out = v;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "gen_vault_tool: bad argument " << k << " " << v << "\n";
      return 2;
    }
  }
  if (out.empty()) {
    std::cerr << "usage: gen_vault_tool --facts N [--seed S] --out DIR\n";
    return 2;
  }
  namespace fs = std::filesystem;
  fs::remove_all(fs::path(out) / "vault");
  fs::create_directories(fs::path(out) / "vault" / "Accounts");
  fs::create_directories(fs::path(out) / "vault" / "Meetings");
  std::ofstream families(fs::path(out) / "families.tsv", std::ios::binary);
  families << "path\tline\tfamilies\n";

  Rng rng(seed);
  long written = 0;
  int account = 0;
  const std::vector<std::string> kAccountSections = {"Key Facts", "Topics", "Key Decisions",
                                                     "Recent Context"};
  while (written < facts) {
    // One account: a page of ~60-140 bullets and 3-6 meeting notes of ~8-20 bullets each.
    const int org = account % NumOrgs();
    const std::string name = absl::StrCat(Org(org), " ", account / NumOrgs() + 1);
    std::vector<Page> pages;
    Page acct;
    acct.path = absl::StrCat("Accounts/", name, ".md");
    acct.frontmatter = absl::StrCat("type: account\nname: ", name, "\ncreated: 2025-0",
                                    1 + rng.Below(9), "-1", rng.Below(10), "\nlast_contact: 2026-0",
                                    1 + rng.Below(9), "-2", rng.Below(9), "\ntags:\n  - account\n");
    acct.sections = kAccountSections;
    acct.bullets.resize(acct.sections.size());
    pages.push_back(std::move(acct));
    const int meetings = 3 + rng.Below(4);
    for (int m = 0; m < meetings; ++m) {
      Page mt;
      const int month = 1 + rng.Below(12), day = 1 + rng.Below(28);
      const std::string date = absl::StrFormat("2025-%02d-%02d", month, day);
      mt.path = absl::StrCat("Meetings/", date, " - ", name, " sync ", m + 1, ".md");
      mt.frontmatter = absl::StrCat("type: meeting\ndate: ", date, "\naccount: \"[[", name,
                                    "]]\"\nsource: transcript\n");
      mt.sections = {"Key Information", "Decisions"};
      mt.bullets.resize(mt.sections.size());
      pages.push_back(std::move(mt));
    }
    const long budget = std::min<long>(facts - written, 100 + rng.Below(120));
    long placed = 0;
    Bullet last{};
    while (placed < budget) {
      const Claim c = RandomClaim(rng, account);
      // Family size: half are single facts, the rest 2-5 variants.
      const int variants = rng.Chance(0.5) ? 1 : 2 + rng.Below(4);
      for (int v = 0; v < variants && placed < budget; ++v) {
        Bullet b;
        b.claims = {c.Id()};
        const int wording = v == 0 ? 0 : rng.Below(3);
        b.text = Render(c, wording, v == 0 ? 0 : rng.Below(6), v > 0 && rng.Chance(0.15));
        if (v > 0 && rng.Chance(0.15)) b.text = Truncate(b.text, rng);
        if (v > 0 && rng.Chance(0.1)) b.text = Mojibake(b.text);
        if (v > 0 && rng.Chance(0.05) && !last.text.empty() && last.claims.size() == 1 &&
            last.claims[0] != b.claims[0] && b.text.back() == '.' && last.text.back() == '.') {
          b.text = b.text.substr(0, b.text.size() - 1) + "; " + last.text;
          b.claims.push_back(last.claims[0]);
        }
        // The first variant goes to the account page; others anywhere in the account.
        Page& page = pages[v == 0 || rng.Chance(0.6) ? 0 : 1 + rng.Below(meetings)];
        page.bullets[rng.Below(static_cast<int>(page.sections.size()))].push_back(b);
        if (b.claims.size() == 1) last = b;
        ++placed;
      }
    }
    for (const Page& page : pages) {
      std::string text = "---\n" + page.frontmatter + "---\n";
      int line = static_cast<int>(std::count(text.begin(), text.end(), '\n'));
      auto add = [&](const std::string& s) {
        text += s;
        text += '\n';
        ++line;
      };
      add("");
      add(absl::StrCat("# ", page.path.substr(page.path.find('/') + 1,
                                              page.path.size() - page.path.find('/') - 4)));
      add("");
      add("Generated note for the factdedup scale benchmark.");
      for (size_t s = 0; s < page.sections.size(); ++s) {
        add("");
        add("## " + page.sections[s]);
        add("");
        for (const Bullet& b : page.bullets[s]) {
          add("- " + b.text);
          std::vector<std::string> ids;
          for (uint64_t id : b.claims) ids.push_back(absl::StrFormat("%016x", id));
          families << page.path << '\t' << line << '\t' << absl::StrJoin(ids, ",") << '\n';
          ++written;
        }
      }
      add("");
      add("## Related");
      add("");
      add(absl::StrCat("- [[", name, "]]"));
      std::ofstream f(fs::path(out) / "vault" / page.path, std::ios::binary);
      f << text;
      if (!f) {
        std::cerr << "gen_vault_tool: cannot write " << page.path << "\n";
        return 2;
      }
    }
    ++account;
  }
  std::cout << absl::StrFormat("%d facts in %d accounts -> %s\n", written, account, out);
  return 0;
}
