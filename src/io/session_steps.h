// Steps every protocol session (SMTP, POP3, later IMAP) takes the same way,
// written once: a read under the connection's deadline, and the switch of
// a plain stream to TLS (STARTTLS, STLS, or the first byte on a TLS port).
// The session words its own replies and log lines around them.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <span>
#include <string>

#include "io/stream.h"
#include "io/tls_stream.h"
#include "io/watchdog.h"

namespace tern::io {

// data: `n` bytes were read; timeout: the deadline passed (also when data
// came in the same instant: a deadline that passed is not undone by data,
// see Watchdog); ended: end of stream, an error, or a cancel (shutdown).
enum class ReadOutcome { data, timeout, ended };
asio::awaitable<ReadOutcome> read_before_deadline(Stream& s, const Watchdog* w, std::span<char> buf, size_t& n);

struct TlsStart {
  bool ok = false;
  bool wrapped = false;  // false: the stream cannot carry TLS (nothing was sent)
  TlsSummary summary;    // when ok
  std::string error;     // when not ok: "timeout", or the handshake's error in words
};
// Puts a TLS stream made by `server` in place of `stream`, points the
// watchdog at it, gives the handshake `timeout`, and runs it. On failure
// the caller closes the stream.
asio::awaitable<TlsStart> start_tls(const TlsServer& server, std::unique_ptr<Stream>& stream, Watchdog& watchdog,
                                    std::chrono::seconds timeout);

}  // namespace tern::io
