// The log facade: one line per event, in the form Postfix admins already grep
// ("QUEUEID: from=<a@b>, size=123, nrcpt=1"), to stderr, a file
// (maillog_file) or syslog. The sink is chosen once at start-up; this is the
// one process-wide object in tern, as every log facade is.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace tern::log {

enum class Level { debug, info, warning, error, fatal };

// target: "" or "stderr" -> stderr; "syslog" -> syslog(3); else a file path
// (appended, line-buffered). program: the name printed in each line.
void configure(const std::string& target, const std::string& program);
void set_debug(bool on);
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
