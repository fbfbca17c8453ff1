// The convergence chart as inline SVG: observations accumulated per generation (line, left axis) over validated and
// partial fixes per generation (stacked bars, right axis). Fixed viewBox, scaled by CSS; hover titles, no script.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "harness/report/report.h"
#include "harness/report/report_text.h"

namespace harness {
namespace {

constexpr double kLeft = 64, kRight = 756, kTop = 44, kBottom = 250, kWidth = 820, kHeight = 296;
constexpr const char* kObsColor = "#2563eb";
constexpr const char* kFixColor = "#16a34a";
constexpr const char* kPartialColor = "#f59e0b";
constexpr double kPartialOpacity = 0.45;  // lighter, so validated fixes stand out however many partial ones there are

// A step of 1, 2 or 5 × 10^k so that about `ticks` steps cover `max`.
int nice_step(int max, int ticks) {
  double raw = std::max(1.0, static_cast<double>(max) / ticks);
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) return std::max(1, static_cast<int>(m * magnitude));
  return static_cast<int>(10 * magnitude);
}

std::string legend_item(double x, const char* color, const char* label, bool line, double opacity = 1) {
  std::string mark = line ? fmt::format(R"(<line x1="{}" y1="16" x2="{}" y2="16" stroke="{}" stroke-width="3"/>)", x,
                                        x + 18, color)
                          : fmt::format(R"(<rect x="{}" y="10" width="14" height="12" fill="{}" fill-opacity="{}"/>)",
                                        x, color, opacity);
  return mark + fmt::format(R"(<text x="{}" y="20" font-size="12" fill="currentColor">{}</text>)", x + 24, label);
}

}  // namespace

std::string render_convergence_svg(const ReportData& d) {
  std::string svg = fmt::format(
      R"(<svg id="convergence-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" )"
      R"(aria-labelledby="chart-title" font-family="system-ui, sans-serif">)"
      R"(<title id="chart-title">Convergence: observations accumulated and validated fixes per generation</title>)",
      kWidth, kHeight);
  const int n = static_cast<int>(d.generations.size());
  if (n == 0) {
    svg += fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" fill="currentColor">No generation yet</text>)",
                       kWidth / 2, kHeight / 2);
    return svg + "</svg>";
  }
  int max_obs = 1, max_fix = 1;
  for (const auto& g : d.generations) {
    max_obs = std::max(max_obs, g.total_observations);
    max_fix = std::max(max_fix, g.tally.validated_fixes + g.tally.partial_fixes);
  }
  const int obs_step = nice_step(max_obs, 5), fix_step = nice_step(max_fix, 4);
  const int obs_top = (max_obs + obs_step - 1) / obs_step * obs_step;
  const int fix_top = (max_fix + fix_step - 1) / fix_step * fix_step;
  const double band = (kRight - kLeft) / n;
  auto x_at = [&](int i) { return kLeft + band * (i + 0.5); };
  auto y_obs = [&](double v) { return kBottom - (kBottom - kTop) * v / obs_top; };
  auto y_fix = [&](double v) { return kBottom - (kBottom - kTop) * v / fix_top; };

  svg += legend_item(kLeft, kObsColor, "observations accumulated (left axis)", true);
  svg += legend_item(kLeft + 290, kFixColor, "validated fixes (right axis)", false);
  svg += legend_item(kLeft + 500, kPartialColor, "partial fixes", false, kPartialOpacity);
  for (int v = 0; v <= obs_top; v += obs_step) {
    double y = y_obs(v);
    svg += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#8884" stroke-width="1"/>)", kLeft,
                       y, kRight, y);
    svg += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="11" text-anchor="end" fill="{}">{}</text>)",
                       kLeft - 6, y + 4, kObsColor, v);
  }
  for (int v = 0; v <= fix_top; v += fix_step)
    svg += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="11" fill="{}">{}</text>)", kRight + 6, y_fix(v) + 4,
                       kFixColor, v);
  svg += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="currentColor" stroke-width="1"/>)", kLeft,
                     kBottom, kRight);

  const int label_every = (n + 24) / 25;  // at most ~25 labels, however many generations
  const double bar = std::max(1.0, band * 0.55);
  std::string points;
  for (int i = 0; i < n; ++i) {
    const auto& g = d.generations[i];
    const double x = x_at(i);
    const std::string tip = fmt::format(
        "generation {}: {} observations ({} new, {} new important), {} validated, {} partial{}", g.number,
        g.total_observations, g.new_observations, g.new_important, g.tally.validated_fixes, g.tally.partial_fixes,
        g.status == GenerationStatus::completed ? "" : " (not finished)");
    if (g.tally.validated_fixes > 0)
      svg += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}</title></rect>)",
                         x - bar / 2, y_fix(g.tally.validated_fixes), bar, kBottom - y_fix(g.tally.validated_fixes),
                         kFixColor, tip);
    if (g.tally.partial_fixes > 0) {
      double base = y_fix(g.tally.validated_fixes), top = y_fix(g.tally.validated_fixes + g.tally.partial_fixes);
      svg += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}" fill-opacity="{}">)"
                         R"(<title>{}</title></rect>)",
                         x - bar / 2, top, bar, base - top, kPartialColor, kPartialOpacity, tip);
    }
    points += fmt::format("{}{:.1f},{:.1f}", i ? " " : "", x, y_obs(g.total_observations));
    if (i % label_every == 0 || i == n - 1)
      svg += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle" fill="currentColor">{}</text>)",
                         x, kBottom + 16, g.number);
  }
  svg += fmt::format(R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>)", points, kObsColor);
  const double dot = std::clamp(band / 5, 1.5, 4.0);
  for (int i = 0; i < n; ++i) {
    const auto& g = d.generations[i];
    svg += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{:.1f}" fill="{}"><title>generation {}: {} )"
                       R"(observations accumulated</title></circle>)",
                       x_at(i), y_obs(g.total_observations), dot, kObsColor, g.number, g.total_observations);
  }
  svg += fmt::format(R"(<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="currentColor">generation</text>)",
                     (kLeft + kRight) / 2, kBottom + 36);
  return svg + "</svg>";
}

}  // namespace harness
