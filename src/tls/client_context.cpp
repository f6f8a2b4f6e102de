// Implementation of ClientContext (see client_context.h).
#include "tls/client_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "io/tcp_stream.h"
#include "tls/client_policy.h"
#include "tls/config_error.h"
#include "tls/openssl_text.h"
#include "tls/protocols.h"
#include "tls/tls_stream.h"

namespace tern::tls {

namespace {

// One SSL_CTX for one protocol range; CAs from the files named, else the
// system store.
Result<std::shared_ptr<asio::ssl::context>> make_context(const config::Config& cfg, const char* proto_param,
                                                         std::vector<std::string>& warnings) {
  auto range = parse_protocols(cfg.get(proto_param));
  if (!range) return config_error(cfg, proto_param, range.error().detail);
  for (auto& w : range->warnings) warnings.push_back(std::string(proto_param) + ": " + w);
  auto c = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = c->native_handle();
  SSL_CTX_set_min_proto_version(ctx, openssl_version(range->min));
  SSL_CTX_set_max_proto_version(ctx, openssl_version(range->max));
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
                               SSL_OP_NO_TLSv1_1);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, cipher_list(cfg.get("smtp_tls_ciphers")).c_str()) != 1) {
    ERR_clear_error();
    return config_error(cfg, "smtp_tls_ciphers", "OpenSSL knows none of these ciphers: choose medium or high");
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  std::string file = cfg.get("smtp_tls_CAfile"), dir = cfg.get("smtp_tls_CApath");
  if (file.empty() && dir.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) ERR_clear_error();  // no system store: nothing verifies
  } else if (SSL_CTX_load_verify_locations(ctx, file.empty() ? nullptr : file.c_str(),
                                           dir.empty() ? nullptr : dir.c_str()) != 1) {
    const char* param = file.empty() ? "smtp_tls_CApath" : "smtp_tls_CAfile";
    return config_error(cfg, param,
                        "cannot load CA certificates (" + openssl_reason() +
                            "): name a readable PEM file (smtp_tls_CAfile) or a c_rehash directory "
                            "(smtp_tls_CApath), or leave both empty for the system store");
  }
  return c;
}

}  // namespace

Result<std::shared_ptr<ClientContext>> ClientContext::create(const config::Config& cfg) {
  std::shared_ptr<ClientContext> self(new ClientContext());
  auto level = parse_level(cfg.get("smtp_tls_security_level"));
  if (!level) return config_error(cfg, "smtp_tls_security_level", level.error().detail);
  self->level_ = *level;
  self->loglevel_ = static_cast<int>(cfg.integer("smtp_tls_loglevel"));
  auto may = make_context(cfg, "smtp_tls_protocols", self->warnings_);
  if (!may) return may.error();
  auto mandatory = make_context(cfg, "smtp_tls_mandatory_protocols", self->warnings_);
  if (!mandatory) return mandatory.error();
  self->may_ = *may;
  self->mandatory_ = *mandatory;
  for (const auto& spec : cfg.list("smtp_tls_policy_maps")) {
    auto t = maps::open_table(spec);
    if (!t) return config_error(cfg, "smtp_tls_policy_maps", t.error().detail);
    self->policy_.push_back(*t);
  }
  return self;
}

Result<io::TlsLevel> ClientContext::level_for(std::string_view next_hop, std::string_view recipient_domain) const {
  auto found = lookup_policy(policy_, next_hop, recipient_domain);
  if (!found) return found.error();
  return found->value_or(level_);
}

std::unique_ptr<io::TlsStream> ClientContext::wrap(std::unique_ptr<io::Stream>& plain, const std::string& server_name,
                                                   bool mandatory) const {
  auto* tcp = dynamic_cast<io::TcpStream*>(plain.get());
  if (!tcp) return nullptr;
  auto& ctx = mandatory ? *mandatory_ : *may_;
  auto tls = std::make_unique<OpensslStream>(shared_from_this(), ctx, std::move(tcp->socket()), server_name);
  plain.reset();
  return tls;
}

}  // namespace tern::tls
