// Implementation of ServerContext (see server_context.h).
#include "tls/server_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "base/fs.h"
#include "base/strings.h"
#include "io/tcp_stream.h"
#include "maps/table.h"
#include "tls/config_error.h"
#include "tls/pem.h"
#include "tls/openssl_text.h"
#include "tls/protocols.h"
#include "tls/tls_stream.h"

namespace tern::tls {

namespace {

constexpr auto* at = &config_error;

struct Settings {
  VersionRange range;
  std::string ciphers;
  std::chrono::seconds ticket_lifetime{3600};
};

Result<std::shared_ptr<asio::ssl::context>> make_context(const Settings& s, const std::vector<KeyedChain>& chains,
                                                         TicketKeys& keys) {
  auto c = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = c->native_handle();
  SSL_CTX_set_min_proto_version(ctx, openssl_version(s.range.min));
  SSL_CTX_set_max_proto_version(ctx, openssl_version(s.range.max));
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION |
                               SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, s.ciphers.c_str()) != 1) {
    ERR_clear_error();
    return Error::perm("OpenSSL knows none of the ciphers of smtpd_tls_ciphers");
  }
  SSL_CTX_set_dh_auto(ctx, 1);
  static const unsigned char kSid[] = "tern-smtpd";
  SSL_CTX_set_session_id_context(ctx, kSid, sizeof kSid - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_timeout(ctx, static_cast<long>(s.ticket_lifetime.count()));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  for (const auto& chain : chains)
    if (auto st = install(ctx, chain); !st) return st.error();
  keys.attach(ctx);
  return c;
}

// The text source of an SNI table: every name with its files, read now so
// that every key is loaded before privileges are dropped (as Postfix's
// `postmap -F` stores the files in the table).
Result<std::vector<maps::Entry>> sni_entries(const std::string& spec) {
  auto colon = spec.find(':');
  std::string type = colon == std::string::npos ? "" : spec.substr(0, colon);
  std::string path = colon == std::string::npos ? spec : spec.substr(colon + 1);
  if (type != "texthash" && type != "hash" && type != "btree" && type != "lmdb" && !type.empty())
    return Error::perm("'" + str::printable(spec, 100) +
                       "': use a texthash:, hash: or lmdb: table whose text source (NAME FILE...) tern can read");
  auto text = fs::read_file(path, 16u << 20);
  if (!text) return Error::perm("cannot read " + path + ": " + text.error().detail);
  return maps::parse_table_text(*text, path);
}

}  // namespace

bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char ch : name) {
    bool ldh = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
               ch == '_';
    if (ch == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (!ldh || ++label > 63) {
      return false;
    }
  }
  return label > 0;
}

Level security_level(const config::Config& cfg) {
  std::string v = cfg.get("smtpd_tls_security_level");
  if (v == "none") return Level::none;
  if (v == "encrypt") return Level::encrypt;
  return Level::may;
}

ServerContext::~ServerContext() = default;

Result<std::vector<std::string>> files_named(const config::Config& cfg) {
  std::vector<std::string> out = cfg.list("smtpd_tls_chain_files");
  for (const char* p : {"smtpd_tls_cert_file", "smtpd_tls_key_file"})
    if (!cfg.get(p).empty()) out.push_back(cfg.get(p));
  for (const auto& spec : cfg.list("tls_server_sni_maps")) {
    auto entries = sni_entries(spec);
    if (!entries) return entries.error();
    for (auto& e : *entries)
      for (auto& f : str::split_list(e.value)) out.push_back(f);
  }
  return out;
}

