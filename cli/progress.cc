#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace factdedup::cli {

Progress::Settings Progress::FromArgs(const ParsedArgs& args) {
  Settings s;
  if (args.Has("quiet")) return s;
  s.live = isatty(STDERR_FILENO) == 1 && !args.Has("json");
  s.summary = s.live || args.Has("timings");
  return s;
}

Progress::Progress(Settings settings)
    : settings_(settings), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { Clear(); }

double Progress::Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Progress::Update(absl::string_view what, int64_t done, int64_t total) {
  if (!settings_.live) return;
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  const bool last = total >= 0 && done >= total;
  if (drawn_ && !last && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  std::string line = total >= 0 ? absl::StrFormat("%s %d/%d", what, done, total)
                                : absl::StrFormat("%s %d", what, done);
  std::fprintf(stderr, "\r\033[Kfactdedup: %s", line.c_str());
  std::fflush(stderr);
}

std::function<void(int64_t, int64_t)> Progress::Counter(std::string what) {
  if (!settings_.live) return nullptr;
  return [this, what = std::move(what)](int64_t done, int64_t total) { Update(what, done, total); };
}

void Progress::StageDone(absl::string_view stage, double seconds, absl::string_view detail) {
  std::lock_guard<std::mutex> lock(mu_);
  stages_.push_back(absl::StrFormat("%s %.2fs%s", stage, seconds,
                                    detail.empty() ? "" : absl::StrCat(" (", detail, ")")));
}

void Progress::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

void Progress::Finish(absl::string_view headline) {
  Clear();
  if (!settings_.summary) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(stderr, "factdedup: %s: %s; total %.2fs\n", std::string(headline).c_str(),
               absl::StrJoin(stages_, ", ").c_str(), Since(start_));
}

std::string HumanCount(int64_t n) {
  if (n >= 1000000) return absl::StrFormat("%.1fM", static_cast<double>(n) / 1e6);
  if (n >= 10000) return absl::StrFormat("%.1fk", static_cast<double>(n) / 1e3);
  return absl::StrCat(n);
}

}  // namespace factdedup::cli
