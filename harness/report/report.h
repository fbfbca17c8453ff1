// The morning report of a run: report.md (Mustache template templates/report.md.mustache), report.html (one
// self-contained file, inline CSS and SVG, no script), summary.json (docs/summary-schema.md) and junit.xml (a testcase
// per generation). Renderers are pure functions of ReportData; write_reports() gathers and writes all four atomically.
// Thread-safety: renderers are reentrant; write_reports() only reads the store (through its lock) and writes files.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "harness/report/report_data.h"

namespace harness {

// A report that cannot be produced: template missing or invalid, a file that cannot be written.
class ReportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class ReportFormat { md, html, json, junit };
std::optional<ReportFormat> report_format_from(std::string_view name);  // md | html | json | junit
std::string_view report_file_name(ReportFormat format);                  // report.md | ... | junit.xml

// The first thing the report says, the same in every format.
struct Headline {
  bool fix_found = false;
  std::string title;   // "Validated fix found" | "No validated fix" | "Run interrupted: no validated fix yet" | ...
  std::string detail;  // by whom, or how far the run got
  std::string status;  // "run <id>: completed, exit 0, 1 validated fix found"
  std::string resume_hint;  // the command that continues an interrupted run, else empty
  std::string warning;      // what the reader must know first (agents ran unconfined), else empty
  // Agents whose CLI's stated cost and the price table disagree (ReportData::cost_disagreements), else empty.
  std::string cost_note;
};
Headline make_headline(const ReportData& d);

// Where templates/report.md.mustache is: under harness_home() ($HARNESS_HOME, else the source tree).
std::string report_template_path();

std::string render_markdown(const ReportData& d);  // throws ReportError (template)
std::string render_markdown(const ReportData& d, const std::string& template_text);
std::string render_html(const ReportData& d);
std::string render_summary_json(const ReportData& d);
// summary.json as a value (the dashboard adds its live figures to it; render_summary_json prints it).
nlohmann::ordered_json summary_json(const ReportData& d);
std::string render_junit(const ReportData& d);
std::string render_report(const ReportData& d, ReportFormat format);

// The SVG convergence chart (observations accumulated, validated and partial fixes per generation).
std::string render_convergence_svg(const ReportData& d);

struct ReportWriteResult {
  std::vector<std::string> written;  // paths, in format order
  std::string error;                 // empty when every file was written
  bool ok() const { return error.empty(); }
};

// Writes report.md, report.html, summary.json and junit.xml of `data` into data.run_dir (each via a temporary file and rename,
// so a reader never sees half a report). Never throws: a failure is returned, the files already written stay.
ReportWriteResult write_reports(const ReportData& data);
// Gathers, then writes as above. The loop calls this after every generation (a partial report) and at the end,
// with its own open store.
ReportWriteResult write_reports(const std::string& run_dir, trace::Store& store);
// The same, opening `run_dir`/run.db read-only (the CLI; a run may be going on in another process).
ReportWriteResult write_reports(const std::string& run_dir);

// "runs/x/" -> "runs/x": paths inside the run dir are built by appending "/name".
std::string strip_trailing_slashes(std::string dir);

// Writes `text` to `path` atomically (temporary file in the same folder, fsync, rename). Throws ReportError.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace harness
