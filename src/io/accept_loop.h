// The accept loop every TCP listener runs (SMTP, POP3, later IMAP): accept,
// hand the socket on, and on EMFILE/ENFILE pause a second instead of
// spinning (RELIABILITY.md #27). While `full` (optional) says so, it does
// not accept: connections wait in the listen queue, or are taken by another
// process accepting on the same socket (imap_processes), instead of being
// accepted into a process whose descriptors are spent. It ends when the
// acceptor is closed or `stopping` says so.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>

namespace tern::io {

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acc, std::function<bool()> stopping,
                                  std::function<void(asio::ip::tcp::socket)> on_accept, const char* what,
                                  std::function<bool()> full = {});

}  // namespace tern::io
