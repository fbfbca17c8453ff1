#include "trace/audit_policy.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace trace {
namespace {

constexpr size_t kMaxPolicyBytes = 4 << 20;

// Thrown inside the parser only; turned into the Result's failure at its edge.
struct PolicyError {
  std::string message;
};

std::string where(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null()) return source;
  return fmt::format("{}:{}:{}", source, mark.line + 1, mark.column + 1);
}

[[noreturn]] void fail(const std::string& source, const YAML::Node& node, const std::string& what) {
  throw PolicyError{fmt::format("{}: {}", where(source, node.Mark()), what)};
}

std::vector<std::string> string_list(const std::string& source, const YAML::Node& node, const std::string& key) {
  if (node.IsNull()) return {};
  if (!node.IsSequence())
    fail(source, node, fmt::format("{} must be a list of patterns, e.g. [\"src/**\"]", key));
  std::vector<std::string> out;
  for (const YAML::Node& item : node) {
    if (!item.IsScalar()) fail(source, item, fmt::format("{} must hold strings only", key));
    if (item.Scalar().empty()) fail(source, item, fmt::format("{} holds an empty pattern", key));
    out.push_back(item.Scalar());
  }
  return out;
}

void rule_set(const std::string& source, const YAML::Node& node, RuleSet& rules) {
  if (node.IsNull()) return;
  if (!node.IsMap()) fail(source, node, fmt::format("{} must be a mapping with keys allow and deny", rules.name));
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (key == "allow") {
      rules.allow = string_list(source, kv.second, rules.name + ".allow");
    } else if (key == "deny") {
      rules.deny = string_list(source, kv.second, rules.name + ".deny");
    } else {
      fail(source, kv.first, fmt::format("unknown key '{}' in {}, expected allow or deny", key, rules.name));
    }
  }
}

void files(const std::string& source, const YAML::Node& node, AuditPolicy& policy) {
  if (node.IsNull()) return;
  if (!node.IsMap()) fail(source, node, "files must be a mapping with keys read and write");
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (key == "read") {
      rule_set(source, kv.second, policy.file_read);
    } else if (key == "write") {
      rule_set(source, kv.second, policy.file_write);
    } else {
      fail(source, kv.first, fmt::format("unknown key '{}' in files, expected read or write", key));
    }
  }
}

}  // namespace

base::Result<AuditPolicy> parse_audit_policy(std::string_view text, const std::string& source) {
  AuditPolicy policy;
  policy.source = source;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    std::string hint;
    if (e.msg.find("anchor") != std::string::npos || e.msg.find("alias") != std::string::npos)
      hint = " (quote patterns that start with '*', e.g. \"*.env\")";
    return base::fail(fmt::format("{}: {}{}", where(source, e.mark), e.msg, hint));
  } catch (const YAML::Exception& e) {
    return base::fail(fmt::format("{}: {}", where(source, e.mark), e.msg));
  }
  try {
    if (!root || root.IsNull())
      throw PolicyError{fmt::format("{}:1:1: the policy is empty, expected keys files, commands and/or network",
                                    source)};
    if (!root.IsMap()) fail(source, root, "the policy must be a mapping with keys files, commands and/or network");
    for (const auto& kv : root) {
      if (!kv.first.IsScalar()) fail(source, kv.first, "keys must be names: files, commands or network");
      std::string key = kv.first.Scalar();
      if (key == "files") {
        files(source, kv.second, policy);
      } else if (key == "commands") {
        rule_set(source, kv.second, policy.commands);
      } else if (key == "network") {
        rule_set(source, kv.second, policy.network);
      } else {
        fail(source, kv.first, fmt::format("unknown key '{}', expected files, commands or network", key));
      }
    }
  } catch (const PolicyError& e) {
    return base::fail(e.message);
  } catch (const YAML::Exception& e) {
    return base::fail(fmt::format("{}: {}", where(source, e.mark), e.msg));
  }
  return policy;
}

base::Result<AuditPolicy> load_audit_policy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return base::fail(fmt::format("{}: cannot read the policy: {}", path, std::strerror(errno)));
  std::string text(kMaxPolicyBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxPolicyBytes)
    return base::fail(
        fmt::format("{}: the policy is larger than {} MiB; is this the right file?", path, kMaxPolicyBytes >> 20));
  return parse_audit_policy(text, path);
}

}  // namespace trace
