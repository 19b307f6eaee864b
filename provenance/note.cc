#include "provenance/note.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

// GCC 12 reports false -Wdangling-pointer positives inside yaml-cpp's node templates.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#include <yaml-cpp/yaml.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
// AVX2 code is compiled for functions marked with its target and run only where the CPU has it.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FACTDEDUP_AVX2_DISPATCH 1
#include <immintrin.h>
#endif

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "provenance/internal/markup_scan.h"
#include "provenance/internal/simple_yaml.h"
#include "provenance/internal/yaml_limits.h"

namespace factdedup::provenance {
namespace {

// [begin, end) as a Span: offsets into a note, which is under 4 GiB (see ParseNoteOwned).
Span ByteSpan(size_t begin, size_t end) {
  return Span{static_cast<uint32_t>(begin), static_cast<uint32_t>(end)};
}

// A vault holds a Fact per fact and about 1.5 Blocks per fact for the whole run (note.h).
static_assert(sizeof(Block) <= 24 && sizeof(Fact) <= 96, "a vault's per-fact records grew");

struct Line {
  size_t begin = 0;     // first byte of the line
  size_t text_end = 0;  // end of the text, before the terminator
  size_t end = 0;       // after the terminator
  absl::string_view text;
};

// The lines of `content` into `lines` (cleared first).
void SplitLines(absl::string_view content, std::vector<Line>& lines) {
  lines.clear();
  lines.reserve(content.size() / 48 + 1);  // notes average about 60 bytes a line
  size_t pos = 0;
  while (pos < content.size()) {
    const void* at = std::memchr(content.data() + pos, '\n', content.size() - pos);
    const size_t nl =
        at == nullptr ? absl::string_view::npos : static_cast<const char*>(at) - content.data();
    Line l;
    l.begin = pos;
    if (nl == absl::string_view::npos) {
      l.text_end = l.end = content.size();
    } else {
      l.end = nl + 1;
      l.text_end = (nl > pos && content[nl - 1] == '\r') ? nl - 1 : nl;
    }
    l.text = content.substr(l.begin, l.text_end - l.begin);
    lines.push_back(l);
    pos = l.end;
  }
}

bool IsBlank(absl::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// Columns of leading white space (tabs advance to the next multiple of 4) and its byte length.
int Indent(absl::string_view s, size_t* bytes) {
  int col = 0;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == ' ') {
      ++col;
    } else if (s[i] == '\t') {
      col = (col / 4 + 1) * 4;
    } else {
      break;
    }
  }
  if (bytes) *bytes = i;
  return col;
}

absl::string_view RTrim(absl::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Lines a..b of `lines` as a block of `kind` (`fact`: its index in Note::facts, for a list item)
// at the end of `blocks`. (Made once a block, many blocks a note: always inlined, as a call
// costs more than its work.)
__attribute__((always_inline)) inline void AppendBlock(const std::vector<Line>& lines,
                                                       BlockKind kind, int a, int b, int fact,
                                                       std::vector<Block>& blocks) {
  blocks.push_back(Block{kind, a + 1, b + 1, fact, ByteSpan(lines[a].begin, lines[b].end)});
}

struct Fence {
  char ch = 0;
  size_t len = 0;
};

bool FenceOpen(absl::string_view s, Fence* f) {
  size_t skip;
  if (Indent(s, &skip) > 3) return false;
  s.remove_prefix(skip);
  if (s.empty() || (s[0] != '`' && s[0] != '~')) return false;
  size_t n = 0;
  while (n < s.size() && s[n] == s[0]) ++n;
  if (n < 3) return false;
  if (s[0] == '`' && s.substr(n).find('`') != absl::string_view::npos) return false;
  f->ch = s[0];
  f->len = n;
  return true;
}

bool FenceClose(absl::string_view s, const Fence& f) {
  size_t skip;
  if (Indent(s, &skip) > 3) return false;
  s.remove_prefix(skip);
  size_t n = 0;
  while (n < s.size() && s[n] == f.ch) ++n;
  return n >= f.len && IsBlank(s.substr(n));
}

bool HeadingLine(absl::string_view s, int* level, absl::string_view* text) {
  size_t skip;
  if (Indent(s, &skip) > 3) return false;
  s.remove_prefix(skip);
  int n = 0;
  while (n < static_cast<int>(s.size()) && s[n] == '#') ++n;
  if (n < 1 || n > 6) return false;
  if (static_cast<size_t>(n) < s.size() && s[n] != ' ' && s[n] != '\t') return false;
  absl::string_view t = absl::StripAsciiWhitespace(s.substr(n));
  // Optional closing sequence of #'s preceded by a space.
  absl::string_view stripped = t;
  while (!stripped.empty() && stripped.back() == '#') stripped.remove_suffix(1);
  if (stripped.size() != t.size() && (stripped.empty() || stripped.back() == ' ')) {
    t = RTrim(stripped);
  }
  *level = n;
  *text = t;
  return true;
}

bool RuleLine(absl::string_view s) {
  size_t skip;
  if (Indent(s, &skip) > 3) return false;
  s.remove_prefix(skip);
  if (s.empty() || (s[0] != '-' && s[0] != '*' && s[0] != '_')) return false;
  int count = 0;
  for (char c : s) {
    if (c == s[0]) {
      ++count;
    } else if (c != ' ' && c != '\t') {
      return false;
    }
  }
  return count >= 3;
}

struct ListMarker {
  int indent = 0;            // columns before the marker
  absl::string_view marker;  // "-", "1."
  size_t text_offset = 0;    // bytes from line start to the item's text
};

bool ListItemLine(absl::string_view s, ListMarker* m) {
  size_t skip;
  const int indent = Indent(s, &skip);
  // The rest of the line after the indent, as a pointer and a size (no bounds-checked substr).
  const char* const r = s.data() + skip;
  const size_t size = s.size() - skip;
  size_t n = 0;
  if (size > 0 && (r[0] == '-' || r[0] == '*' || r[0] == '+')) {
    n = 1;
  } else {
    while (n < size && n < 9 && absl::ascii_isdigit(static_cast<unsigned char>(r[n]))) ++n;
    if (n == 0 || n >= size || (r[n] != '.' && r[n] != ')')) return false;
    ++n;
  }
  if (n < size && r[n] != ' ' && r[n] != '\t') return false;
  size_t after = n;
  while (after < size && (r[after] == ' ' || r[after] == '\t')) ++after;
  m->indent = indent;
  m->marker = absl::string_view(r, n);
  m->text_offset = skip + after;
  return true;
}

bool QuoteLine(absl::string_view s) {
  size_t skip;
  return Indent(s, &skip) <= 3 && skip < s.size() && s[skip] == '>';
}

bool TableLine(absl::string_view s) {
  size_t skip;
  return Indent(s, &skip) <= 3 && skip < s.size() && s[skip] == '|';
}

bool CommentStart(absl::string_view s) {
  size_t skip;
  return Indent(s, &skip) <= 3 && absl::StartsWith(s.substr(skip), "<!--");
}

// The bytes of the line's indent (spaces and tabs): s[FirstByte(s)] is the first byte of its
// text; s.size() for a blank line. Each block test above answers false unless that byte is one
// it starts with (see StartsBlock).
size_t FirstByte(absl::string_view s) {
  size_t k = 0;
  while (k < s.size() && (s[k] == ' ' || s[k] == '\t')) ++k;
  return k;
}

// ListItemLine(s) for a line whose text starts at s[k] with '-', '*' or '+': the marker is
// followed by a blank or ends the line.
bool BulletItemAt(absl::string_view s, size_t k) {
  return k + 1 == s.size() || s[k + 1] == ' ' || s[k + 1] == '\t';
}

// A line that starts a block of its own and so cannot continue a list item or paragraph:
// IsBlank || FenceOpen || HeadingLine || RuleLine || ListItemLine || QuoteLine || TableLine ||
// CommentStart, asking only the tests that can hold for the line's first byte.
bool StartsBlock(absl::string_view s) {
  Fence f;
  int level;
  absl::string_view t;
  ListMarker m;
  const size_t k = FirstByte(s);
  if (k == s.size()) return true;  // blank
  switch (s[k]) {
    case '`':
    case '~':
      return FenceOpen(s, &f);
    case '#':
      return HeadingLine(s, &level, &t);
    case '-':
    case '*':
      return BulletItemAt(s, k) || RuleLine(s);
    case '_':
      return RuleLine(s);
    case '+':
      return BulletItemAt(s, k);
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
      return ListItemLine(s, &m);
    case '>':
      return QuoteLine(s);
    case '|':
      return TableLine(s);
    case '<':
      return CommentStart(s);
    default:
      return false;
  }
}

std::string UrlDecode(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() &&
        absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool HasScheme(absl::string_view url) {
  size_t i = 0;
  if (url.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(url[0]))) return false;
  while (i < url.size() && (absl::ascii_isalnum(static_cast<unsigned char>(url[i])) ||
                            url[i] == '+' || url[i] == '.' || url[i] == '-')) {
    ++i;
  }
  return i > 1 && i < url.size() && url[i] == ':';
}

// The parts of "target#heading^block": the target without surrounding white space, the
// heading after '#' (empty when it starts with '^') and the block after '^'.
struct TargetParts {
  absl::string_view target, heading, block;
};

TargetParts SplitTargetView(absl::string_view t) {
  TargetParts p;
  // The first '#' and the first '^': a walk to the first of either (targets are short and most
  // have neither; a call to find costs more), then a search for the other after it.
  size_t hash = absl::string_view::npos, caret = absl::string_view::npos;
  size_t k = 0;
  while (k < t.size() && t[k] != '#' && t[k] != '^') ++k;
  if (k < t.size() && t[k] == '#') {
    hash = k;
    caret = t.find('^', k + 1);
  } else if (k < t.size()) {
    caret = k;
    hash = t.find('#', k + 1);
  }
  size_t cut = std::min(hash, caret);
  p.target = absl::StripAsciiWhitespace(t.substr(0, cut));
  if (hash != absl::string_view::npos) {
    size_t hend = caret != absl::string_view::npos && caret > hash ? caret : t.size();
    p.heading = t.substr(hash + 1, hend - hash - 1);
    if (!p.heading.empty() && p.heading[0] == '^') p.heading = {};
  }
  if (caret != absl::string_view::npos) p.block = t.substr(caret + 1);
  return p;
}

// Splits "target#heading^block" into its parts.
void SplitTarget(absl::string_view t, Link* link) {
  const TargetParts p = SplitTargetView(t);
  link->target.assign(p.target.data(), p.target.size());
  link->heading.assign(p.heading.data(), p.heading.size());
  link->block.assign(p.block.data(), p.block.size());
}

int CountNewlines(absl::string_view s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

// Nested link aliases StripMarkdown strips before keeping the rest as written.
constexpr int kMaxAliasDepth = 4;

// Finds links and code spans in one text with work linear in its size, whatever the text.
// Searches whose answer later positions can reuse are cached (positions are asked for in
// increasing order); every other scan is charged to a budget of kBudgetPerByte bytes per byte
// of text. Once the budget is spent (only pathological text, such as megabytes of "[](",
// gets there), Markdown links and code spans in the rest of the text are read as plain text.
class LinkScanner {
 public:
  static constexpr size_t kBudgetPerByte = 16;

  explicit LinkScanner(absl::string_view text)
      : text_(text), budget_(kBudgetPerByte * text.size() + 65536) {}

  // The first `needle` at or after `from`, or npos.
  size_t Find(absl::string_view needle, size_t from) {
    Cache& c = CacheFor(needle);
    if (c.from != absl::string_view::npos && from >= c.from &&
        (c.at == absl::string_view::npos || c.at >= from)) {
      return c.at;
    }
    c.from = from;
    c.at = FindFrom(text_, needle, from);
    Charge((c.at == absl::string_view::npos ? text_.size() : c.at) - std::min(from, text_.size()));
    return c.at;
  }

  // Where the code span opened by `run` backticks at `i` closes, or npos.
  size_t CodeSpanClose(size_t i, size_t run) {
    if (budget_ == 0) return absl::string_view::npos;
    size_t close = text_.find(std::string(run, '`'), i + run);
    Charge((close == absl::string_view::npos ? text_.size() : close) - i);
    return close;
  }

  // A link as found in the text: views of its bytes, not yet split or URL-decoded.
  struct LinkParts {
    Link::Kind kind = Link::Kind::kWikilink;
    absl::string_view target;  // wikilinks: before '|'; Markdown links: the URL as written
    absl::string_view alias;
    Span span;  // relative to the text
  };

  // The link that starts at `i` ("[[", "![[", "[" or "!["), or nullopt.
  std::optional<LinkParts> LinkAt(size_t i) {
    const bool embed =
        text_[i] == '!' && i + 2 < text_.size() && text_[i + 1] == '[' && text_[i + 2] == '[';
    const size_t open = embed ? i + 1 : i;
    if (open + 1 < text_.size() && text_[open] == '[' && text_[open + 1] == '[') {
      size_t close = Find("]]", open + 2);
      size_t nl = Find("\n", open + 2);
      if (close != absl::string_view::npos && (nl == absl::string_view::npos || nl > close)) {
        absl::string_view inner = text_.substr(open + 2, close - open - 2);
        LinkParts link;
        link.kind = embed ? Link::Kind::kEmbed : Link::Kind::kWikilink;
        size_t bar = inner.find('|');
        if (bar != absl::string_view::npos) {
          link.alias = inner.substr(bar + 1);
          inner = inner.substr(0, bar);
        }
        link.target = inner;
        link.span = ByteSpan(i, close + 2);
        return link;
      }
    }
    if (text_[i] == '[' || (text_[i] == '!' && i + 1 < text_.size() && text_[i + 1] == '[')) {
      return MarkdownLinkAt(i, text_[i] == '!' ? i + 1 : i);
    }
    return std::nullopt;
  }

  // The Link of `parts` into `link`, a new Link (its span still relative to the text, `line`
  // unset).
  static void MaterializeInto(const LinkParts& parts, Link* link) {
    link->kind = parts.kind;
    link->alias.assign(parts.alias.data(), parts.alias.size());
    link->span = parts.span;
    if (parts.kind == Link::Kind::kExternal) {
      link->target.assign(parts.target.data(), parts.target.size());
    } else if (parts.kind == Link::Kind::kMarkdown) {
      SplitTarget(UrlDecode(parts.target), link);
    } else {
      SplitTarget(parts.target, link);
    }
  }

 private:
  struct Cache {
    absl::string_view needle;
    size_t from = absl::string_view::npos;
    size_t at = absl::string_view::npos;
  };

  // `needle` (not empty) in `text` at or after `from`, or npos: memchr for its first byte.
  static size_t FindFrom(absl::string_view text, absl::string_view needle, size_t from) {
    const char* const end = text.data() + text.size();
    const char* p = text.data() + std::min(from, text.size());
    while (static_cast<size_t>(end - p) >= needle.size()) {
      p = static_cast<const char*>(std::memchr(p, needle[0], end - p - needle.size() + 1));
      if (p == nullptr) break;
      size_t k = 1;  // needles are a few bytes: compared here rather than by a call
      while (k < needle.size() && p[k] == needle[k]) ++k;
      if (k == needle.size()) return p - text.data();
      ++p;
    }
    return absl::string_view::npos;
  }

  // One cache per needle; there are a handful ("]]", "\n", ">", ")", "-->").
  Cache& CacheFor(absl::string_view needle) {
    for (size_t k = 0; k < used_; ++k) {
      const absl::string_view had = caches_[k].needle;
      // The needles are literals: the same one has the same bytes, most often at one address.
      if (had.size() == needle.size() &&
          (had.data() == needle.data() ||
           std::memcmp(had.data(), needle.data(), had.size()) == 0)) {
        return caches_[k];
      }
    }
    if (used_ == caches_.size()) {  // not reached with the needles above: reuse the last
      caches_.back() = {needle};
      return caches_.back();
    }
    caches_[used_] = {needle};
    return caches_[used_++];
  }

  void Charge(size_t n) { budget_ = n >= budget_ ? 0 : budget_ - n; }

  // "[text](url)" with `lb` at its '['.
  std::optional<LinkParts> MarkdownLinkAt(size_t i, size_t lb) {
    if (budget_ == 0) return std::nullopt;
    // The matching ']' (nesting allowed, not across a blank line) followed directly by '('.
    const size_t limit = std::min(text_.size(), lb + budget_);
    int depth = 0;
    size_t rb = absl::string_view::npos;
    size_t k = lb;
    for (; k < limit; ++k) {
      if (text_[k] == '\\') {
        ++k;
      } else if (text_[k] == '[') {
        ++depth;
      } else if (text_[k] == ']') {
        if (--depth == 0) {
          rb = k;
          break;
        }
      } else if (text_[k] == '\n' && k + 1 < text_.size() && text_[k + 1] == '\n') {
        break;
      }
    }
    Charge(k - lb);
    if (rb == absl::string_view::npos || rb + 1 >= text_.size() || text_[rb + 1] != '(') {
      return std::nullopt;
    }
    const size_t p = rb + 2;
    absl::string_view url;
    size_t end = absl::string_view::npos;
    if (p < text_.size() && text_[p] == '<') {
      size_t gt = Find(">", p);
      if (gt == absl::string_view::npos || gt == p + 1) return std::nullopt;
      url = text_.substr(p + 1, gt - p - 1);
      end = Find(")", gt);
    } else {
      int paren = 0;
      size_t u = p;
      const size_t url_limit = std::min(text_.size(), p + budget_);
      for (; u < url_limit; ++u) {
        char c = text_[u];
        if (c == ' ' || c == '\t' || c == '\n') break;
        if (c == '(') ++paren;
        if (c == ')') {
          if (paren == 0) break;
          --paren;
        }
      }
      Charge(u - p);
      if (u == p || (u == url_limit && u < text_.size())) return std::nullopt;
      url = text_.substr(p, u - p);
      end = Find(")", u);
    }
    if (end == absl::string_view::npos) return std::nullopt;
    LinkParts link;
    link.alias = text_.substr(lb + 1, rb - lb - 1);
    link.kind = HasScheme(url) ? Link::Kind::kExternal : Link::Kind::kMarkdown;
    link.target = url;
    link.span = ByteSpan(i, end + 1);
    return link;
  }

  absl::string_view text_;
  size_t budget_;
  std::array<Cache, 6> caches_;
  size_t used_ = 0;
};

// Reads YAML frontmatter into `fm`. On a YAML error records a diagnostic at the file line.
void ParseFrontmatter(absl::string_view path, int first_yaml_line, Frontmatter* fm,
                      std::vector<Diagnostic>* diags, bool* ok) {
  // Most notes' frontmatter is in the subset ParseSimpleYaml reads (what yaml-cpp would give,
  // in a fraction of its time); anything else goes to yaml-cpp, once CheckYamlLimits passes.
  // That subset is within the limits but for size (keys and one-line scalars at one level,
  // lists of them at a second, no alias, anchor or flow collection), so the limits are checked
  // before it only for a text over the size limit (which they then refuse).
  // Kept by the thread from note to note (its keys are moved out below).
  static thread_local std::vector<internal::SimpleYamlKey> simple;
  const bool small = fm->raw.size() <= internal::YamlLimits{}.max_bytes;
  const bool is_simple = small && internal::ParseSimpleYaml(fm->raw, &simple);
  int limit_line = 0;
  if (absl::Status s =
          is_simple ? absl::OkStatus() : internal::CheckYamlLimits(fm->raw, {}, &limit_line);
      !s.ok()) {
    diags->push_back({Diagnostic::Severity::kError, std::string(path),
                      first_yaml_line + limit_line - 1, 0,
                      absl::StrCat("frontmatter not read: ", s.message())});
    *ok = false;
    return;
  }
  if (is_simple) {
    fm->keys.reserve(simple.size());
    for (internal::SimpleYamlKey& s : simple) {
      FrontmatterKey& key = fm->keys.emplace_back();
      key.key = std::move(s.key);
      key.line = first_yaml_line + s.line;
      key.value = std::move(s.value);
      key.items = std::move(s.items);
      key.is_list = s.is_list;
    }
    return;
  }
  try {
    YAML::Node root = YAML::Load(fm->raw);
    if (root.IsNull()) return;
    if (!root.IsMap()) {
      diags->push_back({Diagnostic::Severity::kError, std::string(path),
                        first_yaml_line + root.Mark().line, root.Mark().column + 1,
                        "frontmatter is not a map of keys"});
      *ok = false;
      return;
    }
    for (auto it = root.begin(); it != root.end(); ++it) {
      FrontmatterKey key;
      key.key = it->first.Scalar();
      key.line = first_yaml_line + it->first.Mark().line;
      const YAML::Node v = it->second;  // a copy: it->second lives in a temporary proxy
      if (v.IsScalar()) {
        key.value = v.Scalar();
      } else if (v.IsSequence()) {
        key.is_list = true;
        for (const auto& item : v) {
          if (item.IsScalar()) key.items.push_back(item.Scalar());
        }
      }
      fm->keys.push_back(std::move(key));
    }
  } catch (const YAML::Exception& e) {
    diags->push_back({Diagnostic::Severity::kError, std::string(path),
                      e.mark.is_null() ? first_yaml_line : first_yaml_line + e.mark.line,
                      e.mark.is_null() ? 0 : e.mark.column + 1,
                      absl::StrCat("malformed YAML frontmatter: ", e.msg)});
    *ok = false;
  }
}

}  // namespace

std::string FormatDiagnostic(const Diagnostic& d) {
  std::string out = d.path;
  if (d.line > 0) absl::StrAppend(&out, ":", d.line);
  if (d.line > 0 && d.column > 0) absl::StrAppend(&out, ":", d.column);
  absl::StrAppend(&out, ": ", d.severity == Diagnostic::Severity::kError ? "error" : "warning",
                  ": ", d.message);
  return out;
}

const FrontmatterKey* Frontmatter::Find(absl::string_view key) const {
  for (const auto& k : keys) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

const char* BlockKindName(BlockKind kind) {
  switch (kind) {
    case BlockKind::kFrontmatter:
      return "frontmatter";
    case BlockKind::kBlank:
      return "blank";
    case BlockKind::kHeading:
      return "heading";
    case BlockKind::kListItem:
      return "list_item";
    case BlockKind::kParagraph:
      return "paragraph";
    case BlockKind::kCode:
      return "code";
    case BlockKind::kTable:
      return "table";
    case BlockKind::kHtmlComment:
      return "html_comment";
    case BlockKind::kQuote:
      return "quote";
    case BlockKind::kRule:
      return "rule";
  }
  return "unknown";
}

namespace {

// Validation of UTF-8 (well-formed sequences, no overlong forms, no surrogates, at most
// U+10FFFF); with `kWhere`, the line and column (in code points) of the first bad byte.
// Notes are almost all ASCII: sixty-four or sixteen (SSE2) or eight such bytes are checked at
// once, and the position is only counted on a second pass over a text that failed.
template <bool kWhere>
bool Utf8Check(absl::string_view s, int* line, int* column) {
  int ln = 1, col = 1;
  size_t i = 0;
  while (i < s.size()) {
#if defined(__SSE2__)
    // Runs of ASCII, 64 bytes at a time: one sign-bit mask of four loads or'ed together.
    if (!kWhere) {
      while (i + 64 <= s.size()) {
        const auto* p = reinterpret_cast<const __m128i*>(s.data() + i);
        const __m128i v =
            _mm_or_si128(_mm_or_si128(_mm_loadu_si128(p), _mm_loadu_si128(p + 1)),
                         _mm_or_si128(_mm_loadu_si128(p + 2), _mm_loadu_si128(p + 3)));
        if (_mm_movemask_epi8(v) != 0) break;
        i += 64;
      }
      // Then sixteen at a time, up to the first byte that is not ASCII (its place in the
      // sign-bit mask), so that the bytes before it are not looked at one by one.
      while (i + 16 <= s.size()) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        if (const int m = _mm_movemask_epi8(v); m != 0) {
          i += static_cast<size_t>(std::countr_zero(static_cast<unsigned>(m)));
          break;
        }
        i += 16;
      }
      if (i == s.size()) break;
    }
#endif
    if (!kWhere && i + 8 <= s.size()) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok) {
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) ok = false;
    }
    if (!ok) {
      if (kWhere) {
        if (line) *line = ln;
        if (column) *column = col;
      }
      return false;
    }
    if (kWhere) {
      if (c == '\n') {
        ++ln;
        col = 1;
      } else {
        ++col;
      }
    }
    i += len;
  }
  return true;
}

}  // namespace

