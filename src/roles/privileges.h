// Giving up root after the listeners are bound (ARCHITECTURE.md: nothing
// that reads the network runs as root). mail_owner names the user; empty
// means "stay the invoking user": what an ordinary user's daemon (the demo,
// the tests) does; as root that is allowed but logged as a warning.
//
// SECURITY: the queue (and maillog_file's directory) may be writable by
// mail_owner while this runs as root: ownership is changed through
// descriptors opened with O_NOFOLLOW, relative to an opened directory, and
// never on a symlink, a socket or a file with several hard links.
#pragma once

#include "base/result.h"
#include "config/config.h"
#include "queue/spool.h"

namespace tern::roles {

// If running as root and mail_owner is set: make the queue directory (and
// virtual_mailbox_base, if tern creates it) owned by mail_owner, then
// setgid/initgroups/setuid to it and verify root cannot be regained.
Status drop_privileges(const config::Config& cfg, const queue::Spool& spool);

}  // namespace tern::roles
