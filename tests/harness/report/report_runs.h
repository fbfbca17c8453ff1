// Two hand-written runs for the report tests, with figures small enough to add up by hand (see report_runs.cpp):
// a finished run of 3 generations × 3 agents that found two fixes, and a run interrupted in its second generation.
#pragma once

#include <string>
#include <vector>

#include "harness/report/report_data.h"

namespace harness_test {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // 2023-11-14T22:13:20Z

std::vector<harness::ReportObservation> finished_run_observations();
// Fills `dir`; with `observations_table` the observations also go into an `observations` table in run.db.
void fill_finished_run(const std::string& dir, bool observations_table);

std::vector<harness::ReportObservation> interrupted_run_observations();
void fill_interrupted_run(const std::string& dir);

// The winner's trace tree, as the report must print it.
extern const char* const kFinishedRunWinnerTree;

}  // namespace harness_test
