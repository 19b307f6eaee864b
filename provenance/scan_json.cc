#include "provenance/scan_json.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "provenance/check.h"
#include "provenance/note.h"
#include "provenance/report.h"

#include "provenance/internal/json.h"
#include "provenance/version.h"

namespace factdedup::provenance {
namespace {

// Elements of a big array formatted together (WriteArrayParallel).
constexpr size_t kBlock = 256;

// `j` as Dump writes it at nesting depth `depth` (2 spaces per level): the first line as is,
// every following line indented by 2 x depth more (JSON strings hold no raw newline).
std::string NestedText(const nlohmann::json& j, int depth) {
  const std::string s = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  const std::string pad(static_cast<size_t>(2 * depth), ' ');
  std::string out;
  out.reserve(s.size());
  size_t from = 0;
  for (size_t nl = s.find('\n'); nl != std::string::npos; nl = s.find('\n', from)) {
    out.append(s, from, nl + 1 - from);
    out += pad;
    from = nl + 1;
  }
  out.append(s, from, s.size() - from);
  return out;
}

// Bytes for `out`, gathered and written 64 KiB at a time: a document is written in millions of
// small pieces, and a stream write each costs more than the piece.
// Without a stream (nullptr), the bytes are only gathered, for Take().
class Sink {
 public:
  explicit Sink(std::ostream* out) : out_(out) {}
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  ~Sink() { Flush(); }

  Sink& operator<<(absl::string_view s) {
    if (!s.empty()) std::memcpy(Extend(s.size()), s.data(), s.size());
    Done();
    return *this;
  }
  Sink& operator<<(char c) {
    *Extend(1) = c;
    Done();
    return *this;
  }
  // Room for `n` more bytes at the end, returned for the caller to fill at once (cheaper than
  // n bytes appended in pieces); then Done().
  char* Extend(size_t n) {
    if (size_ + n > buf_.size()) buf_.resize(std::max(2 * buf_.size(), size_ + n + kChunk));
    char* p = buf_.data() + size_;
    size_ += n;
    return p;
  }
  void Done() {
    if (size_ >= kChunk && out_ != nullptr) Flush();
  }
  void Flush() {
    if (out_ == nullptr) return;
    out_->write(buf_.data(), static_cast<std::streamsize>(size_));
    size_ = 0;
  }
  std::string Take() {
    buf_.resize(size_);
    size_ = 0;
    return std::move(buf_);
  }

 private:
  static constexpr size_t kChunk = 64 * 1024;
  std::ostream* out_;
  // Bytes [0, size_) are the output; the rest is room (zero-filled only when it grows, not
  // at every append).
  std::string buf_;
  size_t size_ = 0;
};

// Direct writers for the two bulky elements (clusters and conflicts: at 1M facts the
// document is about a gigabyte), producing exactly what nlohmann::json's dump(2) writes for
// the same tree: keys in sorted order, 2-space indent, "[]" for an empty array. Strings that
// are not valid UTF-8 and every double go through nlohmann itself, so its replacement and
// number formatting are kept byte for byte.
class Writer {
 public:
  explicit Writer(std::ostream* out) : out_(out) {}

