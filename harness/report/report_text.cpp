#include "harness/report/report_text.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace harness::report_text {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
size_t utf8_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  if (n == 2 && c < 0xC2) return 0;                          // overlong
  if (n == 3 && c == 0xE0 && byte(i + 1) < 0xA0) return 0;   // overlong
  if (n == 3 && c == 0xED && byte(i + 1) >= 0xA0) return 0;  // surrogates
  if (n == 4 && c == 0xF0 && byte(i + 1) < 0x90) return 0;   // overlong
  if (n == 4 && (c > 0xF4 || (c == 0xF4 && byte(i + 1) >= 0x90))) return 0;  // beyond U+10FFFF
  return n;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

std::string time_format(int64_t ns, const char* format) {
  if (ns <= 0) return "";
  std::time_t t = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace

std::string duration(int64_t ns) {
  if (ns <= 0) return "0s";
  double s = ns / 1e9;
  if (s < 1) return fmt::format("{}ms", static_cast<int64_t>(std::llround(s * 1000)));
  if (s < 60) return fmt::format("{:.1f}s", s);
  int64_t total = static_cast<int64_t>(std::llround(s));
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

// Integer rounding (half up): 14950 is 15.0k, where printing 14.95 as a double would give 14.9k.
std::string tokens(int64_t n) {
  if (n < 1000) return std::to_string(n);
  int64_t tenths = (n + 50) / 100;
  if (tenths < 10000) return fmt::format("{}.{}k", tenths / 10, tenths % 10);
  int64_t hundredths = (n + 5000) / 10000;
  return fmt::format("{}.{:02}M", hundredths / 100, hundredths % 100);
}

std::string cost(double usd) {
  if (usd <= 0) return "$0";
  if (usd < 0.01) return fmt::format("${:.4f}", usd);
  return fmt::format("${:.2f}", usd);
}

std::string utc_time(int64_t ns) { return time_format(ns, "%Y-%m-%d %H:%M UTC"); }
std::string iso_time(int64_t ns) { return time_format(ns, "%Y-%m-%dT%H:%M:%SZ"); }
double seconds(int64_t ns) { return std::round(ns / 1e6) / 1e3; }

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_length(s, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string one_line(std::string_view s, size_t max) {
  std::string flat;
  flat.reserve(std::min(s.size(), max + 8));
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !flat.empty();
      continue;
    }
    if (space) flat += ' ';
    space = false;
    flat += c;
    if (flat.size() > max + 4) break;  // enough to know it must be cut
  }
  flat = valid_utf8(flat);
  if (flat.size() <= max) return flat;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(flat[cut]) & 0xC0) == 0x80) --cut;
  return flat.substr(0, cut) + "…";
}

std::string xml_escape(std::string_view s) {
  std::string valid = valid_utf8(s);
  std::string out;
  out.reserve(valid.size() + valid.size() / 8);
  for (char c : valid) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r')
          out += kReplacement;
        else
          out += c;
    }
  }
  return out;
}

std::string md_cell(std::string_view s, size_t max) {
  std::string line = one_line(s, max);
  std::string out;
  out.reserve(line.size());
  for (char c : line) {
    if (c == '|')
      out += "\\|";
    else if (c == '<')
      out += "&lt;";
    else
      out += c;
  }
  return out;
}

std::string md_fence(std::string_view content) {
  size_t longest = 0, run = 0;
  for (char c : content) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<size_t>(3, longest + 1), '`');
}

}  // namespace harness::report_text
