// Two small translations between tern's TLS settings and OpenSSL that the
// server context, the client context and the PEM loader share: a protocol
// version as OpenSSL numbers it, and OpenSSL's reason for the last error in
// words for a log line or an admin's error message.
#pragma once

#include <string>

#include "tls/protocols.h"

namespace tern::tls {

// TLS1_2_VERSION or TLS1_3_VERSION (the only two tern enables).
int openssl_version(Version v);

// The reason string of the thread's last OpenSSL error, or "unknown OpenSSL
// error"; clears the thread's error queue.
std::string openssl_reason();

}  // namespace tern::tls
