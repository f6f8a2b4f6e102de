// AuthFailures lives in sasl/ (sasl/auth_failures.h), so that the SMTP and
// POP3 (later IMAP) servers share one table per client address; this name
// keeps the SMTP server's spelling.
#pragma once

#include "sasl/auth_failures.h"

namespace tern::smtp {
using AuthFailures = sasl::AuthFailures;
}  // namespace tern::smtp