  void String(absl::string_view s) {
    if (internal::JsonPlainAscii(s)) {  // most texts: nothing to escape or validate
      char* p = out_.Extend(s.size() + 2);
      p[0] = '"';
      if (!s.empty()) std::memcpy(p + 1, s.data(), s.size());
      p[s.size() + 1] = '"';
      out_.Done();
      return;
    }
    if (!ValidateUtf8(s, nullptr, nullptr)) {
      out_ << nlohmann::json(std::string(s))
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      return;
    }
    buf_.clear();
    buf_.push_back('"');
    size_t plain = 0;  // start of the run of bytes that need no escape
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      buf_.append(s.data() + plain, i - plain);
      plain = i + 1;
      switch (c) {
        case '"':
          buf_ += "\\\"";
          break;
        case '\\':
          buf_ += "\\\\";
          break;
        case '\b':
          buf_ += "\\b";
          break;
        case '\f':
          buf_ += "\\f";
          break;
        case '\n':
          buf_ += "\\n";
          break;
        case '\r':
          buf_ += "\\r";
          break;
        case '\t':
          buf_ += "\\t";
          break;
        default:  // another control byte
          absl::StrAppendFormat(&buf_, "\\u%04x", c);
      }
    }
    buf_.append(s.data() + plain, s.size() - plain);
    buf_.push_back('"');
    out_ << buf_;
  }
  void Int(int64_t v) {  // never the stream's locale or flags
    char digits[24];
    const std::to_chars_result r = std::to_chars(digits, digits + sizeof digits, v);
    out_ << absl::string_view(digits, static_cast<size_t>(r.ptr - digits));
  }
  void Double(double v) {
    char text[8];
    const size_t n = internal::JsonThousandths(v, text);
    if (n > 0) {
      out_ << absl::string_view(text, n);
    } else {
      out_ << nlohmann::json(v).dump();
    }
  }
  // `"key": ` at `depth` (the first member of an object follows its "{\n"), in one append.
  void Key(int depth, absl::string_view key, bool first) {
    const size_t pad = 2 * static_cast<size_t>(std::max(0, depth));
    const size_t comma = first ? 0 : 2;
    char* p = out_.Extend(comma + pad + key.size() + 4);
    std::memcpy(p, ",\n", comma);
    p += comma;
    std::memset(p, ' ', pad);
    p += pad;
    *p++ = '"';
    std::memcpy(p, key.data(), key.size());
    std::memcpy(p + key.size(), "\": ", 3);
    out_.Done();
  }
  void Indent(int depth) { out_ << Spaces(2 * static_cast<size_t>(std::max(0, depth))); }
  Sink& out() { return out_; }

 private:
  static absl::string_view Spaces(size_t n) {
    static const std::string* const kSpaces = new std::string(256, ' ');
    if (n <= kSpaces->size()) return absl::string_view(*kSpaces).substr(0, n);
    static thread_local std::string more;
    more.assign(n, ' ');
    return more;
  }
  Sink out_;
  std::string buf_;
};

// An array at `depth` (its "[" already placed): "[]" when empty, else one element per line at
// depth + 1, as dump(2) writes it; `element(i)` writes element i.
template <typename Element>
void WriteArray(Writer& w, int depth, size_t count, Element element) {
  if (count == 0) {
    w.out() << "[]";
    return;
  }
  w.out() << "[\n";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) w.out() << ",\n";
    w.Indent(depth + 1);
    element(i);
  }
  w.out() << "\n";
  w.Indent(depth);
  w.out() << "]";
}

