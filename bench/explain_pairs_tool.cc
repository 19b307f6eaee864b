// explain_pairs_tool: prints the verified score of labeled pairs, for calibrating the engine.
// Reads "label<TAB>text1<TAB>text2" lines on stdin; prints one line per pair with the label,
// the verdict, similarity, Jaccard, containment, bigram overlap, the vetoes and the texts.
//
//   python3 data/gold/check_gold.py --pairs | explain_pairs_tool | grep '^1 no'
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "dedup/engine.h"

int main() {
  factdedup::dedup::DedupOptions options;
  factdedup::dedup::Normalizer normalizer(options.normalize);
  std::string line;
  while (std::getline(std::cin, line)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() < 3) continue;
    absl::StatusOr<factdedup::dedup::PairScore> s =
        factdedup::dedup::ScorePair(normalizer, f[1], f[2], options);
    if (!s.ok()) {
      std::cout << "error: " << s.status().message() << "\n";
      continue;
    }
    std::string vetoes;
    if (s->values_disagree) vetoes += " values";
    if (s->names_disagree) vetoes += " names";
    if (s->entities_differ) vetoes += " entities";
    if (s->order_flipped) vetoes += " order";
    std::cout << absl::StrFormat("%s %s sim=%.3f jac=%.3f cont=%.3f big=%.3f%s\n  A: %s\n  B: %s\n",
                                 f[0], s->IsDuplicate(options) ? "dup" : "no", s->similarity,
                                 s->jaccard, s->containment, s->bigram, vetoes, f[1], f[2]);
  }
  return 0;
}
