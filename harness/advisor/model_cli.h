// One question to a real model CLI whose answer must fit a JSON schema: Claude Code (`claude -p --json-schema`,
// the answer is the result line's structured_output) or Codex (`codex exec --output-schema`, the answer is the last
// agent message). The CLI runs with no tools, in its own folder (its CLAUDE_CONFIG_DIR / CODEX_HOME inside), bounded
// in time and output, through observer::run_shell_command. Its stdout comes back whole, so the caller can trace the
// session; it holds whatever the model printed and is never written to disk as it is. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace harness {

enum class ModelCli { claude_code, codex };
std::optional<ModelCli> model_cli_from(std::string_view name);  // "claude-code" | "codex"
std::string_view to_string(ModelCli cli);

struct ModelQuestion {
  ModelCli cli = ModelCli::claude_code;
  std::string prompt;                        // on the CLI's stdin
  nlohmann::json schema;                     // the answer's JSON schema (strict: what both CLIs accept)
  std::string model;                         // "" = the CLI's default
  std::string work_dir;                      // created when missing
  std::map<std::string, std::string> env;    // over the harness's environment (base URLs, the proxy's token)
  double timeout_s = 120;
  size_t max_output_bytes = 16u << 20;       // stdout beyond this kills the CLI (an error)
  std::function<bool()> stop;                // true ends the CLI (the harness was interrupted)
};

struct ModelAnswer {
  std::string answer;       // the answer's JSON text ("" on error)
  std::string output;       // the CLI's stdout (stream-json / exec --json lines), for tracing
  std::string error;        // "" on success; else e.g. "timed out after 120s (killed)", "printed no result line"
  std::string stderr_tail;
  bool stopped = false;     // ended by `stop`: not an answer, and nothing to record
  bool ok() const { return error.empty(); }
};

// The /bin/sh command that runs the CLI (the binary is $CLAUDE_BIN / $CODEX_BIN, else claude / codex on PATH).
std::string model_cli_command(const ModelQuestion& question, const std::string& schema_path);
ModelAnswer ask_model_cli(const ModelQuestion& question);
// The answer in a CLI's stdout: Claude Code's structured_output (else its result text), Codex's last agent message;
// `error` set when the CLI printed none or ended in an error. Pure; never throws on what the CLI printed.
ModelAnswer answer_from_output(ModelCli cli, std::string output);

}  // namespace harness
