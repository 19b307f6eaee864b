// bare_pass_tool: the floor for an end-to-end scan. Reads every .md note under a folder,
// splits it into tokens (runs of letters and digits, ASCII-folded bytes >= 0x80 kept in
// tokens) and hashes each token with XXH3, on N threads (files dealt round-robin by size).
// Nothing else: no parsing, no normalization, no sketches.
//
//   bare_pass_tool VAULT [--threads N]     prints "files=.. bytes=.. tokens=.. seconds=.."
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "xxhash.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bare_pass_tool VAULT [--threads N]\n";
    return 2;
  }
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  if (argc == 4 && std::string(argv[2]) == "--threads" && absl::SimpleAtoi(argv[3], &threads) &&
      threads <= 0) {
    threads = static_cast<int>(std::thread::hardware_concurrency());
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(argv[1])) {
    if (e.is_regular_file() && e.path().extension() == ".md") files.push_back(e.path());
  }
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> bytes{0}, tokens{0}, digest{0};
  auto work = [&] {
    std::string buf;
    uint64_t b = 0, t = 0, d = 0;
    for (size_t i; (i = next.fetch_add(1)) < files.size();) {
      std::ifstream in(files[i], std::ios::binary);
      buf.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      b += buf.size();
      size_t s = 0;
      for (size_t k = 0; k <= buf.size(); ++k) {
        const unsigned char c = k < buf.size() ? static_cast<unsigned char>(buf[k]) : ' ';
        const bool word =
            (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c >= 0x80;
        if (word) continue;
        if (k > s) {
          d ^= XXH3_64bits(buf.data() + s, k - s);
          ++t;
        }
        s = k + 1;
      }
    }
    bytes += b;
    tokens += t;
    digest ^= d;
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(work);
  for (std::thread& th : pool) th.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << absl::StrFormat("files=%d bytes=%d tokens=%d digest=%016x seconds=%.3f\n",
                               files.size(), bytes.load(), tokens.load(), digest.load(), seconds);
  return 0;
}
