#include "trace/audit_extract.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "trace/model.h"
#include "trace/json_view.h"

namespace trace {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string command_from_json(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_array()) {
    std::vector<std::string> words;
    for (const Json& w : j)
      if (w.is_string()) words.push_back(w.get<std::string>());
    static const std::set<std::string> shells = {"bash", "sh", "zsh", "dash"};
    static const std::set<std::string> flags = {"-c", "-lc", "-ic", "-lic", "-cl"};
    if (words.size() >= 3 && shells.count(basename(words[0])) && flags.count(words[1])) return words[2];
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
  }
  return "";
}

// `"key": "value...` out of JSON text that was clipped and no longer parses.
std::string string_field_of_clipped_json(std::string_view text, std::string_view key) {
  std::string quoted = "\"" + std::string(key) + "\"";
  size_t k = text.find(quoted);
  if (k == std::string_view::npos) return "";
  size_t p = k + quoted.size();
  while (p < text.size() && (text[p] == ' ' || text[p] == ':')) ++p;
  if (p >= text.size() || text[p] != '"') return "";
  std::string out;
  for (++p; p < text.size() && text[p] != '"'; ++p) {
    if (text[p] == '\\' && p + 1 < text.size()) {
      char e = text[++p];
      out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
    } else {
      out += text[p];
    }
  }
  return out;
}

// Start offsets and ends of the words of `s` (quote-aware), for dropping leading keywords and assignments.
std::vector<std::pair<size_t, size_t>> word_spans(std::string_view s) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i >= s.size()) break;
    size_t start = i;
    char quote = 0;
    for (; i < s.size(); ++i) {
      char c = s[i];
      if (quote) {
        if (c == quote) quote = 0;
        else if (c == '\\' && quote == '"') ++i;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '\\') {
        ++i;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        break;
      }
    }
    out.emplace_back(start, std::min(i, s.size()));
  }
  return out;
}

bool is_assignment(std::string_view word) {
  size_t eq = word.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  if (std::isdigit(static_cast<unsigned char>(word[0]))) return false;
  return std::all_of(word.begin(), word.begin() + eq,
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// "then rm x" -> "rm x"; "FOO=1 make" -> "make"; "fi" -> "".
std::string strip_command_prefix(std::string_view part) {
  static const std::set<std::string_view> keywords = {"if",  "then", "else", "elif", "do",   "while", "until",
                                                      "!",   "{",    "}",    "time", "fi",   "done",  "esac"};
  part = trim(part);
  for (auto [start, end] : word_spans(part)) {
    std::string_view w = part.substr(start, end - start);
    if (keywords.count(w) || is_assignment(w)) continue;
    return std::string(trim(part.substr(start)));
  }
  return "";
}

void split_into(std::string_view s, std::vector<std::string>& out, int depth) {
  std::string current;
  auto flush = [&] {
    std::string c = strip_command_prefix(current);
    if (!c.empty()) out.push_back(std::move(c));
    current.clear();
  };
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    // Command substitution runs even inside double quotes: check its content as commands of their own.
    bool subst = quote != '\'' && ((c == '$' && i + 1 < s.size() && s[i + 1] == '(') || c == '`');
    if (subst && depth < 8) {
      size_t start = c == '`' ? i + 1 : i + 2, end = start;
      if (c == '`') {
        end = s.find('`', start);
      } else {
        int level = 1;
        for (end = start; end < s.size() && level > 0; ++end) level += s[end] == '(' ? 1 : s[end] == ')' ? -1 : 0;
        if (level == 0) --end;
      }
      if (end == std::string_view::npos || end > s.size()) end = s.size();
      split_into(s.substr(start, end - start), out, depth + 1);
      size_t stop = std::min(s.size(), end + 1);
      current.append(s.substr(i, stop - i));
      i = stop - 1;
      continue;
    }
    if (quote) {
      current += c;
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < s.size()) current += s[++i];
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      current += c;
    } else if (c == '\\' && i + 1 < s.size()) {
      current += c;
      current += s[++i];
    } else if (c == ';' || c == '\n' || c == '&' || c == '|' || c == '(' || c == ')') {
      flush();
    } else {
      current += c;
    }
  }
  flush();
}

bool host_like(std::string_view word) {
  std::string_view host = word.substr(0, word.find_first_of("/:?#"));
  if (host == "localhost") return true;
  size_t dot = host.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= host.size()) return false;
  if (!std::all_of(host.begin(), host.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'; }))
    return false;
  std::string_view tld = host.substr(dot + 1);
  bool alpha_tld = tld.size() >= 2 && std::all_of(tld.begin(), tld.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  bool ipv4 = std::all_of(host.begin(), host.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; });
  return alpha_tld || ipv4;
}

}  // namespace

namespace {
const std::set<std::string> kCommandTools = {"bash",        "shell",       "sh",          "exec",
                                             "exec_command", "command_execution", "local_shell", "run_command",
                                             "run_shell_command", "terminal"};
const std::set<std::string> kFetchTools = {"webfetch", "web_fetch", "fetch", "http_request", "fetch_url"};
}  // namespace