Result<std::shared_ptr<ServerContext>> ServerContext::create(const config::Config& cfg, const FileReader& read) {
  std::string cert = cfg.get("smtpd_tls_cert_file");
  std::string key = cfg.get("smtpd_tls_key_file");
  auto chain_files = cfg.list("smtpd_tls_chain_files");
  if (cert.empty() && chain_files.empty()) {
    if (security_level(cfg) == Level::encrypt)
      return at(cfg, "smtpd_tls_security_level",
                "encrypt needs a certificate: set smtpd_tls_cert_file and smtpd_tls_key_file (or "
                "smtpd_tls_chain_files), or choose may");
    return std::shared_ptr<ServerContext>();
  }
  Settings s;
  const char* proto_param =
      security_level(cfg) == Level::encrypt ? "smtpd_tls_mandatory_protocols" : "smtpd_tls_protocols";
  auto range = parse_protocols(cfg.get(proto_param));
  if (!range) return at(cfg, proto_param, range.error().detail);
  s.range = *range;
  s.ciphers = cipher_list(cfg.get("smtpd_tls_ciphers"));
  s.ticket_lifetime = std::chrono::seconds(std::max(60LL, cfg.seconds("smtpd_tls_session_cache_timeout")));

  // Where a key problem is reported: the parameter the admin wrote.
  const char* key_param = !chain_files.empty()                   ? "smtpd_tls_chain_files"
                          : cfg.is_set("smtpd_tls_key_file") ? "smtpd_tls_key_file"
                                                             : "smtpd_tls_cert_file";
  std::vector<KeyedChain> chains;
  if (!chain_files.empty()) {
    auto c = load_chain_files(chain_files, read);
    if (!c) return at(cfg, "smtpd_tls_chain_files", c.error().detail);
    chains = std::move(*c);
  } else {
    auto c = load_cert_and_key(cert, key.empty() ? cert : key, read);
    if (!c) return at(cfg, key_param, c.error().detail);
    chains.push_back(std::move(*c));
  }

  std::shared_ptr<ServerContext> self(new ServerContext());
  for (auto& w : range->warnings) self->warnings_.push_back(std::string(proto_param) + ": " + w);
  self->keys_ = std::make_unique<TicketKeys>(s.ticket_lifetime);
  auto def = make_context(s, chains, *self->keys_);
  if (!def) return at(cfg, key_param, def.error().detail);
  self->default_ = *def;

  for (const auto& spec : cfg.list("tls_server_sni_maps")) {
    auto entries = sni_entries(spec);
    if (!entries) return at(cfg, "tls_server_sni_maps", entries.error().detail);
    for (auto& e : *entries) {
      std::string_view name = e.key;
      if (!is_dns_name(name.starts_with('.') ? name.substr(1) : name))
        return at(cfg, "tls_server_sni_maps", "'" + str::printable(e.key, 100) + "' is not a host name");
      auto c = load_chain_files(str::split_list(e.value), read);
      std::string where = fs::basename(spec) + " line " + std::to_string(e.line) + ": ";
      if (!c) return at(cfg, "tls_server_sni_maps", where + c.error().detail);
      auto ctx = make_context(s, *c, *self->keys_);
      if (!ctx) return at(cfg, "tls_server_sni_maps", where + ctx.error().detail);
      self->by_name_.emplace(str::lower(e.key), *ctx);
    }
  }
  if (!self->by_name_.empty()) {
    SSL_CTX_set_tlsext_servername_callback(self->default_->native_handle(), &ServerContext::on_servername);
    SSL_CTX_set_tlsext_servername_arg(self->default_->native_handle(), self.get());
  }
  return self;
}

int ServerContext::on_servername(SSL* ssl, int*, void* arg) {
  const auto* self = static_cast<const ServerContext*>(arg);
  const char* sent = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!sent || !is_dns_name(sent)) return SSL_TLSEXT_ERR_OK;  // the default certificate
  std::string name = str::lower(sent);
  auto it = self->by_name_.find(name);
  // Then the parent domains, as ".example.com".
  for (size_t dot = name.find('.'); it == self->by_name_.end() && dot != std::string::npos;
       dot = name.find('.', dot + 1))
    it = self->by_name_.find(std::string_view(name).substr(dot));
  if (it != self->by_name_.end()) SSL_set_SSL_CTX(ssl, it->second->native_handle());
  return SSL_TLSEXT_ERR_OK;
}

std::unique_ptr<io::TlsStream> ServerContext::wrap(std::unique_ptr<io::Stream>& plain) const {
  auto* tcp = dynamic_cast<io::TcpStream*>(plain.get());
  if (!tcp) return nullptr;
  auto tls = std::make_unique<OpensslStream>(shared_from_this(), *default_, std::move(tcp->socket()));
  plain.reset();
  return tls;
}

}  // namespace tern::tls
