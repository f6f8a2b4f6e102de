// The RFC 5322 date-time (section 3.3) that tern writes into Received: and
// Date: header fields, in one place: "Wed, 02 Dec 2026 05:01:09 +0100".
// Local time with its numeric offset, English day and month names whatever
// the locale, as RFC 5322 requires.
#pragma once

#include <ctime>
#include <string>

namespace tern {

std::string rfc5322_date(std::time_t t);

}  // namespace tern
