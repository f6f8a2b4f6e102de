// Compiles Asio's implementation (and asio/ssl's) exactly once for the whole program
// (ASIO_SEPARATE_COMPILATION), so every other file includes only declarations.
#include <asio/impl/src.hpp>
// The TLS part (asio/ssl, over OpenSSL): compiled here too, once.
#include <asio/ssl/impl/src.hpp>
