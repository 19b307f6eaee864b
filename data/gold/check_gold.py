#!/usr/bin/env python3
"""Checks the hand-labeled gold files in data/gold/ against data/vault/.

Usage:
  python3 data/gold/check_gold.py            # check all gold files, print counts
  python3 data/gold/check_gold.py --list     # list every fact (bullet) line in the vault

A fact is a Markdown bullet line ("- ", "* ", "+ ", "1. ", task bullets "- [?] "),
possibly indented, that is not inside frontmatter or a ``` fence. Headings and
paragraphs are not facts. Lines are 1-based. Files under .obsidian/ are skipped.

Exit status: 0 if every check passed, 1 otherwise. Python 3 stdlib only.
"""

import collections
import csv
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VAULT = os.path.normpath(os.path.join(HERE, "..", "vault"))

BULLET_RE = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\S")
DEDUP_HEADER = ["label", "path1", "line1", "path2", "line2", "kind", "comment"]
CONFLICT_HEADER = ["type", "path1", "line1", "path2", "line2", "value1", "value2",
                   "comment"]
DEDUP_KINDS = {"1": {"paraphrase", "exact", "truncated", "subsumed", "mojibake"},
               "0": {"different", "conflict"}}
CONFLICT_TYPES = {"value", "polarity", "name", "acronym", "frontmatter"}
NOT_CONFLICT_TYPES = {"update", "same_value", "range", "format"}


def read_lines(rel):
  path = os.path.join(VAULT, rel)
  with open(path, "rb") as f:
    data = f.read()
  return data.decode("utf-8").split("\n")


def classify(lines):
  """Returns {line_no: kind} with kind in {'bullet', 'frontmatter', 'fence', 'other'}."""
  kinds = {}
  i = 0
  n = len(lines)
  if n and lines[0].rstrip("\r") == "---":
    kinds[1] = "frontmatter"
    i = 1
    while i < n:
      kinds[i + 1] = "frontmatter"
      if lines[i].rstrip("\r") == "---":
        i += 1
        break
      i += 1
  in_fence = False
  while i < n:
    line = lines[i].rstrip("\r")
    if line.lstrip().startswith("```"):
      kinds[i + 1] = "fence"
      in_fence = not in_fence
    elif in_fence:
      kinds[i + 1] = "fence"
    elif BULLET_RE.match(line):
      kinds[i + 1] = "bullet"
    else:
      kinds[i + 1] = "other"
    i += 1
  return kinds


class Vault(object):
  def __init__(self):
    self.cache = {}

  def get(self, rel):
    if rel not in self.cache:
      lines = read_lines(rel)
      self.cache[rel] = (lines, classify(lines))
    return self.cache[rel]

  def files(self):
    out = []
    for root, dirs, names in os.walk(VAULT):
      dirs[:] = sorted(d for d in dirs if not d.startswith("."))
      for name in sorted(names):
        if name.endswith(".md"):
          out.append(os.path.relpath(os.path.join(root, name), VAULT))
    return sorted(out)


def read_tsv(path, header):
  errors = []
  with open(path, encoding="utf-8", newline="") as f:
    rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
  if not rows or rows[0] != header:
    errors.append("%s: header is %r, want %r" % (path, rows[0] if rows else None,
                                                 header))
    return [], errors
  out = []
  for n, row in enumerate(rows[1:], start=2):
    if not row or (len(row) == 1 and not row[0].strip()):
      continue
    if len(row) != len(header):
      errors.append("%s:%d: %d columns, want %d" % (path, n, len(row), len(header)))
      continue
    out.append((n, dict(zip(header, row))))
  return out, errors


def check_ref(vault, where, rel, line, want_bullet):
  """Returns an error string or None."""
  try:
    lines, kinds = vault.get(rel)
  except (IOError, OSError):
    return "%s: no such vault file %r" % (where, rel)
  try:
    no = int(line)
  except ValueError:
    return "%s: line %r is not a number" % (where, line)
  if not 1 <= no <= len(lines):
    return "%s: %s has no line %d" % (where, rel, no)
  kind = kinds.get(no)
  if want_bullet and kind != "bullet":
    return "%s: %s:%d is %s, not a bullet: %r" % (where, rel, no, kind,
                                                  lines[no - 1][:80])
  if not want_bullet and not lines[no - 1].strip():
    return "%s: %s:%d is blank" % (where, rel, no)
  return None


