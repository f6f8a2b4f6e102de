// Reading certificates and private keys from PEM files, with errors an
// admin can act on (which file, what is wrong, what to do), and putting
// them into an SSL_CTX after checking that each key matches its
// certificate.
//
// Postfix's two ways are both read: smtpd_tls_cert_file + key_file (the key
// may sit in the certificate file), and smtpd_tls_chain_files, where each
// private key is followed by its certificate chain, leaf first (one RSA and
// one ECDSA chain side by side).
//
// SECURITY: key files are read by the process that builds the context, at
// start-up before privileges are dropped; on reload after the drop, through
// a FileReader that asks the root side (roles/local_helper.h,
// docs/behaviour.md).
#pragma once

#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace tern::tls {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

// One private key and its chain (leaf first).
struct KeyedChain {
  std::unique_ptr<EVP_PKEY, PkeyFree> key;
  std::vector<std::unique_ptr<X509, X509Free>> certs;
  std::string source;  // file names, for errors
};

// Reads one certificate or key file whole. The default reads it from disk
// with this process's rights; errors say what went wrong with the path.
using FileReader = std::function<Result<std::string>(const std::string& path)>;
Result<std::string> read_from_disk(const std::string& path);
// The largest certificate or key file tern reads (a chain of a few
// certificates is a few KiB).
inline constexpr size_t kMaxPemFile = 128 * 1024;

// cert_file holds the leaf and its chain; key_file the key (may be the same file).
Result<KeyedChain> load_cert_and_key(const std::string& cert_file, const std::string& key_file,
                                     const FileReader& read = read_from_disk);
// Each key is followed by its chain, across the files in order.
Result<std::vector<KeyedChain>> load_chain_files(const std::vector<std::string>& files,
                                                 const FileReader& read = read_from_disk);
// Installs one chain into ctx (an RSA and an ECDSA chain take two slots).
Status install(SSL_CTX* ctx, const KeyedChain& chain);

}  // namespace tern::tls