bool ValidateUtf8(absl::string_view s, int* line, int* column) {
  if (Utf8Check<false>(s, nullptr, nullptr)) return true;
  return Utf8Check<true>(s, line, column);
}

namespace {

// The bytes ExtractLinks stops at: a code span or a link may start there.
constexpr auto kLinkOrCode = [] {
  std::array<bool, 256> t{};
  for (unsigned char ch : std::string_view("`[!")) t[ch] = true;
  return t;
}();

}  // namespace

namespace {

// The Links of `parts`, found in that order in `text`, which starts at byte `offset` and line
// `line` of its note.
std::vector<Link> MaterializeLinks(absl::string_view text,
                                   const std::vector<LinkScanner::LinkParts>& parts, size_t offset,
                                   int line) {
  std::vector<Link> links;
  links.reserve(parts.size());
  size_t counted = 0;  // newlines before `counted` are in `line`
  for (const LinkScanner::LinkParts& p : parts) {
    line += CountNewlines(text.substr(counted, p.span.begin - counted));
    counted = p.span.begin;
    Link& link = links.emplace_back();  // made in place: no Link moved
    LinkScanner::MaterializeInto(p, &link);
    link.line = line;
    link.span.begin += offset;
    link.span.end += offset;
  }
  return links;
}

}  // namespace

