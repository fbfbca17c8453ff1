// What the Slurm launcher says to srun and reads back from it: the command line, the job id, Slurm's error
// lines. Pure functions (see slurm_launcher.h); thread-safe.
#include <cctype>
#include <string>
#include <regex>

#include "runners/slurm_launcher.h"

namespace runners {
namespace {

// Each line of `text`, without its newline; with `complete_only`, a last line without its newline (srun may be
// writing it right now) is left out.
template <class Fn>
void for_each_line(std::string_view text, Fn fn, bool complete_only = false) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos && complete_only) return;
    if (end == std::string_view::npos) end = text.size();
    fn(text.substr(pos, end - pos));
    pos = end + 1;
  }
}

}  // namespace

std::vector<std::string> srun_argv(const SlurmOptions& options, const LaunchSpec& spec) {
  // --verbose: srun then names the job id even when the allocation is granted at once (without it, only a
  // pending job is named). --unbuffered: the agent's output reaches the live decoder as it is written.
  std::vector<std::string> argv = {options.srun, "--verbose", "--unbuffered", "--nodes=1", "--ntasks=1"};
  if (!spec.job_name.empty()) argv.push_back("--job-name=" + spec.job_name);
  if (!spec.job_comment.empty()) argv.push_back("--comment=" + spec.job_comment);
  if (!spec.cwd.empty()) argv.push_back("--chdir=" + spec.cwd);
  argv.push_back("--cpus-per-task=" + std::to_string(options.cpus));
  if (!options.partition.empty()) argv.push_back("--partition=" + options.partition);
  if (!options.time.empty()) argv.push_back("--time=" + options.time);
  if (!options.mem.empty()) argv.push_back("--mem=" + options.mem);
  // The task's stdin is /dev/null unless the spec names a file (srun forwards its own stdin then).
  if (spec.stdin_path.empty()) argv.push_back("--input=none");
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  argv.push_back("--");
  argv.insert(argv.end(), spec.argv.begin(), spec.argv.end());
  return argv;
}

std::optional<std::string> parse_job_id(std::string_view srun_stderr) {
  static const std::regex patterns[] = {
      std::regex(R"(^srun: jobid (\d+)[: ])"),
      std::regex(R"(^srun: job (\d+) (queued|has been allocated))"),
      std::regex(R"(^srun: Granted job allocation (\d+)\s*$)"),
  };
  std::optional<std::string> found;
  for_each_line(srun_stderr, [&](std::string_view line) {
    if (found) return;
    std::match_results<std::string_view::const_iterator> match;
    for (const auto& pattern : patterns) {
      if (std::regex_search(line.begin(), line.end(), match, pattern)) {
        found = match[1].str();
        return;
      }
    }
  }, true);
  return found;
}

std::string slurm_error_lines(std::string_view srun_stderr) {
  static const std::regex own_exit(R"(task \d+: Exited with exit code \d+\s*$)");
  std::string joined;
  for_each_line(srun_stderr, [&](std::string_view line) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    bool srun_error = line.rfind("srun: error: ", 0) == 0;
    bool stepd_error = line.rfind("slurmstepd", 0) == 0 && line.find(": error: ") != std::string_view::npos;
    if (!srun_error && !stepd_error) return;
    if (std::regex_search(line.begin(), line.end(), own_exit)) return;
    if (joined.size() > 1000) return;  // the first lines say what happened; a flood says nothing more
    if (!joined.empty()) joined += "; ";
    joined += line;
  });
  return joined;
}

}  // namespace runners