// The same as WriteArray, with element(writer, i) writing element i into `writer`: elements are
// formatted a block at a time on up to `threads` threads, each block into its own buffer, and
// the blocks are written in order (a window of them at a time, so memory stays that of a
// window, not of the array).
template <typename Element>
void WriteArrayParallel(Writer& w, int depth, size_t count, int threads, Element element) {
  if (threads <= 1 || count < 2 * kBlock) {
    WriteArray(w, depth, count, [&](size_t i) { element(w, i); });
    return;
  }
  w.out() << "[\n";
  const size_t blocks = (count + kBlock - 1) / kBlock;
  const size_t window = static_cast<size_t>(threads) * 4;
  std::vector<std::string> text(window);
  for (size_t first = 0; first < blocks; first += window) {
    const size_t last = std::min(blocks, first + window);
    std::atomic<size_t> next{first};
    auto work = [&] {
      for (size_t b = next++; b < last; b = next++) {
        Writer bw(nullptr);
        for (size_t i = b * kBlock; i < std::min(count, (b + 1) * kBlock); ++i) {
          if (i > 0) bw.out() << ",\n";
          bw.Indent(depth + 1);
          element(bw, i);
        }
        text[b - first] = bw.out().Take();
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads && static_cast<size_t>(t) < last - first; ++t) {
      pool.emplace_back(work);
    }
    work();
    for (std::thread& t : pool) t.join();
    for (size_t b = first; b < last; ++b) {
      w.out() << text[b - first];
      std::string().swap(text[b - first]);
    }
  }
  w.out() << "\n";
  w.Indent(depth);
  w.out() << "]";
}

// A cluster member's fields besides its line, path and text.
struct MemberFields {
  absl::string_view relation;
  absl::string_view section;
  double similarity = 0;  // written to 3 decimals
};

// {"line", "path", "text"} (+ the member fields) at `depth`.
void WriteFact(Writer& w, int depth, int line, absl::string_view path, absl::string_view text,
               const MemberFields* m) {
  w.out() << "{\n";
  w.Key(depth + 1, "line", true);
  w.Int(line);
  w.Key(depth + 1, "path", false);
  w.String(path);
  if (m != nullptr) {
    w.Key(depth + 1, "relation", false);
    w.String(m->relation);
    w.Key(depth + 1, "section", false);
    w.String(m->section);
    w.Key(depth + 1, "similarity", false);
    w.Double(std::round(m->similarity * 1000) / 1000);
  }
  w.Key(depth + 1, "text", false);
  w.String(text);
  w.out() << "\n";
  w.Indent(depth);
  w.out() << "}";
}

// Closes an object at `depth` whose last member was just written.
void CloseObject(Writer& w, int depth) {
  w.out() << "\n";
  w.Indent(depth);
  w.out() << "}";
}

// One source (internal::SourceJson) at `depth`.
void WriteSource(Writer& w, int depth, const Source& s) {
  w.out() << "{\n";
  w.Key(depth + 1, "date", true);
  w.String(s.date);
  w.Key(depth + 1, "depth", false);
  w.Int(s.depth);
  w.Key(depth + 1, "evidence", false);
  w.out() << (s.evidence ? "true" : "false");
  w.Key(depth + 1, "line", false);
  w.Int(s.line);
  w.Key(depth + 1, "path", false);
  w.String(s.path);
  w.Key(depth + 1, "section", false);
  w.String(s.section);
  w.Key(depth + 1, "source", false);
  w.String(s.source);
  w.Key(depth + 1, "type", false);
  w.String(s.type);
  w.Key(depth + 1, "via", false);
  w.String(s.via);
  CloseObject(w, depth);
}

// `"key": ` and an array of sources, at `depth`.
void WriteSources(Writer& w, int depth, absl::string_view key, const std::vector<Source>& sources) {
  w.Key(depth, key, false);
  WriteArray(w, depth, sources.size(), [&](size_t i) { WriteSource(w, depth + 1, sources[i]); });
}

// One cluster as internal::ClusterJson builds it, at `depth`.
void WriteCluster(Writer& w, int depth, const Vault& vault, const ScanResult& scan,
                  const dedup::Cluster& c) {
  const Note& canon_note = scan.note(vault, c.canonical);
  const Fact& canon = scan.fact(vault, c.canonical);
  w.out() << "{\n";
  w.Key(depth + 1, "canonical", true);
  WriteFact(w, depth + 1, canon.line, canon_note.path, DisplayOf(canon_note, canon), nullptr);
  w.Key(depth + 1, "id", false);
  w.String(ClusterId(scan.display(vault, c.canonical)));
  w.Key(depth + 1, "members", false);
  WriteArray(w, depth + 1, c.members.size(), [&](size_t i) {
    const dedup::Member& m = c.members[i];
    const Note& note = scan.note(vault, m.item);
    const Fact& f = scan.fact(vault, m.item);
    const MemberFields fields{dedup::RelationName(m.relation), SectionOf(note, f), m.similarity};
    WriteFact(w, depth + 2, f.line, note.path, DisplayOf(note, f), &fields);
  });
  w.Key(depth + 1, "reason", false);
  w.String(c.reason);
  CloseObject(w, depth);
}

// The same cluster as the JSON report writes it, from the report's model: the scan's keys
// plus "mean_similarity", "pages" and "sources".
void WriteReportCluster(Writer& w, int depth, const ReportCluster& c) {
  // The canonical is the member of that relation (listed first).
  const ReportFact* canon = c.members.empty() ? nullptr : &c.members[0];
  for (const ReportFact& m : c.members) {
    if (m.relation == dedup::RelationName(dedup::Relation::kCanonical)) {
      canon = &m;
      break;
    }
  }
  w.out() << "{\n";
  w.Key(depth + 1, "canonical", true);
  if (canon != nullptr) {
    WriteFact(w, depth + 1, canon->line, canon->path, canon->text, nullptr);
  } else {
    w.out() << "null";
  }
  w.Key(depth + 1, "id", false);
  w.String(c.id);
  w.Key(depth + 1, "mean_similarity", false);
  w.Double(std::round(c.mean_similarity * 1000) / 1000);
  w.Key(depth + 1, "members", false);
  WriteArray(w, depth + 1, c.members.size(), [&](size_t i) {
    const ReportFact& m = c.members[i];
    const MemberFields fields{m.relation, m.section, m.similarity};
    WriteFact(w, depth + 2, m.line, m.path, m.text, &fields);
  });
  w.Key(depth + 1, "pages", false);
  WriteArray(w, depth + 1, c.pages.size(), [&](size_t i) { w.String(c.pages[i]); });
  w.Key(depth + 1, "reason", false);
  w.String(c.reason);
  WriteSources(w, depth + 1, "sources", c.sources);
  CloseObject(w, depth);
}

// One conflict as internal::ConflictJson builds it, at `depth`; `fact(i)` is its fact i and
// `sources(i)` that fact's sources, or null (the scan document has none).
template <typename FactAt, typename SourcesAt>
void WriteConflict(Writer& w, int depth, absl::string_view type, size_t facts, FactAt fact,
                   SourcesAt sources, const std::vector<std::pair<int, int>>& pairs,
                   absl::string_view suggestion) {
  w.out() << "{\n";
  w.Key(depth + 1, "facts", true);
  WriteArray(w, depth + 1, facts, [&](size_t i) {
    const ConflictFact& f = fact(i);
    w.out() << "{\n";
    bool first = true;
    if (!f.field.empty()) {
      w.Key(depth + 3, "field", true);
      w.String(f.field);
      first = false;
    }
    w.Key(depth + 3, "line", first);
    w.Int(f.line);
    w.Key(depth + 3, "path", false);
    w.String(f.path);
    if (const std::vector<Source>* s = sources(i); s != nullptr) {
      WriteSources(w, depth + 3, "sources", *s);
    }
    w.Key(depth + 3, "text", false);
    w.String(f.text);
    w.Key(depth + 3, "value", false);
    w.String(f.value);
    CloseObject(w, depth + 2);
  });
  w.Key(depth + 1, "pairs", false);
  WriteArray(w, depth + 1, pairs.size(), [&](size_t i) {
    const auto& [a, b] = pairs[i];
    WriteArray(w, depth + 2, 2, [&, a = a, b = b](size_t k) { w.Int(k == 0 ? a : b); });
  });
  w.Key(depth + 1, "suggestion", false);
  w.String(suggestion);
  w.Key(depth + 1, "type", false);
  w.String(type);
  CloseObject(w, depth);
}

void WriteScanConflict(Writer& w, int depth, const Conflict& c) {
  WriteConflict(
      w, depth, c.type, c.facts.size(), [&](size_t i) -> const ConflictFact& { return c.facts[i]; },
      [](size_t) -> const std::vector<Source>* { return nullptr; }, c.pairs, c.suggestion);
}

void WriteReportConflict(Writer& w, int depth, const ReportConflict& c) {
  WriteConflict(
      w, depth, c.type, c.facts.size(),
      [&](size_t i) -> const ConflictFact& { return c.facts[i].fact; },
      [&](size_t i) -> const std::vector<Source>* { return &c.facts[i].sources; }, c.pairs,
      c.suggestion);
}

// One page's statistics (docs/report.md), at `depth`.
void WritePage(Writer& w, int depth, const PageStats& p) {
  w.out() << "{\n";
  const std::pair<absl::string_view, int64_t> counts[] = {
      {"bytes_after", p.bytes_after},           {"bytes_before", p.bytes_before},
      {"clusters_merged", p.clusters_merged},   {"compared", p.compared},
      {"conflicting_kept", p.conflicting_kept}, {"facts", p.facts},
      {"facts_after", p.facts_after},           {"in_clusters", p.in_clusters}};
  bool first = true;
  for (const auto& [key, value] : counts) {
    w.Key(depth + 1, key, first);
    w.Int(value);
    first = false;
  }
  w.Key(depth + 1, "path", false);
  w.String(p.path);
  w.Key(depth + 1, "removed", false);
  w.Int(p.removed);
  w.Key(depth + 1, "role", false);
  w.String(p.role);
  w.Key(depth + 1, "title", false);
  w.String(p.title);
  CloseObject(w, depth);
}

}  // namespace

