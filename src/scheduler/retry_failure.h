// What kind of failure a deferral reason describes, for retry_rules
// (retry_rules.h): the reasons are the words tern logs, in Postfix's form
// ("connect to mx[192.0.2.1]:25: Connection refused", "host mx[...] said:
// 451 4.3.0 ... (in reply to RCPT TO command)", "conversation with mx[...]
// timed out while ...", "lost connection with ..."), so reading them back
// is cheap and needs no change to the delivery agents. A reason it does not
// know is `other`, which only the error type `*` matches. Pure.
#pragma once

#include <string_view>

#include "scheduler/retry_rules.h"

namespace tern::scheduler::retry {

// reason: the deferral's text; dsn: its RFC 3463 status ("4.2.2").
Failure classify(std::string_view reason, std::string_view dsn);

}  // namespace tern::scheduler::retry