def check_dedup(vault, path):
  rows, errors = read_tsv(path, DEDUP_HEADER)
  counts = collections.Counter()
  seen = {}
  for n, r in rows:
    where = "%s:%d" % (os.path.basename(path), n)
    if r["label"] not in DEDUP_KINDS:
      errors.append("%s: bad label %r" % (where, r["label"]))
      continue
    if r["kind"] not in DEDUP_KINDS[r["label"]]:
      errors.append("%s: kind %r not allowed for label %s" % (where, r["kind"],
                                                             r["label"]))
    for p, l in ((r["path1"], r["line1"]), (r["path2"], r["line2"])):
      e = check_ref(vault, where, p, l, want_bullet=True)
      if e:
        errors.append(e)
    a = (r["path1"], r["line1"])
    b = (r["path2"], r["line2"])
    if a == b:
      errors.append("%s: pairs a fact with itself" % where)
    key = tuple(sorted([a, b]))
    if key in seen:
      errors.append("%s: duplicate of row %d" % (where, seen[key]))
    seen[key] = n
    if not r["comment"].strip():
      errors.append("%s: empty comment" % where)
    counts[(r["label"], r["kind"])] += 1
  # Closure. Label-1 pairs of kind other than "subsumed" are equivalences: the
  # classes they form must be cliques (every pair listed). A "subsumed" pair
  # links two classes (the shorter fact's claim lies wholly inside the longer
  # one) without merging them, so it is not transitive; but then every fact of
  # the one class must be paired (label 1) with every fact of the other.
  # A label-0 pair must not join facts that label-1 pairs relate this way.
  parent = {}

  def find(x):
    parent.setdefault(x, x)
    while parent[x] != x:
      parent[x] = parent[parent[x]]
      x = parent[x]
    return x

  positives = set()
  links = []
  for n, r in rows:
    if r["label"] != "1":
      continue
    a = (r["path1"], r["line1"])
    b = (r["path2"], r["line2"])
    find(a)
    find(b)
    positives.add(tuple(sorted([a, b])))
    if r["kind"] == "subsumed":
      links.append((a, b))
    else:
      parent[find(a)] = find(b)
  groups = collections.defaultdict(list)
  for x in list(parent):
    groups[find(x)].append(x)
  for members in groups.values():
    members.sort()
    for i in range(len(members)):
      for j in range(i + 1, len(members)):
        if (members[i], members[j]) not in positives:
          errors.append("closure: %s:%s ~ %s:%s are in one equivalence class but "
                        "not labeled 1" % (members[i] + members[j]))
  linked = set()
  for a, b in links:
    ra, rb = find(a), find(b)
    if ra == rb or (ra, rb) in linked:
      continue
    linked.add((ra, rb))
    linked.add((rb, ra))
    for x in groups[ra]:
      for y in groups[rb]:
        if tuple(sorted([x, y])) not in positives:
          errors.append("closure: %s:%s is subsumed-linked to %s:%s (via %s:%s ~ "
                        "%s:%s) but not labeled 1" % (x + y + a + b))
  for n, r in rows:
    if r["label"] == "0":
      a = (r["path1"], r["line1"])
      b = (r["path2"], r["line2"])
      if a in parent and b in parent:
        ra, rb = find(a), find(b)
        if ra == rb or (ra, rb) in linked:
          errors.append("%s:%d: label 0 but label-1 pairs relate the two facts"
                        % (os.path.basename(path), n))
  return counts, errors, groups


def check_conflicts(vault, path, types):
  rows, errors = read_tsv(path, CONFLICT_HEADER)
  counts = collections.Counter()
  for n, r in rows:
    where = "%s:%d" % (os.path.basename(path), n)
    if r["type"] not in types:
      errors.append("%s: bad type %r" % (where, r["type"]))
    for p, l, v in ((r["path1"], r["line1"], r["value1"]),
                    (r["path2"], r["line2"], r["value2"])):
      e = check_ref(vault, where, p, l, want_bullet=False)
      if e:
        errors.append(e)
        continue
      lines, kinds = vault.get(p)
      text = lines[int(l) - 1]
      if r["type"] == "frontmatter" and kinds.get(int(l)) != "frontmatter":
        errors.append("%s: %s:%s is not a frontmatter line" % (where, p, l))
      if v.strip("'\"") not in text:
        errors.append("%s: value %r not found on %s:%s: %r" % (where, v, p, l,
                                                               text[:100]))
    counts[r["type"]] += 1
  return counts, errors


def main(argv):
  vault = Vault()
  if "--list" in argv:
    for rel in vault.files():
      lines, kinds = vault.get(rel)
      for no in sorted(kinds):
        if kinds[no] == "bullet":
          print("%s\t%d\t%s" % (rel, no, lines[no - 1]))
    return 0
  all_errors = []
  dedup = os.path.join(HERE, "dedup_pairs.tsv")
  if os.path.exists(dedup):
    counts, errors, groups = check_dedup(vault, dedup)
    all_errors += errors
    print("dedup_pairs.tsv: %d pairs" % sum(counts.values()))
    for label in ("1", "0"):
      total = sum(v for (lb, _), v in counts.items() if lb == label)
      print("  label %s: %d" % (label, total))
      for (lb, kind), v in sorted(counts.items()):
        if lb == label:
          print("    %-10s %d" % (kind, v))
    sizes = collections.Counter(len(m) for m in groups.values())
    print("  equivalence classes (subsumed links not merged): %d (sizes: %s)" % (
        len(groups), ", ".join("%dx%d" % (s, c) for s, c in sorted(sizes.items()))))
  for name, types in (("conflicts.tsv", CONFLICT_TYPES),
                      ("not_conflicts.tsv", NOT_CONFLICT_TYPES)):
    path = os.path.join(HERE, name)
    if not os.path.exists(path):
      continue
    counts, errors = check_conflicts(vault, path, types)
    all_errors += errors
    print("%s: %d rows" % (name, sum(counts.values())))
    for t, v in sorted(counts.items()):
      print("    %-12s %d" % (t, v))
  for e in all_errors:
    print("ERROR: " + e, file=sys.stderr)
  print("%d error(s)" % len(all_errors))
  return 1 if all_errors else 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