std::string FormatScanJson(const Vault& vault, const ScanResult& scan,
                           const std::vector<Conflict>& conflicts) {
  std::ostringstream out;
  WriteScanJson(out, vault, scan, conflicts);
  return std::move(out).str();
}

void WriteScanJson(std::ostream& out, const Vault& vault, const ScanResult& scan,
                   const std::vector<Conflict>& conflicts, int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Members in the order nlohmann::json (a std::map) sorts them, as internal::ScanJson's
  // document is written: clusters, conflicts, facts, stats, updates, version.
  std::vector<const Conflict*> contradictions, updates;
  for (const Conflict& c : conflicts) {
    (IsContradiction(c) ? contradictions : updates).push_back(&c);
  }
  const std::vector<dedup::Cluster>& clusters = scan.dedup.clusters;
  Writer w(&out);
  w.out() << "{\n";
  w.out() << "  \"clusters\": ";
  WriteArrayParallel(w, 1, clusters.size(), threads,
                     [&](Writer& to, size_t i) { WriteCluster(to, 2, vault, scan, clusters[i]); });
  w.out() << ",\n";
  w.out() << "  \"conflicts\": ";
  WriteArrayParallel(w, 1, contradictions.size(), threads,
                     [&](Writer& to, size_t i) { WriteScanConflict(to, 2, *contradictions[i]); });
  w.out() << ",\n  \"facts\": " << absl::StrCat(scan.facts.size()) << ",\n  \"stats\": ";
  w.out() << NestedText(internal::StatsJson(scan.dedup.stats), 1);
  w.out() << ",\n";
  w.out() << "  \"updates\": ";
  WriteArrayParallel(w, 1, updates.size(), threads,
                     [&](Writer& to, size_t i) { WriteScanConflict(to, 2, *updates[i]); });
  w.out() << ",\n  \"version\": " << absl::StrCat(kJsonFormatVersion) << "\n}\n";
}

