// See openssl_text.h.
#include "tls/openssl_text.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace tern::tls {

int openssl_version(Version v) { return v == Version::tlsv1_3 ? TLS1_3_VERSION : TLS1_2_VERSION; }

std::string openssl_reason() {
  unsigned long e = ERR_peek_last_error();
  const char* r = e ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return r ? r : "unknown OpenSSL error";
}

}  // namespace tern::tls
