// A fast read-only JSON reader for line-oriented decoders: one pass over a line builds a flat table of tokens
// that point into the text (nothing is copied; a string is unescaped only when it is read), so a decoder
// reads the few fields it needs out of a multi-megabyte line at memory speed. Strict about structure (a
// truncated or garbled line is refused), lenient about content (UTF-8 is not validated here; stores replace
// bad bytes when they dump). Not thread-safe: one JsonDoc per decoder, reused line after line; views die with
// the next parse().
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "trace/model.h"

namespace trace {

class JsonDoc;

class JsonView {
 public:
  enum class Type : uint8_t { invalid, null, boolean, number, string, array, object };

  JsonView() = default;
  Type type() const;
  bool is_object() const { return type() == Type::object; }
  bool is_array() const { return type() == Type::array; }
  bool is_string() const { return type() == Type::string; }
  bool is_number() const { return type() == Type::number; }
  // Present and not null.
  explicit operator bool() const { return type() != Type::invalid && type() != Type::null; }

  // The member `key` of an object; an invalid view when absent or when this is not an object.
  JsonView operator[](std::string_view key) const;
  // A string's value, unescaped (valid until the next parse); empty when this is not a string. With `limit`,
  // at most about that many bytes are unescaped: a caller that keeps a clipped copy never copies megabytes.
  std::string_view str(size_t limit = SIZE_MAX) const;
  // A number's value (truncated toward zero for int64); 0 when this is not a number.
  int64_t int64() const;
  double number() const;
  // True only for JSON true.
  bool boolean() const;
  // The value's JSON text exactly as it is in the line.
  std::string_view raw() const;
  // Number of members (object) or elements (array).
  size_t size() const;
  // A copy as nlohmann JSON, for small values kept whole in attributes.
  Json to_json() const;

  // Children of an array or object, in order; for an object, key() names each member.
  class Iterator {
   public:
    JsonView operator*() const { return {doc_, value_index()}; }
    Iterator& operator++();
    bool operator!=(const Iterator& o) const { return i_ != o.i_; }
    std::string_view key() const;  // the member's key (objects only)

   private:
    friend class JsonView;
    Iterator(const JsonDoc* doc, uint32_t i, bool object) : doc_(doc), i_(i), object_(object) {}
    uint32_t value_index() const { return object_ ? i_ + 1 : i_; }
    const JsonDoc* doc_;
    uint32_t i_;
    bool object_;
  };
  Iterator begin() const;
  Iterator end() const;

 private:
  friend class JsonDoc;
  JsonView(const JsonDoc* doc, uint32_t i) : doc_(doc), i_(i) {}
  const JsonDoc* doc_ = nullptr;
  uint32_t i_ = 0;
};

class JsonDoc {
 public:
  // Parses `text`, which must outlive every view taken from it. False (and error() says why) when the text is
  // not exactly one JSON value.
  bool parse(std::string_view text);
  JsonView root() const { return tokens_.empty() ? JsonView() : JsonView(this, 0); }
  const std::string& error() const { return error_; }

 private:
  friend class JsonView;
  struct Token {
    JsonView::Type type;
    bool escaped;    // a string holding backslash escapes (unescaped on read)
    uint32_t start;  // for strings: the first byte after the quote
    uint32_t end;    // for strings: the closing quote
    uint32_t next;   // index of the token after this value (and everything inside it)
    uint32_t count;  // members or elements
  };
  bool value(int depth);
  bool string();
  bool fail(std::string_view what);
  void skip_space();
  std::string_view unescape(const Token& t, size_t limit) const;

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
  std::string error_;
  mutable std::deque<std::string> unescaped_;  // owns unescaped strings until the next parse
};

// For decoders that parse a line with nlohmann::json: true when arrays and objects in `text` (outside strings) nest
// deeper than `limit`. Such a line is refused before it is parsed: nlohmann's copies and the store's serializer
// recurse once per level, and a 100k-deep line would overflow the stack. One pass, no allocation.
inline constexpr int kMaxJsonLineDepth = 256;
bool json_nests_deeper_than(std::string_view text, int limit = kMaxJsonLineDepth);

}  // namespace trace
