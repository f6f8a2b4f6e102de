// ENVELOPE (RFC 3501 7.4.2) of one message's header section: date,
// subject, from, sender, reply-to, to, cc, bcc, in-reply-to, message-id.
//
// Unstructured fields go out as written (unfolded, encoded words left as
// they are; 8-bit bytes force a literal). Address lists are parsed by
// GMime, which decodes display names: a name that decodes to non-ASCII is
// sent re-encoded as RFC 2047 UTF-8 words, so ENVELOPE stays 7-bit for
// names (not byte-identical to the header, as Dovecot's is). Source routes
// are dropped (adl is always NIL). A mailbox without local part or domain
// gets Dovecot's MISSING_MAILBOX / MISSING_DOMAIN, never NIL, which would
// mean group syntax. Sender and Reply-To, absent or empty, are From.
//
// SECURITY: header bytes are untrusted; max_address_header_bytes of a
// value reach GMime and max_addresses addresses are written.
#pragma once

#include <string>
#include <string_view>

namespace tern::mime {

// header: the header section in CRLF form.
std::string envelope_of(std::string_view header);

}  // namespace tern::mime
