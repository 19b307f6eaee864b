#include "provenance/internal/diff3.h"

#include <algorithm>

namespace factdedup::provenance::internal {
namespace {

// Myers' greedy forward search over a[0, n) and b[0, m), which share no prefix or suffix.
// Returns false when the edit distance exceeds `max_cost`. Matches are appended with the
// given offsets.
bool Myers(const int* a, int n, const int* b, int m, int max_cost, int a_off, int b_off,
           std::vector<std::pair<int, int>>* out) {
  const int max = n + m;
  const int off = max + 1;
  std::vector<int> v(2 * static_cast<size_t>(max) + 3, 0);
  // trace[d] holds v[-d .. d] as it was after step d.
  std::vector<std::vector<int>> trace;
  int found = -1;
  for (int d = 0; d <= max && found < 0; ++d) {
    if (d > max_cost) return false;
    for (int k = -d; k <= d; k += 2) {
      int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
                                                                       : v[off + k - 1] + 1;
      int y = x - k;
      while (x < n && y < m && a[x] == b[y]) ++x, ++y;
      v[off + k] = x;
      if (x >= n && y >= m) found = d;
    }
    trace.emplace_back(v.begin() + off - d, v.begin() + off + d + 1);
  }
  // Walk back from (n, m), collecting the diagonal (matching) moves.
  std::vector<std::pair<int, int>> rev;
  int x = n, y = m;
  for (int d = found; d > 0; --d) {
    const std::vector<int>& prev = trace[d - 1];
    auto at = [&](int k) { return prev[k + d - 1]; };
    const int k = x - y;
    const int prev_k = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1;
    const int prev_x = at(prev_k);
    const int prev_y = prev_x - prev_k;
    // The snake after the edit: from the edit's end point up to (x, y).
    const int edit_x = prev_k == k + 1 ? prev_x : prev_x + 1;
    const int edit_y = edit_x - k;
    while (x > edit_x && y > edit_y) rev.emplace_back(--x, --y);
    x = prev_x;
    y = prev_y;
  }
  while (x > 0 && y > 0) rev.emplace_back(--x, --y);
  for (auto it = rev.rbegin(); it != rev.rend(); ++it) {
    out->emplace_back(it->first + a_off, it->second + b_off);
  }
  return true;
}

bool RangeEqual(absl::Span<const int> a, int a_begin, int a_end, absl::Span<const int> b,
                int b_begin, int b_end) {
  return a_end - a_begin == b_end - b_begin &&
         std::equal(a.begin() + a_begin, a.begin() + a_end, b.begin() + b_begin);
}

}  // namespace

int Interner::Intern(absl::string_view s) {
  auto [it, inserted] = ids_.try_emplace(std::string(s), static_cast<int>(ids_.size()));
  return it->second;
}

std::vector<std::pair<int, int>> LcsMatches(absl::Span<const int> a, absl::Span<const int> b,
                                            int max_cost) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  int pre = 0;
  while (pre < n && pre < m && a[pre] == b[pre]) ++pre;
  int suf = 0;
  while (suf < n - pre && suf < m - pre && a[n - 1 - suf] == b[m - 1 - suf]) ++suf;
  std::vector<std::pair<int, int>> matches;
  for (int i = 0; i < pre; ++i) matches.emplace_back(i, i);
  const int mn = n - pre - suf, mm = m - pre - suf;
  if (mn > 0 && mm > 0) {
    std::vector<std::pair<int, int>> middle;
    if (Myers(a.data() + pre, mn, b.data() + pre, mm, max_cost, pre, pre, &middle)) {
      matches.insert(matches.end(), middle.begin(), middle.end());
    }
  }
  for (int i = 0; i < suf; ++i) matches.emplace_back(n - suf + i, m - suf + i);
  return matches;
}

std::vector<Chunk> Diff3(absl::Span<const int> base, absl::Span<const int> ours,
                         absl::Span<const int> theirs, int max_cost) {
  const int nb = static_cast<int>(base.size());
  const int no = static_cast<int>(ours.size());
  const int nt = static_cast<int>(theirs.size());
  std::vector<int> mo(nb, -1), mt(nb, -1);
  for (auto [i, j] : LcsMatches(base, ours, max_cost)) mo[i] = j;
  for (auto [i, j] : LcsMatches(base, theirs, max_cost)) mt[i] = j;

  std::vector<Chunk> chunks;
  int b = 0, o = 0, t = 0;
  while (b < nb || o < no || t < nt) {
    Chunk c;
    c.base_begin = b, c.ours_begin = o, c.theirs_begin = t;
    while (b < nb && mo[b] == o && mt[b] == t) ++b, ++o, ++t;
    if (b > c.base_begin) {
      c.kind = Chunk::Kind::kStable;
      c.base_end = b, c.ours_end = o, c.theirs_end = t;
      chunks.push_back(c);
      continue;
    }
    int i = b;
    while (i < nb && (mo[i] < 0 || mt[i] < 0)) ++i;
    c.base_end = i;
    c.ours_end = i < nb ? mo[i] : no;
    c.theirs_end = i < nb ? mt[i] : nt;
    const bool ours_is_base =
        RangeEqual(ours, c.ours_begin, c.ours_end, base, c.base_begin, c.base_end);
    const bool theirs_is_base =
        RangeEqual(theirs, c.theirs_begin, c.theirs_end, base, c.base_begin, c.base_end);
    if (ours_is_base && theirs_is_base) {
      c.kind = Chunk::Kind::kStable;
    } else if (ours_is_base) {
      c.kind = Chunk::Kind::kTheirs;
    } else if (theirs_is_base) {
      c.kind = Chunk::Kind::kOurs;
    } else if (RangeEqual(ours, c.ours_begin, c.ours_end, theirs, c.theirs_begin, c.theirs_end)) {
      c.kind = Chunk::Kind::kSame;
    } else {
      c.kind = Chunk::Kind::kConflict;
    }
    chunks.push_back(c);
    b = c.base_end, o = c.ours_end, t = c.theirs_end;
  }
  return chunks;
}

}  // namespace factdedup::provenance::internal