bool is_command_tool(std::string_view name) { return kCommandTools.count(lower(name)) > 0; }
bool is_fetch_tool(std::string_view name) { return kFetchTools.count(lower(name)) > 0; }

std::vector<std::string> audited_tool_names() {
  std::vector<std::string> out(kCommandTools.begin(), kCommandTools.end());
  out.insert(out.end(), kFetchTools.begin(), kFetchTools.end());
  return out;
}

std::string audited_tool_arguments_sql() {
  // A list looked up with instr(), not `IN (...)`: SQLite builds an ephemeral table for an IN list, and this
  // expression is an index's, evaluated on every write of a tool span.
  std::string names = ",";
  for (const auto& n : audited_tool_names()) names += n + ",";
  return "CASE WHEN instr('" + names + "', ',' || lower(name) || ',') > 0 THEN json_extract(attributes, "
         "'$.\"gen_ai.tool.call.arguments\"') END";
}

namespace {
// One reader per thread, reused call after call (an audit reads a tool call's arguments per shell span).
JsonDoc& arguments_doc() {
  thread_local JsonDoc doc;
  return doc;
}
}  // namespace

std::string command_from_arguments(std::string_view arguments) {
  JsonDoc& doc = arguments_doc();
  if (!doc.parse(arguments)) {
    for (const char* key : {"command", "cmd"})
      if (std::string c = string_field_of_clipped_json(arguments, key); !c.empty()) return c;
    return std::string(arguments);
  }
  JsonView root = doc.root();
  if (root.is_object()) {
    for (const char* key : {"command", "cmd"}) {
      JsonView v = root[key];
      if (v.is_string()) return std::string(v.str());
      if (v.type() != JsonView::Type::invalid) return command_from_json(v.to_json());
    }
    return "";
  }
  return root.is_string() ? std::string(root.str()) : command_from_json(root.to_json());
}

std::string url_from_arguments(std::string_view arguments) {
  JsonDoc& doc = arguments_doc();
  if (!doc.parse(arguments)) return string_field_of_clipped_json(arguments, "url");
  JsonView root = doc.root();
  if (root.is_object() && root["url"].is_string()) return std::string(root["url"].str());
  if (root.is_string()) return std::string(root.str());
  return "";
}

std::vector<std::string> split_shell_commands(std::string_view command_line) {
  std::vector<std::string> out;
  split_into(command_line, out, 0);
  return out;
}

std::vector<std::string> shell_words(std::string_view command) {
  std::vector<std::string> out;
  for (auto [start, end] : word_spans(command)) {
    std::string word;
    char quote = 0;
    for (size_t i = start; i < end; ++i) {
      char c = command[i];
      if (quote) {
        if (c == quote) quote = 0;
        else if (c == '\\' && quote == '"' && i + 1 < end) word += command[++i];
        else word += c;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '\\' && i + 1 < end) {
        word += command[++i];
      } else {
        word += c;
      }
    }
    out.push_back(std::move(word));
  }
  return out;
}

std::string url_host(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (rest.starts_with('[')) {
    size_t close = rest.find(']');
    return close == std::string_view::npos ? "" : lower(rest.substr(1, close - 1));
  }
  rest = rest.substr(0, rest.find(':'));
  if (rest.empty() || !std::all_of(rest.begin(), rest.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
      }))
    return "";
  return lower(rest);
}

std::vector<std::string> hosts_in_command(std::string_view command) {
  // Options of curl and wget whose next word is a value (a file, a header), not a host.
  static const std::set<std::string> value_options = {
      "-o", "-H", "-d", "-X", "-u", "-A", "-e", "-T", "-F", "-b", "-c", "-w", "-m", "-K", "-E", "-r", "-C",
      "-O", "-P", "-U", "--output", "--header", "--data", "--data-raw", "--data-binary", "--data-urlencode",
      "--request", "--user", "--user-agent", "--referer", "--upload-file", "--form", "--cookie", "--cookie-jar",
      "--write-out", "--max-time", "--config", "--cert", "--range", "--output-document", "--directory-prefix",
      "--post-data", "--post-file", "--connect-timeout", "--retry"};
  std::vector<std::string> words = shell_words(command), hosts;
  if (words.empty()) return hosts;
  std::string program = basename(words[0]);
  bool fetcher = program == "curl" || program == "wget";
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    std::string host;
    if (size_t scheme = w.find("://"); scheme != std::string::npos) {
      size_t start = scheme;
      while (start > 0 && std::isalpha(static_cast<unsigned char>(w[start - 1]))) --start;
      host = url_host(std::string_view(w).substr(start));
    } else if (fetcher && !w.starts_with('-') && !value_options.count(words[i - 1]) && host_like(w)) {
      host = lower(w.substr(0, w.find_first_of("/:?#")));
    }
    if (!host.empty() && std::find(hosts.begin(), hosts.end(), host) == hosts.end()) hosts.push_back(host);
  }
  return hosts;
}

}  // namespace trace
