// Implementation of PEM loading (see pem.h).
#include "tls/pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

#include "base/fs.h"
#include "tls/openssl_text.h"

namespace tern::tls {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

struct PemObject {
  enum Kind { cert, key } kind;
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;
  std::unique_ptr<X509, X509Free> x509;
};

// Every certificate and key of one file, in order. Other PEM blocks
// (EC PARAMETERS, DH PARAMETERS) are skipped.
Result<std::vector<PemObject>> read_objects(const std::string& path, const FileReader& read) {
  auto text = read(path);
  if (!text) return text.error();
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  std::vector<PemObject> out;
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) {
      ERR_clear_error();  // end of file (or trailing garbage, which PEM ignores too)
      break;
    }
    std::string n = name;
    const unsigned char* p = data;
    PemObject o{PemObject::cert, nullptr, nullptr};
    bool keep = true;
    std::string err;
    if (n == "CERTIFICATE" || n == "TRUSTED CERTIFICATE") {
      o.x509.reset(d2i_X509(nullptr, &p, len));
      if (!o.x509) err = "a certificate in " + path + " does not parse: " + openssl_reason();
    } else if (n == "PRIVATE KEY" || n == "RSA PRIVATE KEY" || n == "EC PRIVATE KEY") {
      o.kind = PemObject::key;
      o.pkey.reset(d2i_AutoPrivateKey(nullptr, &p, len));
      if (!o.pkey) err = "the private key in " + path + " does not parse: " + openssl_reason();
    } else if (n == "ENCRYPTED PRIVATE KEY" || std::strstr(header, "ENCRYPTED")) {
      err = "the private key in " + path +
            " is encrypted; tern needs it unencrypted (openssl pkey -in KEY -out KEY.new, then mode 0600)";
    } else {
      keep = false;
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (!err.empty()) return Error::perm(err);
    if (keep) out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

Result<std::string> read_from_disk(const std::string& path) {
  auto text = fs::read_file(path, kMaxPemFile);
  if (!text)
    return Error::perm("cannot read " + path + ": " + text.error().detail +
                       " (tern reads it as root before dropping privileges; check the path and its mode)");
  return text;
}

Result<KeyedChain> load_cert_and_key(const std::string& cert_file, const std::string& key_file,
                                     const FileReader& read) {
  KeyedChain c;
  c.source = cert_file == key_file ? cert_file : cert_file + " and " + key_file;
  auto certs = read_objects(cert_file, read);
  if (!certs) return certs.error();
  for (auto& o : *certs)
    if (o.kind == PemObject::cert) c.certs.push_back(std::move(o.x509));
    else if (key_file == cert_file && !c.key) c.key = std::move(o.pkey);
  if (c.certs.empty()) return Error::perm(cert_file + " holds no certificate (expected a PEM \"BEGIN CERTIFICATE\" block)");
  if (key_file != cert_file) {
    auto keys = read_objects(key_file, read);
    if (!keys) return keys.error();
    for (auto& o : *keys)
      if (o.kind == PemObject::key) {
        c.key = std::move(o.pkey);
        break;
      }
  }
  if (!c.key) return Error::perm(key_file + " holds no private key (expected a PEM \"BEGIN PRIVATE KEY\" block)");
  return c;
}

Result<std::vector<KeyedChain>> load_chain_files(const std::vector<std::string>& files, const FileReader& read) {
  std::vector<KeyedChain> chains;
  for (const auto& f : files) {
    auto objs = read_objects(f, read);
    if (!objs) return objs.error();
    for (auto& o : *objs) {
      if (o.kind == PemObject::key) {
        chains.emplace_back();
        chains.back().key = std::move(o.pkey);
        chains.back().source = f;
      } else if (chains.empty()) {
        return Error::perm(f + ": a certificate comes before any private key; in smtpd_tls_chain_files each key "
                               "comes first, followed by its certificate chain (leaf first)");
      } else {
        chains.back().certs.push_back(std::move(o.x509));
        if (chains.back().source != f) chains.back().source += ", " + f;
      }
    }
  }
  for (auto& c : chains)
    if (c.certs.empty()) return Error::perm(c.source + ": a private key is followed by no certificate");
  if (chains.empty()) return Error::perm("smtpd_tls_chain_files holds no private key");
  return chains;
}

Status install(SSL_CTX* ctx, const KeyedChain& c) {
  if (X509_check_private_key(c.certs[0].get(), c.key.get()) != 1) {
    ERR_clear_error();
    return Error::perm("the private key does not match the certificate in " + c.source +
                       " (compare `openssl x509 -noout -pubkey -in CERT` with `openssl pkey -pubout -in KEY`)");
  }
  if (SSL_CTX_use_certificate(ctx, c.certs[0].get()) != 1 || SSL_CTX_use_PrivateKey(ctx, c.key.get()) != 1)
    return Error::perm("OpenSSL refused the certificate or key of " + c.source + ": " + openssl_reason());
  for (size_t i = 1; i < c.certs.size(); ++i)
    if (SSL_CTX_add1_chain_cert(ctx, c.certs[i].get()) != 1)
      return Error::perm("OpenSSL refused a chain certificate of " + c.source + ": " + openssl_reason());
  return ok_status();
}

}  // namespace tern::tls
