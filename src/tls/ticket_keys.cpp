// Implementation of TicketKeys (see ticket_keys.h), with OpenSSL 3's
// SSL_CTX_set_tlsext_ticket_key_evp_cb: AES-256-CBC for the ticket and
// HMAC-SHA256 over it.
#include "tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

namespace tern::tls {

namespace {
int ex_index() {
  static const int idx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return idx;
}
}  // namespace

void TicketKeys::attach(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, ex_index(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketKeys::callback);
}

int TicketKeys::callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx,
                         int enc) {
  // The session context: the one the SSL was made from, also after SNI
  // switched its certificate context (each has the same keys attached).
  auto* self = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
  if (!self) return 0;  // 0: no ticket (encrypt) / ticket not accepted (decrypt)
  return self->encrypt_or_decrypt(name, iv, cctx, hctx, enc);
}

void TicketKeys::rotate_if_due() {
  auto now = std::chrono::steady_clock::now();
  if (have_current_ && now - current_.born < lifetime_) return;
  if (have_current_) {
    previous_ = current_;
    have_previous_ = true;
  }
  Key k;
  if (RAND_bytes(k.name.data(), k.name.size()) != 1 || RAND_bytes(k.aes.data(), k.aes.size()) != 1 ||
      RAND_bytes(k.hmac.data(), k.hmac.size()) != 1)
    return;  // keep what we have; no key at all means no tickets
  k.born = now;
  current_ = k;
  have_current_ = true;
}

int TicketKeys::encrypt_or_decrypt(unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cctx, EVP_MAC_CTX* hctx,
                                   int enc) {
  std::lock_guard lock(mu_);
  rotate_if_due();
  const Key* k = nullptr;
  int result = 1;
  if (enc) {
    if (!have_current_) return 0;
    k = &current_;
    std::memcpy(name, k->name.data(), k->name.size());
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1) return -1;
  } else if (have_current_ && std::memcmp(name, current_.name.data(), 16) == 0) {
    k = &current_;
  } else if (have_previous_ && std::memcmp(name, previous_.name.data(), 16) == 0 &&
             std::chrono::steady_clock::now() - previous_.born < 2 * lifetime_) {
    k = &previous_;
    result = 2;  // accepted; OpenSSL issues a fresh ticket under the current key
  } else {
    return 0;
  }
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(hctx, k->hmac.data(), k->hmac.size(), params) != 1) return -1;
  int ok = enc ? EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, k->aes.data(), iv)
               : EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, k->aes.data(), iv);
  return ok == 1 ? result : -1;
}

}  // namespace tern::tls
