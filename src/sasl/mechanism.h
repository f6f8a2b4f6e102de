// SASL mechanisms PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login),
// server and client sides, as pure step functions: a line of the peer in,
// the next thing to say (or the outcome) out. No I/O and no knowledge of the
// protocol carrying them, so SMTP AUTH (RFC 4954), IMAP AUTHENTICATE and
// POP3 AUTH share them; the caller frames the challenge ("334 ", "+ ") and
// checks the credentials (sasl/verifier.h).
//
// SECURITY: every input is untrusted network data. Lines are base64 (strict,
// sasl/base64.h); the caller bounds their length (RFC 4954: 12288 bytes), so
// decoded fields are bounded too, and each field is refused past
// kMaxFieldBytes. PLAIN's authorization identity must be empty or equal to
// the authentication identity: tern lets no one act as someone else. NUL
// bytes are refused inside fields. Passwords are wiped from memory when the
// Credentials holding them are destroyed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tern::sasl {

enum class Mechanism { plain, login };

// Case-insensitive ("plain", "LOGIN"); nullopt for any other mechanism.
std::optional<Mechanism> find_mechanism(std::string_view name);
std::string_view mechanism_name(Mechanism m);  // "PLAIN", "LOGIN"
// The list servers offer, in order of preference: "PLAIN LOGIN".
inline constexpr std::string_view kServerMechanisms = "PLAIN LOGIN";

// Longest user name or password accepted, in bytes.
inline constexpr size_t kMaxFieldBytes = 4096;

// What the client said, once the exchange is done. The password is wiped
// when this is destroyed.
struct Credentials {
  std::string authcid;   // who logs in
  std::string password;
  Credentials() = default;
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;
  Credentials(Credentials&& o) noexcept;
  Credentials& operator=(Credentials&& o) noexcept;
  ~Credentials();
  void wipe();
};

struct Step {
  enum class Kind {
    challenge,   // send `text` (base64 already) and read the next line
    done,        // the credentials are complete: check them
    bad_base64,  // the line was not base64 (SMTP: 501 5.5.2)
    cancelled,   // the client sent "*" (SMTP: 501 5.7.0)
    failed,      // malformed message or authzid != authcid (SMTP: 535 5.7.8)
  };
  Kind kind;
  std::string text;  // the challenge, base64; or why it failed (for the log)
};

// One server-side exchange (one AUTH command). Not reusable: a new AUTH
// starts a new exchange, so nothing of an aborted one is left behind.
class ServerExchange {
 public:
  explicit ServerExchange(Mechanism m) : mech_(m) {}
  // The first step. `initial_response`: nullopt when the client gave none;
  // "=" is an empty one (RFC 4954 section 4).
  Step start(std::optional<std::string_view> initial_response);
  // The client's line after a challenge (without CRLF).
  Step step(std::string_view line);
  Mechanism mechanism() const { return mech_; }
  // Complete after a `done` step; moved out by take_credentials().
  Credentials take_credentials() { return std::move(creds_); }

 private:
  Step respond(std::string_view decoded);
  Mechanism mech_;
  int stage_ = 0;  // LOGIN: 0 = user name next, 1 = password next
  Credentials creds_;
};

// Client side (for the SMTP client to a smarthost). PLAIN: one initial
// response, base64 of "authzid\0authcid\0password" (authzid usually
// empty: act as oneself). LOGIN: answers the server's
// base64 challenges in order (user name, then password); nullopt when the
// challenge is not base64 or comes a third time.
std::string client_plain_response(std::string_view authcid, std::string_view password, std::string_view authzid = {});
class LoginClient {
 public:
  LoginClient(std::string authcid, std::string password) : user_(std::move(authcid)), pass_(std::move(password)) {}
  ~LoginClient();
  std::optional<std::string> respond(std::string_view challenge_base64);

 private:
  std::string user_, pass_;
  int stage_ = 0;
};

}  // namespace tern::sasl
