// The process's mail_fsync mode (see mail_fsync.h).
#include "store/mail_fsync.h"

#include <atomic>

namespace tern::store {
namespace {
std::atomic<MailFsync> g_mode{MailFsync::optimized};
}

void set_mail_fsync(MailFsync mode) { g_mode.store(mode, std::memory_order_relaxed); }
MailFsync mail_fsync() { return g_mode.load(std::memory_order_relaxed); }

}  // namespace tern::store
