// Internal to store: unique Maildir file names, in the form Dovecot and qmail
// use, so a name never repeats across processes, threads and hosts:
//   <seconds>.M<usec>P<pid>Q<counter>.<hostname>,S=<size>
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::store {

// '/' becomes \057 and ':' becomes \072, as Dovecot does; an empty name
// becomes "localhost".
std::string maildir_escape_hostname(std::string_view host);
// size: the byte size of the file (the ",S=" field Dovecot reads for quota).
std::string maildir_unique_name(uint64_t size);

}  // namespace tern::store
