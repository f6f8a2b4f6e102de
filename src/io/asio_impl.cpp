// Compiles Asio's implementation exactly once for the whole program
// (ASIO_SEPARATE_COMPILATION), so every other file includes only declarations.
#include <asio/impl/src.hpp>