namespace internal {

namespace {

// The JSON report into `w` (a stream's writer, or one gathering the bytes).
void WriteReportJsonTo(Writer& w, const Report& r) {
  // Members in sorted order (as Dump writes the tree): clusters, conflicts, duplicates,
  // facts, generated, pages, report_version, stats, tool_version, updates, version.
  w.out() << "{\n  \"clusters\": ";
  WriteArray(w, 1, r.clusters.size(), [&](size_t i) { WriteReportCluster(w, 2, r.clusters[i]); });
  w.out() << ",\n  \"conflicts\": ";
  WriteArray(w, 1, r.conflicts.size(),
             [&](size_t i) { WriteReportConflict(w, 2, r.conflicts[i]); });
  w.Key(1, "duplicates", false);
  w.Int(r.duplicates);
  w.Key(1, "facts", false);
  w.Int(r.facts);
  w.Key(1, "generated", false);
  w.String(r.generated);
  w.Key(1, "pages", false);
  WriteArray(w, 1, r.pages.size(), [&](size_t i) { WritePage(w, 2, r.pages[i]); });
  w.Key(1, "report_version", false);
  w.Int(kReportVersion);
  w.Key(1, "stats", false);
  w.out() << NestedText(StatsJson(r.stats), 1);
  w.Key(1, "tool_version", false);
  w.String(r.tool_version);
  w.out() << ",\n  \"updates\": ";
  WriteArray(w, 1, r.updates.size(), [&](size_t i) { WriteReportConflict(w, 2, r.updates[i]); });
  w.out() << ",\n  \"version\": " << absl::StrCat(kJsonFormatVersion) << "\n}\n";
}

}  // namespace

std::string FormatReportJson(const Report& r) {
  Writer w(nullptr);
  WriteReportJsonTo(w, r);
  return w.out().Take();
}

void WriteReportJson(std::ostream& out, const Report& r) {
  Writer w(&out);
  WriteReportJsonTo(w, r);
}

}  // namespace internal

}  // namespace factdedup::provenance
