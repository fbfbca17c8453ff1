#include "trace/glob.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace trace {
namespace {

struct Token {
  enum Kind { literal, any_char, star, double_star, double_star_slash, char_class };
  explicit Token(Kind k, char c = 0) : kind(k), ch(c) {}
  Kind kind;
  char ch;
  std::string set;  // for char_class: expanded members
  bool negated = false;
};

std::vector<Token> tokenize(std::string_view p) {
  std::vector<Token> out;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        bool slash = i + 2 < p.size() && p[i + 2] == '/';
        out.emplace_back(slash ? Token::double_star_slash : Token::double_star);
        i += slash ? 2 : 1;
      } else {
        out.emplace_back(Token::star);
      }
    } else if (c == '?') {
      out.emplace_back(Token::any_char);
    } else if (c == '[') {
      size_t j = i + 1;
      bool negated = j < p.size() && (p[j] == '!' || p[j] == '^');
      if (negated) ++j;
      size_t close = p.find(']', j + 1);  // a ']' right after '[' is a member
      if (close == std::string_view::npos) {
        out.emplace_back(Token::literal, c);
        continue;
      }
      Token t(Token::char_class);
      t.negated = negated;
      for (size_t k = j; k < close; ++k) {
        if (k + 2 < close && p[k + 1] == '-') {
          for (int x = static_cast<unsigned char>(p[k]); x <= static_cast<unsigned char>(p[k + 2]); ++x)
            t.set.push_back(static_cast<char>(x));
          k += 2;
        } else {
          t.set.push_back(p[k]);
        }
      }
      out.push_back(std::move(t));
      i = close;
    } else if (c == '\\' && i + 1 < p.size()) {
      out.emplace_back(Token::literal, p[++i]);
    } else {
      out.emplace_back(Token::literal, c);
    }
  }
  return out;
}

bool has_glob_chars(std::string_view p) { return p.find_first_of("*?[") != std::string_view::npos; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text, bool star_crosses_slash) {
  std::vector<Token> tokens = tokenize(pattern);
  const size_t P = tokens.size(), T = text.size();
  // match[p][t]: tokens[p..] match text[t..]. Filled from the end; each cell looks at most at three others.
  std::vector<char> match((P + 1) * (T + 1), 0);
  auto at = [&](size_t p, size_t t) -> char& { return match[p * (T + 1) + t]; };
  at(P, T) = 1;
  std::vector<char> dir_run(T + 2, 0);  // for `**/`: text[t..] starts with whole directories then matches the rest
  for (size_t p = P; p-- > 0;) {
    const Token& tok = tokens[p];
    std::fill(dir_run.begin(), dir_run.end(), 0);
    for (size_t t = T + 1; t-- > 0;) {
      bool has = t < T;
      char c = has ? text[t] : 0;
      bool crosses = star_crosses_slash || c != '/';
      bool m = false;
      switch (tok.kind) {
        case Token::literal: m = has && c == tok.ch && at(p + 1, t + 1); break;
        case Token::any_char: m = has && crosses && at(p + 1, t + 1); break;
        case Token::char_class: {
          bool in = has && tok.set.find(c) != std::string::npos;
          m = has && crosses && in != tok.negated && at(p + 1, t + 1);
          break;
        }
        case Token::star: m = at(p + 1, t) || (has && crosses && at(p, t + 1)); break;
        case Token::double_star: m = at(p + 1, t) || (has && at(p, t + 1)); break;
        case Token::double_star_slash:
          // `**/`: nothing, or any run of characters that ends with a '/' (whole directories only).
          dir_run[t] = has && ((c == '/' && at(p + 1, t + 1)) || dir_run[t + 1]);
          m = at(p + 1, t) || dir_run[t];
          break;
      }
      at(p, t) = m;
    }
  }
  return at(0, 0);
}

std::string normalize_path(std::string_view path) {
  bool absolute = path.starts_with('/');
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);  // a relative path may legitimately start above its directory
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) out.push_back('.');
  return out;
}

bool path_matches(std::string_view pattern, std::string_view raw_path) {
  std::string pat(pattern);
  if (pat.ends_with('/')) pat += "**";
  std::string path = normalize_path(raw_path);
  if (glob_match(pat, path)) return true;
  if (pat.starts_with('/')) return false;
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
    if (glob_match(pat, std::string_view(path).substr(slash + 1))) return true;
  return false;
}

bool command_matches(std::string_view pattern, std::string_view command) {
  if (has_glob_chars(pattern)) return glob_match(pattern, command, /*star_crosses_slash=*/true);
  if (!command.starts_with(pattern)) return false;
  return command.size() == pattern.size() || std::isspace(static_cast<unsigned char>(command[pattern.size()])) ||
         std::isspace(static_cast<unsigned char>(pattern.back()));
}

bool host_matches(std::string_view pattern, std::string_view host) {
  return glob_match(lower(pattern), lower(host), /*star_crosses_slash=*/true);
}

}  // namespace trace
