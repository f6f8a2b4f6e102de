// mail_fsync (Dovecot's parameter): whether changes that can lose no mail,
// expunges and flag changes, are made durable before the client hears OK.
// A message is always fsynced, with the directory entry that names it,
// before it is acknowledged (APPEND, COPY, MOVE's copy, delivery); with
// "optimized" (the default, as in Dovecot) an expunge or a flag change
// answered just before a power failure may be undone by it, never a message
// lost; "always" fsyncs cur/ after those too. Set once at start.
#pragma once

namespace tern::store {

enum class MailFsync { optimized, always };

void set_mail_fsync(MailFsync mode);
MailFsync mail_fsync();

}  // namespace tern::store