std::vector<Link> ExtractLinks(absl::string_view text, size_t offset, int line) {
  // Every link has a '[' (most texts have none: one memchr instead of a walk).
  if (std::memchr(text.data(), '[', text.size()) == nullptr) return {};
  static thread_local std::vector<LinkScanner::LinkParts> parts;
  parts.clear();
  LinkScanner scanner(text);
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '`') {  // skip code spans
      size_t run = 0;
      while (i + run < text.size() && text[i + run] == '`') ++run;
      size_t close = scanner.CodeSpanClose(i, run);
      i = close == absl::string_view::npos ? i + run : close + run;
      continue;
    }
    if (text[i] != '[' && text[i] != '!') {  // no link starts here (LinkAt would say so)
      ++i;
      while (i < text.size() && !kLinkOrCode[static_cast<unsigned char>(text[i])]) ++i;
      continue;
    }
    std::optional<LinkScanner::LinkParts> link = scanner.LinkAt(i);
    if (!link.has_value()) {
      ++i;
      continue;
    }
    parts.push_back(*link);
    i = link->span.end;
  }
  return MaterializeLinks(text, parts, offset, line);
}

namespace {

// Bytes that may start markup StripMarkdown removes or rewrites, and the white space it
// collapses but ' ' (a space only matters doubled or at either end).
constexpr char kNotAsWritten[] = "\\<`[!*~=_\t\n\r";
constexpr auto kNotAsWrittenTable = [] {
  std::array<bool, 256> t{};
  for (unsigned char ch : std::string_view(kNotAsWritten)) t[ch] = true;
  return t;
}();

#if defined(__SSE2__)
// Bit k set, for k in [0, 16), when p[k] is a byte of kNotAsWritten or p[k] and p[k + 1] are
// both spaces, and also for a few bytes near those (every byte up to '\r', '>', ']', '^'):
// ranges take fewer instructions than each byte on its own. Reads p[0, 17).
inline uint32_t NotAsWrittenMask(const char* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
  auto eq = [](__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
  // Bytes in [lo, lo + n) for n < 128: moved to start at -128, they are less than -128 + n.
  auto in_range = [](__m128i v, int lo, int n) {
    const __m128i moved = _mm_add_epi8(v, _mm_set1_epi8(static_cast<char>(0x80 - lo)));
    return _mm_cmplt_epi8(moved, _mm_set1_epi8(static_cast<char>(-128 + n)));
  };
  const __m128i hit = _mm_or_si128(
      _mm_or_si128(_mm_and_si128(eq(x, ' '), eq(next, ' ')),
                   _mm_or_si128(in_range(x, 0, '\r' + 1), in_range(x, '[', '`' - '[' + 1))),
      _mm_or_si128(_mm_or_si128(eq(x, '!'), eq(x, '*')),
                   _mm_or_si128(in_range(x, '<', 3), eq(x, '~'))));
  return static_cast<uint32_t>(_mm_movemask_epi8(hit));
}
#endif

#if defined(FACTDEDUP_AVX2_DISPATCH)
// NotAsWrittenMask for 32 bytes: bit k, for k in [0, 32), for the same bytes. Reads p[0, 33).
// A byte is in NotAsWrittenMask's set ([0x00, 0x0D], '!', '*', [0x3C, 0x3E], [0x5B, 0x60], '~')
// when the classes of its low and its high half-byte share a bit (two table look-ups):
//   bit 0x01: high 0, low 0..D    bit 0x02: high 2, low 1 or A    bit 0x04: high 3, low C..E
//   bit 0x08: high 5, low B..F    bit 0x10: high 6, low 0         bit 0x20: high 7, low E
// Bytes from 0x80 have high half-bytes 8..F, of no class.
__attribute__((target("avx2"))) inline uint32_t NotAsWrittenMask32(const char* p) {
  const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i next = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 1));
  const __m256i low_classes =
      _mm256_setr_epi8(0x11, 0x03, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x03, 0x09, 0x0D,
                       0x0D, 0x2C, 0x08, 0x11, 0x03, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
                       0x03, 0x09, 0x0D, 0x0D, 0x2C, 0x08);
  const __m256i high_classes =
      _mm256_setr_epi8(0x01, 0, 0x02, 0x04, 0, 0x08, 0x10, 0x20, 0, 0, 0, 0, 0, 0, 0, 0,  //
                       0x01, 0, 0x02, 0x04, 0, 0x08, 0x10, 0x20, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i low = _mm256_shuffle_epi8(low_classes, _mm256_and_si256(x, nibble));
  const __m256i high =
      _mm256_shuffle_epi8(high_classes, _mm256_and_si256(_mm256_srli_epi16(x, 4), nibble));
  const __m256i in_set = _mm256_cmpgt_epi8(_mm256_and_si256(low, high), _mm256_setzero_si256());
  const __m256i space = _mm256_set1_epi8(' ');
  const __m256i spaces =
      _mm256_and_si256(_mm256_cmpeq_epi8(x, space), _mm256_cmpeq_epi8(next, space));
  return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(in_set, spaces)));
}
#endif

}  // namespace

