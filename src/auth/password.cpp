// Password hashing and checking through libxcrypt's thread-safe calls:
// yescrypt for new hashes, and any "$id$" crypt string libxcrypt supports
// (SHA512-CRYPT, bcrypt, ...) for checking. Comparison is constant-time and
// the plain-text copies are wiped before returning.
//
// SECURITY: handles plain-text passwords from SMTP AUTH clients.
#include <crypt.h>
#include <fmt/format.h>
#include <string.h>

#include <memory>

#include "auth/user_db.h"

namespace tern::auth {
namespace {

// Longer passwords are refused: SHA512-CRYPT's cost grows with the length,
// and no one types 4 KiB.
constexpr size_t kMaxPasswordLength = 4096;

// struct crypt_data is ~32 KiB: on the heap, zeroed, wiped when done.
struct CryptWork {
  crypt_data data{};
  std::string phrase;
  ~CryptWork() {
    explicit_bzero(&data, sizeof data);
    if (!phrase.empty()) explicit_bzero(phrase.data(), phrase.size());
  }
};

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// Constant-time for equal lengths; the length of a crypt string is not secret.
bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = diff | static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool is_locked(std::string_view s) { return !s.empty() && (s.front() == '!' || s.front() == '*'); }

}  // namespace

Status check_crypt_string(std::string_view s) {
  if (s.find_first_of(std::string_view(":\n\r\0", 4)) != std::string_view::npos)
    return Error::perm("password field contains ':', a line break or a NUL byte");
  if (s.empty() || is_locked(s)) return ok_status();
  if (s.front() != '$') return Error::perm("password is not a \"$id$\" crypt string (plain text or DES crypt)");
  std::string setting(s);
  int r = crypt_checksalt(setting.c_str());
  if (r != CRYPT_SALT_OK && r != CRYPT_SALT_METHOD_LEGACY)
    return Error::perm("password is a crypt string libxcrypt cannot verify");
  return ok_status();
}

Result<std::string> hash_password(std::string_view password) {
  if (password.empty()) return Error::perm("empty password");
  if (password.size() > kMaxPasswordLength) return Error::perm("password longer than 4096 bytes");
  if (has_nul(password)) return Error::perm("password contains a NUL byte");
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$y$", 0, nullptr, 0, salt, sizeof salt))
    return Error::temp(fmt::format("crypt_gensalt_rn($y$): {}", strerror(errno)));
  auto w = std::make_unique<CryptWork>();
  w->phrase.assign(password);
  char* out = crypt_rn(w->phrase.c_str(), salt, &w->data, sizeof w->data);
  if (!out || out[0] == '*') return Error::temp(fmt::format("crypt_rn(yescrypt): {}", strerror(errno)));
  return std::string(out);
}

bool verify_password(std::string_view password, std::string_view crypt_string) {
  if (crypt_string.empty() || is_locked(crypt_string) || has_nul(crypt_string)) return false;
  if (password.size() > kMaxPasswordLength || has_nul(password)) return false;
  auto w = std::make_unique<CryptWork>();
  w->phrase.assign(password);
  std::string setting(crypt_string);
  char* out = crypt_rn(w->phrase.c_str(), setting.c_str(), &w->data, sizeof w->data);
  if (!out || out[0] == '*') return false;  // a failure token, never a match
  return equal_constant_time(out, crypt_string);
}

}  // namespace tern::auth
