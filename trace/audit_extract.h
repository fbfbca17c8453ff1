// What an audit reads out of tool calls: the shell command a bash/shell tool ran (from its clipped JSON arguments),
// the simple commands inside a compound command line, and the hosts a command or fetch contacts. A small quoting-aware
// shell splitter, not a shell: it errs towards finding more commands and hosts, never fewer. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace trace {

// True for tool names that run shell commands (bash, Bash, shell, exec_command, command_execution, ...).
bool is_command_tool(std::string_view tool_name);
// True for tool names that fetch a URL (WebFetch, web_fetch, fetch).
bool is_fetch_tool(std::string_view tool_name);
// Both lists, lower-cased: what an audit selects tool spans by.
std::vector<std::string> audited_tool_names();
// "CASE WHEN <lower(name) is one of both lists> THEN json_extract(attributes, <the arguments>) END": the arguments of a
// tool span an audit reads, as the store's index spans_tool_uses and the audit's query both spell it (SQLite reads
// an indexed expression from the index only when the query spells it alike). Changing the lists means renaming
// that index, so that older stores get the new one.
std::string audited_tool_arguments_sql();

// The command line in a tool call's arguments: {"command": "..."}, {"cmd": [...]} (["bash", "-lc", X] gives X),
// a JSON string, or, when the arguments are not JSON (clipped), the raw text itself.
std::string command_from_arguments(std::string_view arguments);
// The URL in a fetch tool's arguments ({"url": ...}); empty if none.
std::string url_from_arguments(std::string_view arguments);

// `cd x && make | tee log; $(curl y)` -> {"cd x", "make", "tee log", "curl y"}: split on unquoted ; & && || | and
// newlines, with $(...) and `...` substitutions checked as commands of their own; leading VAR=value dropped.
std::vector<std::string> split_shell_commands(std::string_view command_line);
// Words of one simple command, quotes removed.
std::vector<std::string> shell_words(std::string_view command);

// Lower-cased host of a URL ("https://user@Api.Example.com:8443/x" -> "api.example.com"); empty if none.
std::string url_host(std::string_view url);
// Hosts a simple command contacts: every URL argument, and for curl/wget also bare host arguments.
std::vector<std::string> hosts_in_command(std::string_view command);

}  // namespace trace