namespace internal {

bool HaveAvx2() {
#if defined(FACTDEDUP_AVX2_DISPATCH)
  static const bool kHave = __builtin_cpu_supports("avx2");
  return kHave;
#else
  return false;
#endif
}

// Most facts are plain text: SSE2 looks at 16 bytes at a time.
size_t NotAsWrittenAtSse2(absl::string_view md) {
  const char* p = md.data();
  const size_t n = md.size();
  if (n == 0) return absl::string_view::npos;
  if (p[0] == ' ') return 0;
  size_t i = 0;
#if defined(__SSE2__)
  if (n >= 17) {
    for (; i + 17 <= n; i += 16) {
      if (uint32_t m = NotAsWrittenMask(p + i); m != 0) return i + std::countr_zero(m);
    }
    // The last bytes but one, in a window overlapping the last one; then the last byte.
    if (uint32_t m = NotAsWrittenMask(p + n - 17); m != 0) return n - 17 + std::countr_zero(m);
    i = n - 1;
  }
#endif
  for (; i + 1 < n; ++i) {
    if (kNotAsWrittenTable[static_cast<unsigned char>(p[i])] || (p[i] == ' ' && p[i + 1] == ' ')) {
      return i;
    }
  }
  // The last byte: a space there is trimmed.
  if (kNotAsWrittenTable[static_cast<unsigned char>(p[n - 1])] || p[n - 1] == ' ') return n - 1;
  return absl::string_view::npos;
}

// NotAsWrittenAtSse2 with 32 bytes at a time for texts of 33 bytes or more: the same mask for
// every byte but the last, the same test of the last, so the same answer.
#if defined(FACTDEDUP_AVX2_DISPATCH)
__attribute__((target("avx2")))
#endif
size_t
NotAsWrittenAtAvx2(absl::string_view md) {
#if defined(FACTDEDUP_AVX2_DISPATCH)
  const char* p = md.data();
  const size_t n = md.size();
  if (n < 33) return NotAsWrittenAtSse2(md);
  if (p[0] == ' ') return 0;
  for (size_t i = 0; i + 33 <= n; i += 32) {
    if (uint32_t m = NotAsWrittenMask32(p + i); m != 0) return i + std::countr_zero(m);
  }
  // The last bytes but one, in a window overlapping the last one; then the last byte.
  if (uint32_t m = NotAsWrittenMask32(p + n - 33); m != 0) return n - 33 + std::countr_zero(m);
  if (kNotAsWrittenTable[static_cast<unsigned char>(p[n - 1])] || p[n - 1] == ' ') return n - 1;
  return absl::string_view::npos;
#else
  return NotAsWrittenAtSse2(md);
#endif
}

}  // namespace internal

