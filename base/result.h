// Result<T>: the value of an operation that may fail in an expected way (a git command that exits non-zero, a
// Slurm tool that does not answer, a config text that cannot be split), or the message saying why it did not
// succeed. The first of the two error tiers (GUIDE: expected failures are values; what ends a command is one
// fatal exception, harness::FatalError, caught once at the top). Header-only vocabulary below every layer.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace base {

// The failure side: built with fail("...") so that `return fail(...)` converts to any Result<T>.
struct Failure {
  std::string message;
};
inline Failure fail(std::string message) { return Failure{std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit, like expected
  Result(Failure failure) : state_(std::in_place_index<1>, std::move(failure.message)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Only when ok().
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const { return ok() ? value() : std::move(fallback); }
  // Only when !ok(): what went wrong, in words fit for the user.
  const std::string& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, std::string> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure failure) : error_(std::move(failure.message)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
  bool ok_ = true;
};

}  // namespace base
