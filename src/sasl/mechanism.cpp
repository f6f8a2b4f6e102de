// Implementation of the PLAIN and LOGIN step functions (see mechanism.h).
#include "sasl/mechanism.h"

#include <string.h>

#include "sasl/base64.h"

namespace tern::sasl {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

void wipe_string(std::string& s) {
  if (!s.empty()) explicit_bzero(s.data(), s.size());
  s.clear();
}

Step fail(std::string why) { return Step{Step::Kind::failed, std::move(why)}; }

// LOGIN's challenges: "Username:" and "Password:", as every client expects.
const std::string kUserChallenge = base64_encode("Username:");
const std::string kPasswordChallenge = base64_encode("Password:");

}  // namespace

Credentials::Credentials(Credentials&& o) noexcept : authcid(std::move(o.authcid)), password(std::move(o.password)) {
  o.wipe();
}

Credentials& Credentials::operator=(Credentials&& o) noexcept {
  if (this != &o) {
    wipe();
    authcid = std::move(o.authcid);
    password = std::move(o.password);
    o.wipe();
  }
  return *this;
}

Credentials::~Credentials() { wipe(); }

void Credentials::wipe() {
  wipe_string(password);
  authcid.clear();
}

std::optional<Mechanism> find_mechanism(std::string_view name) {
  if (iequals(name, "PLAIN")) return Mechanism::plain;
  if (iequals(name, "LOGIN")) return Mechanism::login;
  return std::nullopt;
}

std::string_view mechanism_name(Mechanism m) { return m == Mechanism::plain ? "PLAIN" : "LOGIN"; }

Step ServerExchange::start(std::optional<std::string_view> initial_response) {
  if (!initial_response) {
    // PLAIN: an empty challenge asks for the message; LOGIN asks for the user.
    return Step{Step::Kind::challenge, mech_ == Mechanism::plain ? std::string() : kUserChallenge};
  }
  return step(*initial_response == "=" ? std::string_view() : *initial_response);
}

Step ServerExchange::step(std::string_view line) {
  if (line == "*") return Step{Step::Kind::cancelled, "authentication aborted by the client"};
  auto decoded = base64_decode(line);
  if (!decoded) return Step{Step::Kind::bad_base64, "malformed base64"};
  Step s = respond(*decoded);
  wipe_string(*decoded);
  return s;
}

Step ServerExchange::respond(std::string_view msg) {
  if (msg.find('\0') != std::string_view::npos && mech_ == Mechanism::login)
    return fail("NUL byte in a LOGIN response");
  if (mech_ == Mechanism::login) {
    if (msg.empty()) return fail(stage_ == 0 ? "empty user name" : "empty password");
    if (msg.size() > kMaxFieldBytes) return fail("LOGIN response too long");
    if (stage_ == 0) {
      creds_.authcid.assign(msg);
      stage_ = 1;
      return Step{Step::Kind::challenge, kPasswordChallenge};
    }
    if (stage_ != 1) return fail("LOGIN exchange already complete");
    creds_.password.assign(msg);
    stage_ = 2;
    return Step{Step::Kind::done, {}};
  }
  // PLAIN: message = [authzid] NUL authcid NUL passwd (RFC 4616 section 2).
  size_t a = msg.find('\0');
  if (a == std::string_view::npos) return fail("PLAIN message without NUL separators");
  size_t b = msg.find('\0', a + 1);
  if (b == std::string_view::npos) return fail("PLAIN message with one NUL separator");
  std::string_view authzid = msg.substr(0, a);
  std::string_view authcid = msg.substr(a + 1, b - a - 1);
  std::string_view password = msg.substr(b + 1);
  if (password.find('\0') != std::string_view::npos) return fail("NUL byte in the PLAIN password");
  if (authcid.empty() || password.empty()) return fail("empty user name or password");
  if (authcid.size() > kMaxFieldBytes || password.size() > kMaxFieldBytes || authzid.size() > kMaxFieldBytes)
    return fail("PLAIN field too long");
  if (!authzid.empty() && authzid != authcid) return fail("authorization identity differs from the user name");
  creds_.authcid.assign(authcid);
  creds_.password.assign(password);
  return Step{Step::Kind::done, {}};
}

std::string client_plain_response(std::string_view authcid, std::string_view password, std::string_view authzid) {
  std::string msg(authzid);
  msg += '\0';
  msg += authcid;
  msg += '\0';
  msg += password;
  std::string out = base64_encode(msg);
  wipe_string(msg);
  return out;
}

LoginClient::~LoginClient() { wipe_string(pass_); }

std::optional<std::string> LoginClient::respond(std::string_view challenge_base64) {
  if (!base64_decode(challenge_base64) || stage_ > 1) return std::nullopt;
  return base64_encode(stage_++ == 0 ? user_ : pass_);
}

}  // namespace tern::sasl
