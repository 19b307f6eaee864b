#include "provenance/internal/yaml_limits.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace factdedup::provenance::internal {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Whether a token may start after `last`, the line's last non-space character before it (0 at
// the start of the line): only there do '*' begin an alias, a quote a quoted scalar and '|'
// or '>' a block scalar ("a: b 'c" and "a: x *y" are plain scalars).
bool TokenStart(char last) {
  return last == 0 || last == ':' || last == '-' || last == '?' || last == '[' || last == '{' ||
         last == ',';
}

// Scans YAML line by line, tracking quoted scalars, block scalars, the indentation stack of
// block collections and the depth of flow collections. With `quotes` false, quotes are not
// tracked at all (every character counts): the fallback when a quote never closes, so that
// a quote the check saw where YAML sees none cannot hide what follows it.
class Scanner {
 public:
  Scanner(const YamlLimits& limits, bool quotes) : limits_(limits), quotes_(quotes) {}

  bool in_quote() const { return quote_ != 0; }

  absl::Status Line(absl::string_view text) {
    size_t indent = 0;
    while (indent < text.size() && text[indent] == ' ') ++indent;
    const bool blank = indent == text.size() || text[indent] == '#';
    if (block_scalar_indent_ >= 0) {  // literal text of a "|" or ">" scalar
      if (blank || static_cast<int>(indent) > block_scalar_indent_) return absl::OkStatus();
      block_scalar_indent_ = -1;
    }
    if (quote_ == 0 && flow_ == 0 && !blank) {
      while (!indents_.empty() && indents_.back() > indent) indents_.pop_back();
      if (indents_.empty() || indents_.back() < indent) indents_.push_back(indent);
      // "- - x" and "? x" open a nested collection on the same line.
      size_t pos = indent;
      while (pos + 1 < text.size() && (text[pos] == '-' || text[pos] == '?') &&
             IsSpace(text[pos + 1])) {
        pos += 2;
        while (pos < text.size() && IsSpace(text[pos])) ++pos;
        if (indents_.back() < pos) indents_.push_back(pos);
      }
    }
    if (absl::Status s = Depth(); !s.ok()) return s;
    return Chars(text, indent);
  }

 private:
  absl::Status Depth() const {
    if (static_cast<int>(indents_.size()) + flow_ > limits_.max_depth) {
      return absl::InvalidArgumentError(
          absl::StrCat("YAML nested deeper than ", limits_.max_depth, " levels"));
    }
    return absl::OkStatus();
  }

  absl::Status Chars(absl::string_view text, size_t indent) {
    char last = 0;  // the last non-space character outside quotes on this line
    for (size_t i = indent; i < text.size(); ++i) {
      const char c = text[i];
      if (quote_ != 0) {
        if (quote_ == '"' && c == '\\') {
          ++i;
        } else if (c == quote_) {
          if (quote_ == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
            ++i;  // '' inside single quotes
          } else {
            quote_ = 0;
            last = c;
          }
        }
        continue;
      }
      if (IsSpace(c)) continue;
      if (c == '#' && (i == indent || IsSpace(text[i - 1]))) break;  // comment
      if (quotes_ && (c == '"' || c == '\'') && TokenStart(last)) {
        quote_ = c;
        continue;
      }
      if (c == '[' || c == '{') {
        ++flow_;
        if (absl::Status s = Depth(); !s.ok()) return s;
      } else if ((c == ']' || c == '}') && flow_ > 0) {
        --flow_;
      } else if (c == '*' && TokenStart(last) && i + 1 < text.size() && !IsSpace(text[i + 1])) {
        if (++aliases_ > limits_.max_aliases) {
          return absl::InvalidArgumentError(
              absl::StrCat("more than ", limits_.max_aliases, " YAML aliases (*name)"));
        }
      } else if ((c == '|' || c == '>') && flow_ == 0 && TokenStart(last) &&
                 BlockScalarHeader(text.substr(i + 1))) {
        block_scalar_indent_ = static_cast<int>(indent);
        break;
      }
      last = c;
    }
    return absl::OkStatus();
  }

  // After '|' or '>': optional indicators ("-", "+", a digit) then nothing or a comment.
  static bool BlockScalarHeader(absl::string_view rest) {
    size_t i = 0;
    while (i < rest.size() &&
           (rest[i] == '-' || rest[i] == '+' || (rest[i] >= '1' && rest[i] <= '9'))) {
      ++i;
    }
    while (i < rest.size() && IsSpace(rest[i])) ++i;
    return i == rest.size() || rest[i] == '#';
  }

  const YamlLimits& limits_;
  const bool quotes_;
  std::vector<size_t> indents_;
  int flow_ = 0;
  int aliases_ = 0;
  char quote_ = 0;
  int block_scalar_indent_ = -1;
};

absl::Status Scan(absl::string_view yaml, const YamlLimits& limits, bool quotes, int* line,
                  bool* open_quote) {
  Scanner scanner(limits, quotes);
  *line = 1;
  size_t pos = 0;
  while (pos <= yaml.size()) {
    size_t nl = yaml.find('\n', pos);
    if (nl == absl::string_view::npos) nl = yaml.size();
    absl::string_view text = yaml.substr(pos, nl - pos);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (absl::Status s = scanner.Line(text); !s.ok()) return s;
    pos = nl + 1;
    ++*line;
  }
  *open_quote = scanner.in_quote();
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckYamlLimits(absl::string_view yaml, const YamlLimits& limits, int* line) {
  *line = 1;
  if (yaml.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "YAML of ", yaml.size(), " bytes is over the limit of ", limits.max_bytes, " bytes"));
  }
  bool open_quote = false;
  absl::Status s = Scan(yaml, limits, /*quotes=*/true, line, &open_quote);
  if (s.ok() && open_quote) s = Scan(yaml, limits, /*quotes=*/false, line, &open_quote);
  return s;
}

}  // namespace factdedup::provenance::internal
