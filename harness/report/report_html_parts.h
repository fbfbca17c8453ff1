// The table and list sections of report.html (report_html.cpp assembles the page). Pure functions, reentrant.
#pragma once

#include <string>

#include "harness/report/report_data.h"

namespace harness {

std::string html_path_section(const ReportData& d);          // what each generation learned, tried, ruled out
std::string html_tally_sections(const ReportData& d);        // per generation and per strategy tables
std::string html_observations_section(const ReportData& d);  // top observations with their evidence
std::string html_agents_section(const ReportData& d);        // every attempt, one <details> per generation
// This run beside the runs it started from, and the failures it shares with them ("" when it started blind).
std::string html_compared_section(const ReportData& d);

}  // namespace harness
