#include "trace/json_view.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "trace/json_parse.h"

namespace trace {
namespace {


void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool hex4(std::string_view s, size_t at, uint32_t& out) {
  if (at + 4 > s.size()) return false;
  uint32_t v = 0;
  for (size_t i = at; i < at + 4; ++i) {
    char c = s[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= c - '0';
    else if (c >= 'a' && c <= 'f')
      v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v |= c - 'A' + 10;
    else
      return false;
  }
  out = v;
  return true;
}

}  // namespace

bool JsonDoc::fail(std::string_view what) {
  error_ = fmt::format("{} at byte {}", what, pos_);
  return false;
}

void JsonDoc::skip_space() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    ++pos_;
  }
}

bool JsonDoc::parse(std::string_view text) {
  text_ = text;
  pos_ = 0;
  tokens_.clear();
  unescaped_.clear();
  error_.clear();
  if (text.size() >= UINT32_MAX) return fail("text too long");
  skip_space();
  if (!value(0)) {
    tokens_.clear();
    return false;
  }
  skip_space();
  if (pos_ != text_.size()) {
    tokens_.clear();
    return fail("unexpected text after the JSON value");
  }
  return true;
}

bool JsonDoc::string() {
  // pos_ is at the opening quote. Find the closing one a memchr at a time: only a quote preceded by an even
  // run of backslashes ends the string.
  const char* base = text_.data();
  size_t start = pos_ + 1, p = start;
  while (true) {
    const void* q = std::memchr(base + p, '"', text_.size() - p);
    if (!q) return fail("unterminated string");
    size_t at = static_cast<const char*>(q) - base;
    size_t slashes = 0;
    while (at - slashes > start && base[at - slashes - 1] == '\\') ++slashes;
    if (slashes % 2 == 0) {
      bool escaped = std::memchr(base + start, '\\', at - start) != nullptr;
      uint32_t index = static_cast<uint32_t>(tokens_.size());
      tokens_.push_back({JsonView::Type::string, escaped, static_cast<uint32_t>(start),
                         static_cast<uint32_t>(at), index + 1, 0});
      pos_ = at + 1;
      return true;
    }
    p = at + 1;
  }
}

bool JsonDoc::value(int depth) {
  if (depth > kMaxJsonDepth) return fail("nesting too deep");  // the limit every JSON reader keeps
  if (pos_ >= text_.size()) return fail("unexpected end");
  char c = text_[pos_];
  if (c == '"') return string();
  if (c == '{' || c == '[') {
    bool object = c == '{';
    char close = object ? '}' : ']';
    uint32_t index = static_cast<uint32_t>(tokens_.size());
    tokens_.push_back({object ? JsonView::Type::object : JsonView::Type::array, false,
                       static_cast<uint32_t>(pos_), 0, 0, 0});
    ++pos_;
    skip_space();
    uint32_t count = 0;
    if (pos_ < text_.size() && text_[pos_] == close) {
      ++pos_;
    } else {
      while (true) {
        if (object) {
          if (pos_ >= text_.size() || text_[pos_] != '"') return fail("expected a member name");
          if (!string()) return false;
          skip_space();
          if (pos_ >= text_.size() || text_[pos_] != ':') return fail("expected ':'");
          ++pos_;
          skip_space();
        }
        if (!value(depth + 1)) return false;
        ++count;
        skip_space();
        if (pos_ >= text_.size()) return fail("unexpected end");
        if (text_[pos_] == ',') {
          ++pos_;
          skip_space();
          continue;
        }
        if (text_[pos_] != close) return fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
        ++pos_;
        break;
      }
    }
    Token& t = tokens_[index];
    t.end = static_cast<uint32_t>(pos_);
    t.next = static_cast<uint32_t>(tokens_.size());
    t.count = count;
    return true;
  }
  size_t start = pos_;
  uint32_t index = static_cast<uint32_t>(tokens_.size());
  auto literal = [&](std::string_view word, JsonView::Type type) {
    if (text_.substr(pos_, word.size()) != word) return fail("invalid literal");
    pos_ += word.size();
    tokens_.push_back({type, false, static_cast<uint32_t>(start), static_cast<uint32_t>(pos_), index + 1, 0});
    return true;
  };
  if (c == 't') return literal("true", JsonView::Type::boolean);
  if (c == 'f') return literal("false", JsonView::Type::boolean);
  if (c == 'n') return literal("null", JsonView::Type::null);
  if (c == '-' || (c >= '0' && c <= '9')) {
    ++pos_;
    while (pos_ < text_.size()) {
      char d = text_[pos_];
      if (!((d >= '0' && d <= '9') || d == '.' || d == 'e' || d == 'E' || d == '+' || d == '-')) break;
      ++pos_;
    }
    double check;
    auto r = std::from_chars(text_.data() + start, text_.data() + pos_, check);
    if (r.ptr != text_.data() + pos_ && r.ec != std::errc::result_out_of_range) return fail("invalid number");
    tokens_.push_back({JsonView::Type::number, false, static_cast<uint32_t>(start),
                       static_cast<uint32_t>(pos_), index + 1, 0});
    return true;
  }
  return fail("unexpected character");
}

