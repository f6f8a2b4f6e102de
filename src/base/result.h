// Result<T> and Error: how expected failures travel between modules.
//
// Every lookup, disk write and delivery has three outcomes: ok, a permanent
// failure, or "try again later" (STYLE.md habit 8). An unknown failure must be
// reported as temporary: a wrong "permanent" loses mail, a wrong "temporary"
// only delays it. Exceptions are reserved for bugs and start-up errors.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tern {

struct Error {
  enum class Kind { permanent, temporary };
  Kind kind = Kind::temporary;
  std::string detail;  // for the log; never shown verbatim to a network peer
  std::string dsn;     // RFC 3463 status ("5.1.1") when the failure has a precise one

  static Error perm(std::string d) { return {Kind::permanent, std::move(d), {}}; }
  static Error temp(std::string d) { return {Kind::temporary, std::move(d), {}}; }
  static Error with_dsn(std::string status, std::string d) {
    Kind k = !status.empty() && status[0] == '5' ? Kind::permanent : Kind::temporary;
    return {k, std::move(d), std::move(status)};
  }
  bool is_temporary() const { return kind == Kind::temporary; }
  bool is_permanent() const { return kind == Kind::permanent; }
};

struct Unit {};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace tern
