// Internal to store: unique Maildir file names, in the form Dovecot and qmail
// use, so a name never repeats across processes, threads and hosts:
//   <seconds>.M<usec>P<pid>Q<counter>.<hostname>,S=<size>,W=<vsize>
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::store {

// '/' becomes \057 and ':' becomes \072, as Dovecot does; an empty name
// becomes "localhost".
std::string maildir_escape_hostname(std::string_view host);
// size: the byte size of the file (the ",S=" field Dovecot reads for quota);
// vsize: its size with CRLF line ends (",W=", what POP3 and IMAP report),
// left out when 0.
std::string maildir_unique_name(uint64_t size, uint64_t vsize = 0);
// The same in two steps, for a file whose size is known only once written:
// the unique part (<seconds>.M<usec>P<pid>Q<counter>.<hostname>), then the
// sizes appended to it.
std::string maildir_unique_base();
std::string maildir_sized_name(std::string base, uint64_t size, uint64_t vsize);
// The size of bytes with every bare LF counted as CRLF.
uint64_t crlf_size(std::string_view bytes);
// crlf_size of a + b, as if joined.
uint64_t crlf_size(std::string_view a, std::string_view b);

}  // namespace tern::store
