// TicketKeys: the keys that encrypt TLS session tickets (RFC 5077; TLS 1.3
// resumption), generated in memory and rotated: a new key encrypts every
// `lifetime`, and the previous one still decrypts for one more lifetime,
// so a ticket lives at most two lifetimes (smtpd_tls_session_cache_timeout,
// as Postfix). Never written to disk: a restart or reload invalidates old
// tickets, and clients fall back to a full handshake.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <mutex>

namespace tern::tls {

class TicketKeys {
 public:
  explicit TicketKeys(std::chrono::seconds lifetime) : lifetime_(lifetime) {}
  // Makes ctx use these keys (the SSL_CTX keeps a pointer: this object
  // must outlive every SSL made from ctx).
  void attach(SSL_CTX* ctx);

 private:
  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aes{};
    std::array<unsigned char, 32> hmac{};
    std::chrono::steady_clock::time_point born;
  };
  static int callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx,
                      int enc);
  int encrypt_or_decrypt(unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx, int enc);
  void rotate_if_due();
  std::chrono::seconds lifetime_;
  std::mutex mu_;
  bool have_current_ = false, have_previous_ = false;
  Key current_, previous_;
};

}  // namespace tern::tls
