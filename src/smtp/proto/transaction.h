// Transaction: what the replies to one SMTP client transaction mean for
// each recipient, the same whether the commands went one at a time or
// pipelined (RFC 2920: MAIL, every RCPT and DATA in one group, replies
// read in that order). Pure: the client sends, reads replies with
// ReplyParser, and asks here what they decide.
//
// Rules (Postfix's smtp(8) behaves so):
//  - a MAIL failure is every recipient's failure, with the MAIL reply;
//  - each RCPT reply is its recipient's own: 2xx accepted (pending the
//    content), 4xx deferred, 5xx bounced;
//  - DATA 354 with a recipient accepted: send the content; its final reply
//    decides for every accepted recipient;
//  - DATA 354 with no recipient accepted: send a lone "." (never content)
//    and then RSET, as RFC 2920 3.1 requires;
//  - DATA refused: the accepted recipients get the DATA reply;
//  - a 421, or a reply missing (connection lost), ends the session: every
//    recipient not yet decided is deferred with it.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "smtp/proto/reply.h"

namespace tern::smtp {

enum class Outcome { pending, sent, deferred, bounced };
// 2xx sent; 4xx, and 3xx where a final reply was due, deferred; 5xx bounced.
Outcome outcome_of(const Reply& r);

enum class Stage { mail, rcpt, data, content };
std::string_view stage_text(Stage s);  // "MAIL FROM", ..., "end of DATA", for "(in reply to ...)"

struct RecipientResult {
  Outcome outcome = Outcome::pending;  // pending: accepted, waiting for the content's reply
  Reply reply;                         // the reply that decided (or accepted) it
  Stage stage = Stage::rcpt;
};

enum class NextStep {
  send_content,    // DATA got 354 and someone is accepted
  send_dot_reset,  // DATA got 354 and no one is accepted: ".", then RSET
  reset,           // the transaction is over: RSET before the next one, or QUIT
  hang_up,         // 421 or a lost connection: close, nothing more to send
};

struct TransactionVerdict {
  std::vector<RecipientResult> recipients;  // in RCPT order
  NextStep next = NextStep::reset;
  size_t accepted() const;
};

// replies: in the order read, for MAIL, then one per RCPT, then DATA if it
// was sent in the same group (expect_data; without it, e.g. for BDAT or a
// server without PIPELINING, the client sends DATA or BDAT next itself and
// next is send_content when someone was accepted). Fewer replies than commands means the connection
// was lost after the last one; lost_reason is then the deferral text.
TransactionVerdict evaluate_transaction(size_t rcpt_count, bool expect_data, const std::vector<Reply>& replies,
                                        const Reply& lost_reason);

// The reply to the content (end of DATA, or the last BDAT) decides for
// every recipient still pending.
void apply_content_reply(TransactionVerdict& v, const Reply& reply);

}  // namespace tern::smtp
