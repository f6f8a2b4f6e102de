// A self-signed certificate for a host name, made with the OpenSSL API: an
// ECDSA P-256 key and a certificate for the name, localhost and 127.0.0.1,
// valid for ten years. What the demo configuration starts with, so that
// STARTTLS works out of the box; a real site sets its own certificate.
#pragma once

#include <string>

#include "base/result.h"

namespace tern::tls {

// Writes key_path (mode 0600) and cert_path (0644), each atomically.
Status make_self_signed(const std::string& hostname, const std::string& cert_path, const std::string& key_path);

}  // namespace tern::tls
