// The log facade: one line per event, in the form Postfix admins already grep
// ("QUEUEID: from=<a@b>, size=123, nrcpt=1"), to stderr, a file
// (maillog_file) or syslog. The sink is chosen once at start-up; this is the
// one process-wide object in tern, as every log facade is.
//
// SECURITY: log fields carry client input (addresses, EHLO names, reasons).
// write() escapes control bytes, invalid UTF-8 and backslashes in the line
// (str::escape_log), so one event is always one line and a client cannot
// forge a second one. maillog_file is opened by root before privileges are
// dropped, in a directory it may not own: the open refuses a symlink, a
// file that is not regular, one with other hard links, or one owned by
// another non-root user (as Postfix's postlogd does through safe_open).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::log {

enum class Level { debug, info, warning, error, fatal };

// target: "" or "stderr" or "/dev/stderr" -> stderr; "/dev/stdout" ->
// standard output; "syslog" -> syslog(3); else a file path (appended).
// program: the name printed in each line. On an error (a symlink, a hard
// link, ...) the sink stays stderr and the error says why.
Status configure(const std::string& target, const std::string& program);
void set_debug(bool on);
// Renames the program in later lines (a forked worker process: "tern/imap").
void set_program(const std::string& program);
void write(Level level, std::string_view line);

template <class... A>
void info(fmt::format_string<A...> f, A&&... a) { write(Level::info, fmt::format(f, std::forward<A>(a)...)); }
template <class... A>
void warn(fmt::format_string<A...> f, A&&... a) { write(Level::warning, fmt::format(f, std::forward<A>(a)...)); }
template <class... A>
void error(fmt::format_string<A...> f, A&&... a) { write(Level::error, fmt::format(f, std::forward<A>(a)...)); }
template <class... A>
void debug(fmt::format_string<A...> f, A&&... a) { write(Level::debug, fmt::format(f, std::forward<A>(a)...)); }

}  // namespace tern::log
