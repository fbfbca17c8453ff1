// Result<T>: the value of an operation that may fail in an expected way (a git command that exits non-zero, a
// Slurm tool that does not answer, a config text that cannot be split), or the message saying why it did not
// succeed. Result<T, E> carries an error of type E where the caller needs more than words (whose fault a failed
// launch was). The first of the two error tiers (GUIDE: expected failures are values; what ends a command is one
// fatal exception, harness::FatalError, caught once at the top). Header-only vocabulary below every layer.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace base {

// The failure side: built with fail("...") so that `return fail(...)` converts to any Result<T>.
struct Failure {
  std::string message;
};
inline Failure fail(std::string message) { return Failure{std::move(message)}; }

// The failure side of a Result<T, E> with an error type of its own: `return unexpected(E{...})`.
template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected<E> unexpected(E error) {
  return Unexpected<E>{std::move(error)};
}

template <class T, class E = std::string>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit, like expected
  Result(Failure failure)  // NOLINT
    requires std::is_constructible_v<E, std::string>
      : state_(std::in_place_index<1>, E(std::move(failure.message))) {}
  Result(Unexpected<E> failure) : state_(std::in_place_index<1>, std::move(failure.error)) {}  // NOLINT

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
  // Only when !ok(): what went wrong (for E = std::string, in words fit for the user).
  const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(Failure failure)  // NOLINT
    requires std::is_constructible_v<E, std::string>
      : error_(std::move(failure.message)), ok_(false) {}
  Result(Unexpected<E> failure) : error_(std::move(failure.error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const { return error_; }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace base
