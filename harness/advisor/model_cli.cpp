// ask_model_cli: see model_cli.h. Both CLIs are run the way the runner presets run them (runners/claude-code.yaml,
// runners/codex.yaml), minus every tool: an advisor reads the digest in its prompt and answers, nothing else.
#include "harness/advisor/model_cli.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "observer/shell_command.h"
#include "trace/json_parse.h"
#include "trace/json_text.h"

namespace fs = std::filesystem;

namespace harness {
namespace {

using Json = nlohmann::json;

std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A text on one line, at most 200 bytes, for an error message (never cut inside a UTF-8 sequence).
std::string preview(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= 200) break;
  }
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  return out;
}

template <typename Fn>
void for_each_json_line(std::string_view output, Fn&& fn) {
  size_t pos = 0;
  while (pos < output.size()) {
    size_t end = output.find('\n', pos);
    if (end == std::string_view::npos) end = output.size();
    std::string_view line = output.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos || line.front() != '{') continue;
    Json j = trace::parse_untrusted_json(line);
    if (j.is_object()) fn(j);
  }
}

std::string string_at(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ModelAnswer claude_answer(ModelAnswer a) {
  Json result;
  for_each_json_line(a.output, [&](const Json& j) {
    if (string_at(j, "type") == "result") result = j;
  });
  if (result.is_null()) {
    a.error = "printed no result line";
    return a;
  }
  std::string text = string_at(result, "result");
  if (result.value("is_error", false) || string_at(result, "subtype") != "success") {
    a.error = fmt::format("ended with {}: {}", string_at(result, "subtype"), preview(text));
    return a;
  }
  if (auto it = result.find("structured_output"); it != result.end() && it->is_object()) {
    a.answer = trace::json_text(*it);
    return a;
  }
  // An older CLI, or a model that never called the tool: its text is the answer, for the caller's validation to
  // judge (and refuse with a reason the retry can quote).
  a.answer = text;
  return a;
}

ModelAnswer codex_answer(ModelAnswer a) {
  std::string message, failure;
  bool have_message = false;
  for_each_json_line(a.output, [&](const Json& j) {
    std::string type = string_at(j, "type");
    if (type == "item.completed" && j.contains("item") && j["item"].is_object() &&
        string_at(j["item"], "type") == "agent_message") {
      message = string_at(j["item"], "text");
      have_message = true;
    } else if (type == "turn.failed" && j.contains("error") && j["error"].is_object()) {
      failure = string_at(j["error"], "message");
    } else if (type == "error") {
      failure = string_at(j, "message");
    }
  });
  if (!have_message) {
    a.error = failure.empty() ? "printed no agent message" : "failed: " + preview(failure);
    return a;
  }
  a.answer = message;
  return a;
}

}  // namespace

std::optional<ModelCli> model_cli_from(std::string_view name) {
  if (name == "claude-code") return ModelCli::claude_code;
  if (name == "codex") return ModelCli::codex;
  return std::nullopt;
}

std::string_view to_string(ModelCli cli) { return cli == ModelCli::codex ? "codex" : "claude-code"; }

std::string model_cli_command(const ModelQuestion& q, const std::string& schema_path) {
  std::string model = q.model.empty() ? "" : " --model " + sh_quote(q.model);
  if (q.cli == ModelCli::claude_code)
    return fmt::format(
        "mkdir -p \"$CLAUDE_CONFIG_DIR\" && exec \"${{CLAUDE_BIN:-claude}}\" -p --output-format stream-json --verbose "
        "--json-schema \"$(cat {})\" --tools '' --max-turns 4{}",
        sh_quote(schema_path), model);
  return fmt::format(
      "mkdir -p \"$CODEX_HOME\" && exec \"${{CODEX_BIN:-codex}}\" exec --json --skip-git-repo-check --disable plugins "
      "--sandbox read-only --output-schema {} -c model_provider=harness -c model_providers.harness.name=harness "
      "-c \"model_providers.harness.base_url=${{OPENAI_BASE_URL:-https://api.openai.com/v1}}\" "
      "-c model_providers.harness.wire_api=responses "
      "-c \"model_providers.harness.env_key=${{CODEX_API_KEY_ENV:-OPENAI_API_KEY}}\"{} -",
      sh_quote(schema_path), model);
}

ModelAnswer ask_model_cli(const ModelQuestion& q) {
  ModelAnswer a;
  std::error_code ec;
  fs::create_directories(q.work_dir, ec);
  std::string schema_path = (fs::path(q.work_dir) / "answer-schema.json").string();
  {
    std::ofstream out(schema_path, std::ios::binary | std::ios::trunc);
    out << q.schema.dump();
    if (!out) {
      a.error = fmt::format("cannot write the answer schema {}", schema_path);
      return a;
    }
  }
  observer::ShellCommandOptions opts;
  opts.timeout_s = q.timeout_s;
  opts.max_output_bytes = q.max_output_bytes;
  opts.cwd = q.work_dir;
  opts.env = q.env;
  opts.stop = q.stop;
  if (q.cli == ModelCli::claude_code) {
    opts.env["CLAUDE_CONFIG_DIR"] = (fs::path(q.work_dir) / "claude").string();
    for (const char* off : {"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "DISABLE_AUTOUPDATER", "DISABLE_TELEMETRY",
                            "DISABLE_ERROR_REPORTING"})
      opts.env[off] = "1";
  } else {
    opts.env["CODEX_HOME"] = (fs::path(q.work_dir) / "codex").string();
  }
  observer::ShellCommandResult run = observer::run_shell_command(model_cli_command(q, schema_path), q.prompt, opts);
  a.output = std::move(run.output);
  a.stderr_tail = std::move(run.stderr_tail);
  if (!run.ok()) {
    a.error = run.error;
    a.stopped = run.stopped;
    // A CLI that exited on an API error says why on stdout (Codex's turn.failed, Claude Code's error result);
    // that beats the last line of stderr, often a warning.
    if (run.exit_code > 0 && !run.timed_out && !run.stopped) {
      std::string why = answer_from_output(q.cli, a.output).error;
      if (!why.empty() && why.rfind("printed no", 0) != 0)
        a.error = fmt::format("exited with status {}: {}", run.exit_code, why);
    }
    return a;
  }
  ModelAnswer answered = answer_from_output(q.cli, std::move(a.output));
  answered.stderr_tail = std::move(a.stderr_tail);
  return answered;
}

ModelAnswer answer_from_output(ModelCli cli, std::string output) {
  ModelAnswer a;
  a.output = std::move(output);
  return cli == ModelCli::claude_code ? claude_answer(std::move(a)) : codex_answer(std::move(a));
}

}  // namespace harness
