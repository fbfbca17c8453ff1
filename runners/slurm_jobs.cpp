// squeue and scancel for the Slurm launcher and for whoever cleans up after it: see slurm_launcher.h. Each call
// runs one command, bounded by options.command_timeout. Thread-safe (no shared state).
#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <sstream>

#include "runners/captured_command.h"
#include "runners/slurm_launcher.h"

namespace runners {
namespace {

std::string current_user() {
  struct passwd* entry = ::getpwuid(::geteuid());
  return entry != nullptr && entry->pw_name != nullptr ? entry->pw_name : "";
}

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

// Runs a Slurm command; on failure the error names the command and carries Slurm's own message.
CapturedOutput run(const SlurmOptions& options, std::vector<std::string> argv, std::string& error) {
  LaunchSpec spec;
  spec.argv = std::move(argv);
  CapturedOutput output;
  try {
    CaptureOptions capture;
    capture.timeout = options.command_timeout;
    capture.stderr_tail_bytes = 64 * 1024;
    output = run_captured(spec, capture);
  } catch (const LaunchError& e) {
    error = e.what();
    return output;
  }
  if (output.timed_out) {
    error = join(spec.argv) + ": no answer within " + std::to_string(options.command_timeout.count()) + " ms";
  } else if (!output.status.ok()) {
    std::string said = trimmed(output.err.empty() ? output.out : output.err);
    error = join(spec.argv) + " failed (" + output.status.describe() + ")" + (said.empty() ? "" : ": " + said);
  }
  return output;
}

}  // namespace

SlurmJobsResult find_live_jobs(const SlurmOptions& options, const std::string& job_name) {
  SlurmJobsResult result;
  // squeue's default states are the live ones (pending, running, suspended, completing, configuring).
  std::vector<std::string> argv = {options.squeue, "--noheader", "--format=%i", "--name=" + job_name};
  if (std::string user = current_user(); !user.empty()) argv.push_back("--user=" + user);
  CapturedOutput output = run(options, argv, result.error);
  if (!result.error.empty()) return result;
  std::istringstream lines(output.out);
  std::string line;
  while (std::getline(lines, line)) {
    line = trimmed(line);
    if (!line.empty()) result.job_ids.push_back(line);
  }
  return result;
}

SlurmJobsResult cancel_jobs(const SlurmOptions& options, const std::vector<std::string>& job_ids) {
  SlurmJobsResult result;
  if (job_ids.empty()) return result;
  std::vector<std::string> argv = {options.scancel};
  argv.insert(argv.end(), job_ids.begin(), job_ids.end());
  CapturedOutput output = run(options, argv, result.error);
  if (!result.error.empty() && !output.timed_out) {
    // A job that ended meanwhile (or was purged) needs no cancel: only other complaints are errors.
    std::istringstream lines(output.err);
    std::string line;
    bool other = false;
    while (std::getline(lines, line)) {
      if (trimmed(line).empty()) continue;
      if (line.find("already completing or completed") == std::string::npos &&
          line.find("Invalid job id specified") == std::string::npos)
        other = true;
    }
    if (!other && output.status.exit_code >= 0) result.error.clear();
  }
  if (result.error.empty()) result.job_ids = job_ids;
  return result;
}

}  // namespace runners
