#include "trace/query_format.h"

#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace trace {
namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

std::string format_duration_ms(int64_t ms) {
  if (ms < 0) return "-";
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms / 100) / 10.0);
  int64_t s = ms / 1000;
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
}

std::string format_offset_ns(int64_t ns) {
  int64_t ms = ns / 1'000'000;
  const char* sign = ms < 0 ? "-" : "+";
  int64_t a = ms < 0 ? -ms : ms;
  return fmt::format("{}{}.{:03}s", sign, a / 1000, a % 1000);
}

std::string format_count(int64_t n) {
  if (n < 0) return "-" + format_count(-n);
  if (n < 1000) return std::to_string(n);
  static const char* kUnits[] = {"k", "M", "G", "T"};
  double v = static_cast<double>(n);
  int unit = -1;
  while (v >= 999.95 && unit < 3) {
    v /= 1000.0;
    ++unit;
  }
  // Truncate rather than round so 1999 prints 1.9k, never a misleading 2.0k.
  double shown = std::floor(v * 10.0) / 10.0;
  return fmt::format("{:.1f}{}", shown, kUnits[unit]);
}

std::string format_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string format_cost(double usd) {
  return usd < 100 ? fmt::format("${:.4f}", usd) : fmt::format("${:.2f}", usd);
}

std::string format_utc_ns(int64_t ns) {
  std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
  int64_t ms = (ns % 1'000'000'000) / 1'000'000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

std::string plural(int64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", format_thousands(n), noun, n == 1 ? "" : "s");
}

double round_cost(double usd) { return std::round(usd * 1e9) / 1e9; }

std::string short_id(std::string_view span_id) { return std::string(span_id.substr(0, 8)); }

size_t display_width(std::string_view utf8) {
  size_t n = 0;
  for (unsigned char c : utf8)
    if (!is_continuation(c)) ++n;
  return n;
}

std::string one_line(std::string_view text, size_t max_width) {
  // Collapse first (stopping once past the limit), then clip on a code point boundary.
  std::string out;
  size_t width = 0;
  bool space = false;
  for (size_t i = 0; i < text.size() && width <= max_width; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (c < 0x20 || c == 0x7F) continue;  // other control bytes would garble a terminal
    if (space) {
      out += ' ';
      ++width;
      space = false;
    }
    if (!is_continuation(c)) ++width;
    out += static_cast<char>(c);
  }
  if (width <= max_width) return out;
  size_t keep = max_width > 0 ? max_width - 1 : 0, seen = 0, cut = 0;
  for (; cut < out.size(); ++cut) {
    if (!is_continuation(static_cast<unsigned char>(out[cut])) && seen++ == keep) break;
  }
  out.resize(cut);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "…";
}

std::string pad_right(std::string_view text, size_t width) {
  std::string out(text);
  size_t w = display_width(text);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::string pad_left(std::string_view text, size_t width) {
  size_t w = display_width(text);
  std::string out = w < width ? std::string(width - w, ' ') : std::string();
  out += text;
  return out;
}

}  // namespace trace
