#include "provenance/internal/simple_yaml.h"

#include <algorithm>
#include <array>

#include "absl/container/flat_hash_set.h"

namespace factdedup::provenance::internal {
namespace {

constexpr bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Characters of a plain scalar after its first: no indicator that could start a comment, a
// mapping, a flow collection, an alias or a tag, no quote that could look like a string.
constexpr auto kPlainChar = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    t[c] = IsAlpha(ch) || IsDigit(ch) || ch == ' ' || ch == '_' || ch == '.' || ch == '/' ||
           ch == '+' || ch == '-' || ch == '(' || ch == ')' || ch == '\'';
  }
  return t;
}();
bool PlainChar(char c) { return kPlainChar[static_cast<unsigned char>(c)]; }

// `s` (without its line break and trailing spaces) as a one-line scalar in the subset: a plain
// scalar starting with a letter, digit or '_' that is not a null word, or a single- or
// double-quoted string of printable ASCII with no quote, backslash or escape inside.
bool Scalar(absl::string_view s, std::string* out) {
  if (s.empty()) return false;
  const char q = s.front();
  if (q == '\'' || q == '"') {
    if (s.size() < 2 || s.back() != q) return false;
    const absl::string_view inner = s.substr(1, s.size() - 2);
    for (char c : inner) {
      if (c < 0x20 || c > 0x7E || c == q || c == '\\' || c == '\'' || c == '"') return false;
    }
    out->assign(inner.data(), inner.size());
    return true;
  }
  if (!IsAlpha(q) && !IsDigit(q) && q != '_') return false;
  for (char c : s.substr(1)) {
    if (!PlainChar(c)) return false;
  }
  if (s == "null" || s == "Null" || s == "NULL") return false;
  out->assign(s.data(), s.size());
  return true;
}

absl::string_view TrimTrailingSpaces(absl::string_view s) {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

bool ParseSimpleYaml(absl::string_view yaml, std::vector<SimpleYamlKey>* keys) {
  keys->clear();
  if (yaml.empty()) return true;
  if (yaml.back() != '\n') return false;  // the frontmatter's lines all end with one
  yaml.remove_suffix(1);
  // Keys read so far, to refuse a repeated one: looked through while they are few (most
  // frontmatter has a handful), in a hash set from kFewKeys on (a note may have thousands).
  constexpr size_t kFewKeys = 16;
  absl::string_view few[kFewKeys];
  absl::flat_hash_set<absl::string_view> seen;
  keys->reserve(8);
  int item_indent = -1;  // of the current list's items, once one is read
  int line = 0;
  for (size_t begin = 0; begin <= yaml.size(); ++line) {
    size_t end = yaml.find('\n', begin);
    if (end == absl::string_view::npos) end = yaml.size();
    const absl::string_view raw = yaml.substr(begin, end - begin);
    begin = end + 1;
    const absl::string_view text = TrimTrailingSpaces(raw);
    if (text.empty()) return false;
    size_t indent = 0;
    while (indent < text.size() && text[indent] == ' ') ++indent;
    if (text.size() > indent + 1 && text[indent] == '-' && text[indent + 1] == ' ') {
      // An item of the list the last key opened (at one indentation for all its items).
      if (keys->empty() || !keys->back().is_list) return false;
      if (item_indent < 0) item_indent = static_cast<int>(indent);
      if (static_cast<int>(indent) != item_indent) return false;
      std::string item;
      absl::string_view v = text.substr(indent + 2);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      if (!Scalar(v, &item)) return false;
      keys->back().items.push_back(std::move(item));
      continue;
    }
    if (indent != 0 || !(IsAlpha(text[0]) || text[0] == '_')) return false;
    // A list opened by the last key needs an item before the next key (else it is null).
    if (!keys->empty() && keys->back().is_list && keys->back().items.empty()) {
      keys->back().is_list = false;
    }
    item_indent = -1;
    size_t colon = 1;
    while (colon < text.size() && (IsAlpha(text[colon]) || IsDigit(text[colon]) ||
                                   text[colon] == '_' || text[colon] == '-')) {
      ++colon;
    }
    if (colon >= text.size() || text[colon] != ':') return false;
    const absl::string_view key = text.substr(0, colon);
    if (key == "null" || key == "Null" || key == "NULL") return false;  // a null key
    const size_t count = keys->size();
    if (count < kFewKeys) {
      if (std::find(few, few + count, key) != few + count) return false;
      few[count] = key;
    } else {
      if (count == kFewKeys) seen.insert(few, few + kFewKeys);
      if (!seen.insert(key).second) return false;
    }
    SimpleYamlKey k;
    k.key = std::string(key);
    k.line = line;
    absl::string_view rest = text.substr(colon + 1);
    if (rest.empty()) {
      k.is_list = true;  // a list if items follow; null otherwise (fixed above and below)
    } else {
      if (rest.front() != ' ') return false;
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      if (!Scalar(rest, &k.value)) return false;
    }
    keys->push_back(std::move(k));
  }
  if (!keys->empty() && keys->back().is_list && keys->back().items.empty()) {
    keys->back().is_list = false;
  }
  return true;
}

}  // namespace factdedup::provenance::internal
