#include "trace/time_parse.h"

#include <charconv>
#include <ctime>

namespace trace {
namespace {
bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}
// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm): no timegm/locale dependence.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
}  // namespace

std::optional<int64_t> parse_iso8601_ns(std::string_view s) {
  int Y, M, D, h, m, sec;
  if (!digits(s, 0, 4, Y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, M) || s[7] != '-' ||
      !digits(s, 8, 2, D) || (s[10] != 'T' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, m) || s[16] != ':' || !digits(s, 17, 2, sec))
    return std::nullopt;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  // Epoch nanoseconds in an int64 span the years 1678..2261: others would overflow (undefined behaviour).
  if (Y < 1678 || Y > 2261) return std::nullopt;
  size_t p = 19;
  int64_t frac_ns = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int64_t scale = 100000000;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      frac_ns += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
    }
  }
  int64_t offset_s = 0;
  if (p < s.size()) {
    if (s[p] == 'Z' || s[p] == 'z') {
      ++p;
    } else if (s[p] == '+' || s[p] == '-') {
      int oh = 0, om = 0;
      if (!digits(s, p + 1, 2, oh)) return std::nullopt;
      size_t q = p + 3;
      if (q < s.size() && s[q] == ':') ++q;
      digits(s, q, 2, om);
      offset_s = (oh * 3600 + om * 60) * (s[p] == '+' ? 1 : -1);
    }
  }
  int64_t days = days_from_civil(Y, M, D);
  int64_t secs = days * 86400 + h * 3600 + m * 60 + sec - offset_s;
  return secs * 1000000000LL + frac_ns;
}

std::optional<int64_t> json_time_ns(const Json& v) {
  if (v.is_string()) return parse_iso8601_ns(v.get_ref<const std::string&>());
  if (v.is_number()) {
    double x = v.get<double>();
    // Before 1970, NaN, or past int64 nanoseconds: no time (casting such a double is undefined, and a time near
    // INT64_MIN overflowed the span arithmetic after it).
    if (!(x >= 0)) return std::nullopt;
    double ns = x < 1e11 ? x * 1e9     // seconds
                : x < 1e14 ? x * 1e6   // milliseconds
                : x < 1e17 ? x * 1e3   // microseconds
                           : x;        // nanoseconds
    if (ns >= 9.2e18) return std::nullopt;
    return static_cast<int64_t>(ns);
  }
  return std::nullopt;
}

std::optional<int64_t> unix_nano(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    int64_t out = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return out;
  }
  return std::nullopt;
}

}  // namespace trace
