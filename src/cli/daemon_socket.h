// One request to the daemon over a Unix socket under queue_directory/public/
// (submit for sendmail(1), control for the queue tools): connect, write the
// request, half-close, read one answer line "OK <text>" or
// "ERR <temp|perm> <reason>". Shared so that both speak it the same way.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::cli {

// The text after "OK ". no_daemon is set when nothing listens at path
// (ENOENT, ECONNREFUSED); a refused connect (EACCES) is a permanent error.
Result<std::string> ask_daemon(const std::string& path, std::string_view request, bool& no_daemon);

}  // namespace tern::cli