std::string_view JsonDoc::unescape(const Token& t, size_t limit) const {
  std::string_view s = text_.substr(t.start, t.end - t.start);
  std::string& out = unescaped_.emplace_back();
  out.reserve(std::min(s.size(), limit));
  for (size_t i = 0; i < s.size() && out.size() < limit; ++i) {
    char c = s[i];
    if (c != '\\') {
      // The run up to the next escape at once (agents' output is long text with an escape per line).
      const void* backslash = std::memchr(s.data() + i, '\\', s.size() - i);
      size_t run = (backslash ? static_cast<const char*>(backslash) - s.data() : s.size()) - i;
      run = std::min(run, limit - out.size());
      out.append(s.data() + i, run);
      i += run - 1;  // the loop's ++i steps past the run
      continue;
    }
    if (i + 1 >= s.size()) {
      out += c;
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        uint32_t cp;
        if (!hex4(s, i + 1, cp)) {
          out += "\\u";
          break;
        }
        i += 4;
        uint32_t low;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u' &&
            hex4(s, i + 3, low) && low >= 0xDC00 && low <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
          cp = 0xFFFD;  // a lone surrogate has no UTF-8 form
        }
        append_utf8(out, cp);
        break;
      }
      default:
        out += e;  // \" \\ \/ and anything unknown: the character itself
    }
  }
  return out;
}

JsonView::Type JsonView::type() const { return doc_ ? doc_->tokens_[i_].type : Type::invalid; }

JsonView JsonView::operator[](std::string_view key) const {
  if (type() != Type::object) return {};
  for (auto it = begin(), e = end(); it != e; ++it)
    if (it.key() == key) return *it;
  return {};
}

std::string_view JsonView::str(size_t limit) const {
  if (type() != Type::string) return {};
  const auto& t = doc_->tokens_[i_];
  if (t.escaped) return doc_->unescape(t, limit);
  return doc_->text_.substr(t.start, t.end - t.start);
}

int64_t JsonView::int64() const {
  if (type() != Type::number) return 0;
  std::string_view s = raw();
  int64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return v;
  double d = number();
  if (d >= 9.2e18) return INT64_MAX;
  if (d <= -9.2e18) return INT64_MIN;
  return static_cast<int64_t>(d);
}

double JsonView::number() const {
  if (type() != Type::number) return 0;
  std::string_view s = raw();
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool JsonView::boolean() const {
  return type() == Type::boolean && doc_->text_[doc_->tokens_[i_].start] == 't';
}

std::string_view JsonView::raw() const {
  if (!doc_) return {};
  const auto& t = doc_->tokens_[i_];
  if (t.type == Type::string) return doc_->text_.substr(t.start - 1, t.end - t.start + 2);
  return doc_->text_.substr(t.start, t.end - t.start);
}

size_t JsonView::size() const {
  Type ty = type();
  return ty == Type::object || ty == Type::array ? doc_->tokens_[i_].count : 0;
}

Json JsonView::to_json() const {
  switch (type()) {
    case Type::invalid:
    case Type::null:
      return nullptr;
    case Type::boolean:
      return boolean();
    case Type::string:
      return std::string(str());
    case Type::number: {
      std::string_view s = raw();
      int64_t v;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return v;
      return number();
    }
    case Type::array: {
      Json out = Json::array();
      for (JsonView v : *this) out.push_back(v.to_json());
      return out;
    }
    case Type::object: {
      Json out = Json::object();
      for (auto it = begin(), e = end(); it != e; ++it) out[std::string(it.key())] = (*it).to_json();
      return out;
    }
  }
  return nullptr;
}

JsonView::Iterator JsonView::begin() const {
  Type ty = type();
  if (ty != Type::object && ty != Type::array) return end();
  return Iterator(doc_, i_ + 1, ty == Type::object);
}

JsonView::Iterator JsonView::end() const {
  if (!doc_) return Iterator(nullptr, 0, false);
  return Iterator(doc_, doc_->tokens_[i_].next, type() == Type::object);
}

JsonView::Iterator& JsonView::Iterator::operator++() {
  i_ = doc_->tokens_[value_index()].next;
  return *this;
}

std::string_view JsonView::Iterator::key() const { return JsonView(doc_, i_).str(); }

}  // namespace trace