namespace {

// The first byte from which StripMarkdown(md) may not give `md` back as written, or npos (see
// internal::NotAsWrittenAtSse2).
// (Asked once, before main: a function-local static would be checked at every call.)
const bool kUseAvx2 = internal::HaveAvx2();

size_t NotAsWrittenAt(absl::string_view md) {
  return kUseAvx2 ? internal::NotAsWrittenAtAvx2(md) : internal::NotAsWrittenAtSse2(md);
}

bool StripMarkupInto(absl::string_view md, size_t from, int depth, std::string& out,
                     std::vector<LinkScanner::LinkParts>* links = nullptr);

// StripMarkdown of `md`, appended to `out`.
void StripMarkdownInto(absl::string_view md, int depth, std::string& out) {
  const size_t from = NotAsWrittenAt(md);
  if (from == absl::string_view::npos) {
    out.append(md.data(), md.size());
  } else {
    StripMarkupInto(md, from, depth, out);
  }
}

std::string StripMarkdownImpl(absl::string_view md, int depth) {
  std::string out;
  StripMarkdownInto(md, depth, out);
  return out;
}

// StripMarkdown of `md` whose bytes before `from` are plain text (no byte that may start
// markup), appended to `out`: those bytes are copied as they are. With `links`, the links it
// strips (not those inside an alias) are appended there; it then returns whether they are
// ExtractLinks(md)'s links, which holds when it met no '\\', '<' or '`' outside a link:
// ExtractLinks asks LinkAt at the same '[' and '!' bytes in the same order, with the same
// LinkScanner state, but for those three (escapes, comments and code spans it reads otherwise).
bool StripMarkupInto(absl::string_view md, size_t from, int depth, std::string& out,
                     std::vector<LinkScanner::LinkParts>* links) {
  bool links_complete = true;
  const size_t base = out.size();  // the display starts here
  out.reserve(base + md.size());
  out.append(md.data(), from);
  auto is_word = [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || (c & 0x80);
  };
  LinkScanner scanner(md);
  // Bytes that may start markup; every other byte is copied as it is, a run at a time.
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (unsigned char ch : std::string_view("\\<`[!*~=_")) t[ch] = true;
    return t;
  }();
  size_t i = from;
  while (i < md.size()) {
    size_t run_end = i;
#if defined(__SSE2__)
    // Blocks of 16 bytes without kNotAsWritten (a superset of kSpecial) at once: a run may end
    // early, at a byte the tests below then copy as it is.
    while (run_end + 17 <= md.size()) {
      if (uint32_t m = NotAsWrittenMask(md.data() + run_end); m != 0) {
        run_end += std::countr_zero(m);
        break;
      }
      run_end += 16;
    }
#endif
    while (run_end < md.size() && !kSpecial[static_cast<unsigned char>(md[run_end])]) ++run_end;
    if (run_end > i) {
      out.append(md.data() + i, run_end - i);
      i = run_end;
      continue;
    }
    char c = md[i];
    if (c == '\\' || c == '<' || c == '`') links_complete = false;
    if (c == '\\' && i + 1 < md.size() &&
        absl::ascii_ispunct(static_cast<unsigned char>(md[i + 1]))) {
      out.push_back(md[i + 1]);
      i += 2;
      continue;
    }
    if (c == '<' && absl::StartsWith(md.substr(i), "<!--")) {
      size_t end = scanner.Find("-->", i + 4);
      i = end == absl::string_view::npos ? md.size() : end + 3;
      continue;
    }
    if (c == '`') {
      size_t run = 0;
      while (i + run < md.size() && md[i + run] == '`') ++run;
      size_t close = scanner.CodeSpanClose(i, run);
      if (close != absl::string_view::npos) {
        absl::string_view code = absl::StripAsciiWhitespace(md.substr(i + run, close - i - run));
        out.append(code.data(), code.size());
        i = close + run;
      } else {
        out.append(md.data() + i, run);
        i += run;
      }
      continue;
    }
    if (c == '[' || c == '!') {
      if (std::optional<LinkScanner::LinkParts> l = scanner.LinkAt(i); l.has_value()) {
        if (links != nullptr) links->push_back(*l);
        if (!l->alias.empty()) {
          // Aliases nest ("[[[a](b)](c)](d)"); past a few levels they are kept as written.
          if (depth < kMaxAliasDepth) {
            StripMarkdownInto(l->alias, depth + 1, out);  // collapsed on its own
          } else {
            out.append(l->alias.data(), l->alias.size());
          }
        } else if (l->kind == Link::Kind::kWikilink || l->kind == Link::Kind::kEmbed) {
          const TargetParts t = SplitTargetView(l->target);
          out.append(t.target.data(), t.target.size());
          if (!t.heading.empty()) absl::StrAppend(&out, " > ", t.heading);
        } else if (l->kind == Link::Kind::kExternal) {
          out.append(l->target.data(), l->target.size());
        } else {
          const std::string decoded = UrlDecode(l->target);
          const TargetParts t = SplitTargetView(decoded);
          out.append(t.target.data(), t.target.size());
        }
        i = l->span.end;
        continue;
      }
    }
    if (c == '*' || c == '~' || c == '=') {
      size_t run = 0;
      while (i + run < md.size() && md[i + run] == c) ++run;
      bool prev_space = i == 0 || md[i - 1] == ' ' || md[i - 1] == '\t' || md[i - 1] == '\n';
      bool next_space =
          i + run >= md.size() || md[i + run] == ' ' || md[i + run] == '\t' || md[i + run] == '\n';
      bool delimiter = (c == '*' || run == 2) && !(prev_space && next_space);
      if (delimiter) {
        i += run;
        continue;
      }
      out.append(md.data() + i, run);
      i += run;
      continue;
    }
    if (c == '_') {
      size_t run = 0;
      while (i + run < md.size() && md[i + run] == '_') ++run;
      bool prev_word = i > 0 && is_word(md[i - 1]);
      bool next_word = i + run < md.size() && is_word(md[i + run]);
      if (prev_word && next_word) {
        out.append(md.data() + i, run);  // snake_case
      }
      i += run;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  // Collapse ASCII white space runs to one space and drop them at both ends, in place (writes
  // never pass reads); keep other characters (NBSP) for the normalizer. Runs of other bytes
  // move down only once something before them was dropped: most texts have single spaces.
  if (NotAsWrittenAt(absl::string_view(out).substr(base)) == absl::string_view::npos) {
    return links_complete;  // nothing to collapse
  }
  static constexpr auto kSpace = [] {
    std::array<bool, 256> t{};
    for (unsigned char ch : std::string_view(" \t\n\r")) t[ch] = true;
    return t;
  }();
  auto space_at = [&](size_t k) { return kSpace[static_cast<unsigned char>(out[k])]; };
  const size_t size = out.size();
  size_t w = base, r = base;
  while (r < size && space_at(r)) ++r;
  while (r < size) {
    size_t e = r;
    while (e < size && !space_at(e)) ++e;
    if (w != r) std::memmove(out.data() + w, out.data() + r, e - r);
    w += e - r;
    r = e;
    while (r < size && space_at(r)) ++r;
    if (r < size) out[w++] = ' ';
  }
  out.resize(w);
  return links_complete;
}

}  // namespace

std::string StripMarkdown(absl::string_view md) { return StripMarkdownImpl(md, 0); }

void Fact::set_marker(absl::string_view m) {
  marker_size_ = static_cast<uint8_t>(std::min(m.size(), kMaxMarker));
  std::memcpy(marker_, m.data(), marker_size_);
}

const std::string& SectionOf(const Note& note, const Fact& fact) {
  static const std::string* const kNone = new std::string();
  return fact.heading >= 0 ? note.headings[fact.heading].text : *kNone;
}

std::vector<std::string> SectionPath(const Note& note, const Fact& fact) {
  // The headings open at the fact: its innermost one, then each earlier heading of a lower
  // level than the last one taken (the parser's stack of open headings).
  std::vector<std::string> path;
  int level = 7;
  for (int h = fact.heading; h >= 0; --h) {
    if (note.headings[h].level >= level) continue;
    level = note.headings[h].level;
    path.push_back(note.headings[h].text);
  }
  std::reverse(path.begin(), path.end());
  return path;
}

Note ParseNote(absl::string_view path, absl::string_view content) {
  return ParseNoteOwned(path, std::string(content));
}

Note ParseNoteOwned(absl::string_view path, std::string content) {
  Note note;
  note.path = std::string(path);
  note.content = std::move(content);
  absl::string_view data = note.content;
  // Lists used only while parsing, kept from note to note by each thread (most notes are
  // small; a list grown past kKeepScratch entries by a large one is let go of at the end).
  struct PendingHeading {
    int level;
    absl::string_view text;  // unstripped
  };
  struct PendingItem {
    ListMarker marker;
    int heading;  // Fact::heading
    int parent;   // Fact::parent
    int depth;    // Fact::depth
  };
  struct Scratch {
    std::vector<Line> lines;
    std::vector<Block> blocks;
    std::vector<PendingHeading> headings;
    std::vector<PendingItem> items;
    std::vector<std::pair<int, int>> list_stack;     // (indent, fact index)
    std::vector<LinkScanner::LinkParts> link_parts;  // of one fact
  };
  static thread_local Scratch scratch;
  std::vector<Line>& lines = scratch.lines;
  std::vector<Block>& blocks = scratch.blocks;
  std::vector<PendingHeading>& headings = scratch.headings;
  std::vector<PendingItem>& items = scratch.items;
  std::vector<std::pair<int, int>>& list_stack = scratch.list_stack;
  blocks.clear();
  headings.clear();
  items.clear();
  list_stack.clear();
  SplitLines(data, lines);
  // Before each return: the blocks into the note, exactly sized.
  auto finish = [&] {
    note.blocks.assign(blocks.begin(), blocks.end());
    constexpr size_t kKeepScratch = 1 << 16;
    if (lines.capacity() > kKeepScratch) scratch = Scratch();
  };
  note.has_bom = absl::StartsWith(data, "\xEF\xBB\xBF");
  note.crlf = !lines.empty() && lines[0].end > lines[0].text_end + 1;
  if (note.has_bom && !lines.empty()) {
    lines[0].text.remove_prefix(3);
  }
  const int n = static_cast<int>(lines.size());
  blocks.reserve(lines.size());  // at most a block a line
  auto line_span = [&](int a, int b) { return ByteSpan(lines[a].begin, lines[b].end); };
  // Lines a..b as a block (`fact`: its index in Note::facts, for a list item).

  int i = 0;
  // Frontmatter: "---" on the first line, closed by "---" or "...".
  if (n > 0 && RTrim(lines[0].text) == "---") {
    int close = -1;
    for (int k = 1; k < n; ++k) {
      absl::string_view t = RTrim(lines[k].text);
      if (t == "---" || t == "...") {
        close = k;
        break;
      }
    }
    if (close < 0) {
      note.diagnostics.push_back({Diagnostic::Severity::kError, note.path, 1, 1,
                                  "frontmatter opened with '---' is never closed"});
      note.fully_parsed = false;
      AppendBlock(lines, BlockKind::kFrontmatter, 0, n - 1, -1, blocks);
      finish();
      return note;
    }
    note.frontmatter.present = true;
    note.frontmatter.span = line_span(0, close);
    note.frontmatter.raw =
        close > 1 ? std::string(data.substr(lines[1].begin, lines[close].begin - lines[1].begin))
                  : "";
    bool ok = true;
    ParseFrontmatter(note.path, 2, &note.frontmatter, &note.diagnostics, &ok);
    if (!ok) note.fully_parsed = false;
    AppendBlock(lines, BlockKind::kFrontmatter, 0, close, -1, blocks);
    for (const FrontmatterKey& key : note.frontmatter.keys) {
      if (key.key == "source_ref" && !key.value.empty()) {
        Link link;
        link.kind = Link::Kind::kSourceRef;
        SplitTarget(key.value, &link);
        link.line = key.line;
        size_t lb = lines[key.line - 1].begin;
        link.span = ByteSpan(lb, lines[key.line - 1].text_end);
        note.links.push_back(std::move(link));
      }
    }
    i = close + 1;
  }

  // The body is read in two passes: the first cuts it into blocks, noting what the second needs
  // of headings and list items; the second makes the headings, facts and links, block after
  // block, into lists sized beforehand.

  while (i < n) {
    absl::string_view t = lines[i].text;
    Fence fence;
    int level;
    absl::string_view htext;
    ListMarker lm;
    // Each test below holds only for lines that start (after the indent) with one of the bytes
    // it is asked for; the others are not asked.
    const size_t k = FirstByte(t);
    const char c0 = k < t.size() ? t[k] : 0;
    // A bullet with text after it (most list items) is no rule: a rule has nothing but its
    // marker bytes and blanks.
    const bool bullet_text = k + 2 < t.size() && BulletItemAt(t, k) && t[k + 2] != c0 &&
                             t[k + 2] != ' ' && t[k + 2] != '\t';
    if (k == t.size()) {  // blank
      int j = i;
      while (j + 1 < n && IsBlank(lines[j + 1].text)) ++j;
      AppendBlock(lines, BlockKind::kBlank, i, j, -1, blocks);
      i = j + 1;
    } else if ((c0 == '`' || c0 == '~') && FenceOpen(t, &fence)) {
      int j = i + 1;
      while (j < n && !FenceClose(lines[j].text, fence)) ++j;
      if (j >= n) j = n - 1;
      AppendBlock(lines, BlockKind::kCode, i, j, -1, blocks);
      list_stack.clear();
      i = j + 1;
    } else if (c0 == '#' && HeadingLine(t, &level, &htext)) {
      headings.push_back({level, htext});
      AppendBlock(lines, BlockKind::kHeading, i, i, -1, blocks);
      list_stack.clear();
      ++i;
    } else if (c0 == '<' && CommentStart(t)) {
      int j = i;
      while (j < n && lines[j].text.find("-->") == absl::string_view::npos) ++j;
      if (j >= n) j = n - 1;
      AppendBlock(lines, BlockKind::kHtmlComment, i, j, -1, blocks);
      i = j + 1;
    } else if ((c0 == '-' || c0 == '*' || c0 == '_') && !bullet_text && RuleLine(t)) {
      AppendBlock(lines, BlockKind::kRule, i, i, -1, blocks);
      list_stack.clear();
      ++i;
    } else if ((c0 == '-' || c0 == '*' || c0 == '+' || absl::ascii_isdigit(c0)) &&
               ListItemLine(t, &lm)) {
      int j = i;
      while (j + 1 < n && !StartsBlock(lines[j + 1].text)) ++j;
      const int index = static_cast<int>(items.size());
      while (!list_stack.empty() && list_stack.back().first >= lm.indent) list_stack.pop_back();
      items.push_back({lm, static_cast<int>(headings.size()) - 1,
                       list_stack.empty() ? -1 : list_stack.back().second,
                       static_cast<int>(list_stack.size())});
      list_stack.emplace_back(lm.indent, index);
      AppendBlock(lines, BlockKind::kListItem, i, j, index, blocks);
      i = j + 1;
    } else if ((c0 == '>' || c0 == '|') && (QuoteLine(t) || TableLine(t))) {
      bool quote = QuoteLine(t);
      int j = i;
      while (j + 1 < n && (quote ? QuoteLine(lines[j + 1].text) : TableLine(lines[j + 1].text))) {
        ++j;
      }
      AppendBlock(lines, quote ? BlockKind::kQuote : BlockKind::kTable, i, j, -1, blocks);
      i = j + 1;
    } else {
      int j = i;
      while (j + 1 < n && !StartsBlock(lines[j + 1].text)) ++j;
      AppendBlock(lines, BlockKind::kParagraph, i, j, -1, blocks);
      size_t indent_bytes;
      if (Indent(t, &indent_bytes) == 0) list_stack.clear();
      i = j + 1;
    }
  }

  note.headings.reserve(headings.size());
  note.facts.reserve(items.size());
  for (const Block& b : blocks) {
    const int a = b.line_begin - 1;
    const int z = b.line_end - 1;
    if (b.kind == BlockKind::kHeading) {
      const PendingHeading& ph = headings[note.headings.size()];
      Heading& h = note.headings.emplace_back();
      h.level = ph.level;
      StripMarkdownInto(ph.text, 0, h.text);
      h.line = a + 1;
      h.span = b.span;
      const absl::string_view t = lines[a].text;
      for (Link& l : ExtractLinks(t, t.data() - data.data(), a + 1)) {
        note.links.push_back(std::move(l));
      }
    } else if (b.kind == BlockKind::kParagraph) {
      absl::string_view para = data.substr(lines[a].begin, lines[z].text_end - lines[a].begin);
      for (Link& l : ExtractLinks(para, lines[a].begin, a + 1)) note.links.push_back(std::move(l));
    } else if (b.kind == BlockKind::kListItem) {
      const PendingItem& item = items[b.fact];
      Fact& fact = note.facts.emplace_back();
      fact.index = b.fact;
      fact.heading = item.heading;
      fact.line = a + 1;
      fact.line_end = z + 1;
      fact.span = b.span;
      fact.set_marker(item.marker.marker);
      fact.indent = item.marker.indent;
      fact.parent = item.parent;
      fact.depth = item.depth;
      size_t text_begin =
          static_cast<size_t>(lines[a].text.data() - data.data()) + item.marker.text_offset;
      absl::string_view first(data.data() + text_begin, lines[a].text_end - text_begin);
      if (first.size() >= 3 && first[0] == '[' && first[2] == ']' &&
          (first.size() == 3 || first[3] == ' ' || first[3] == '\t')) {
        fact.task = true;
        fact.task_state = first[1];
        size_t skip = 3;
        while (skip < first.size() && (first[skip] == ' ' || first[skip] == '\t')) ++skip;
        text_begin += skip;
      }
      fact.text_span = ByteSpan(text_begin, std::max(text_begin, lines[z].text_end));
      const absl::string_view raw(data.data() + fact.text_span.begin, fact.text_span.size());
      // Plain text (most facts) has no '<' of an ignore comment and no '[' of a link.
      const size_t markup = NotAsWrittenAt(raw);
      if (markup == absl::string_view::npos) {
        fact.display_begin = static_cast<uint32_t>(fact.text_span.begin);
        fact.display_size = static_cast<uint32_t>(raw.size());
      } else {
        fact.display_in_content = false;
        fact.display_begin = static_cast<uint32_t>(note.displays.size());
        std::vector<LinkScanner::LinkParts>& parts = scratch.link_parts;
        parts.clear();
        // The links met while stripping are ExtractLinks' when StripMarkupInto says so (most
        // facts): the text is not walked a second time.
        const bool links_complete = StripMarkupInto(raw, markup, 0, note.displays, &parts);
        fact.display_size = static_cast<uint32_t>(note.displays.size() - fact.display_begin);
        fact.ignored = absl::StrContains(raw, "<!-- factdedup:ignore -->");
        std::vector<Link> links =
            links_complete ? MaterializeLinks(raw, parts, fact.text_span.begin, fact.line)
                           : ExtractLinks(raw, fact.text_span.begin, fact.line);
        fact.links_begin = static_cast<uint32_t>(note.links.size());
        fact.links_size = static_cast<uint32_t>(links.size());
        note.links.insert(note.links.end(), std::make_move_iterator(links.begin()),
                          std::make_move_iterator(links.end()));
      }
    }
  }
  // Found block after block, the links are sorted already but in odd cases (source_ref keys
  // out of line order); sorting a sorted list would still move every link.
  auto by_begin = [](const Link& a, const Link& b) { return a.span.begin < b.span.begin; };
  if (!std::is_sorted(note.links.begin(), note.links.end(), by_begin)) {
    std::stable_sort(note.links.begin(), note.links.end(), by_begin);
    // A fact's links lie within its text, in text order, and no other link does: still a run,
    // now from the first link at or after its text's start.
    for (Fact& fact : note.facts) {
      if (fact.links_size == 0) continue;
      fact.links_begin = static_cast<uint32_t>(
          std::lower_bound(note.links.begin(), note.links.end(), fact.text_span.begin,
                           [](const Link& l, uint32_t at) { return l.span.begin < at; }) -
          note.links.begin());
    }
  }
  // A vault's notes stay in memory for the whole run: no growth slack in their lists (up to
  // half of each; 1M facts take 76 MB of Fact records alone).
  note.facts.shrink_to_fit();
  note.links.shrink_to_fit();
  note.headings.shrink_to_fit();
  note.displays.shrink_to_fit();
  finish();
  return note;
}

std::string RenderNote(const Note& note) {
  std::string out;
  out.reserve(note.content.size());
  for (const Block& b : note.blocks) out.append(note.content, b.span.begin, b.span.size());
  return out;
}

}  // namespace factdedup::provenance
