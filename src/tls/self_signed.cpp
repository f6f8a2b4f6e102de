// Implementation of make_self_signed (see self_signed.h).
#include "tls/self_signed.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "base/fs.h"

namespace tern::tls {

namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};

std::string bio_text(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<size_t>(n));
}

bool add_ext(X509* x, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(x, ext.get(), -1) == 1;
}

}  // namespace

Status make_self_signed(const std::string& hostname, const std::string& cert_path, const std::string& key_path) {
  std::unique_ptr<EVP_PKEY, Free> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, Free> x(X509_new());
  if (!key || !x) return Error::perm("cannot generate a P-256 key");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return Error::perm("no random bytes for a serial number");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get())) != nullptr;
  BN_free(bn);
  ok = ok && X509_set_version(x.get(), X509_VERSION_3) == 1;
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) != nullptr;
  ok = ok && X509_gmtime_adj(X509_getm_notAfter(x.get()), 10L * 365 * 24 * 3600) != nullptr;
  X509_NAME* name = X509_get_subject_name(x.get());
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0) == 1;
  ok = ok && X509_set_issuer_name(x.get(), name) == 1 && X509_set_pubkey(x.get(), key.get()) == 1;
  ok = ok && add_ext(x.get(), NID_subject_alt_name, "DNS:" + hostname + ",DNS:localhost,IP:127.0.0.1");
  ok = ok && add_ext(x.get(), NID_basic_constraints, "critical,CA:FALSE");
  ok = ok && add_ext(x.get(), NID_ext_key_usage, "serverAuth");
  ok = ok && X509_sign(x.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return Error::perm("cannot build a self-signed certificate for " + hostname);

  std::unique_ptr<BIO, Free> kb(BIO_new(BIO_s_mem())), cb(BIO_new(BIO_s_mem()));
  if (!kb || !cb || PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cb.get(), x.get()) != 1)
    return Error::perm("cannot write the self-signed certificate");
  if (auto st = fs::write_file_atomic(key_path, bio_text(kb.get()), 0600); !st) return st;
  return fs::write_file_atomic(cert_path, bio_text(cb.get()), 0644);
}

}  // namespace tern::tls
