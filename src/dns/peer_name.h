// lookup_peer_name: the SMTP client's host name as Postfix's smtpd finds it
// (smtpd_peername_lookup = yes): the PTR name of the address, kept only if
// that name's A (or AAAA) records include the address again; otherwise
// "unknown". Never blocks: `done` runs on the resolver's strand.
//
// How a session uses it: on connect, start the lookup and co_await it
// (async_lookup_peer_name in peer_name_await.h) before the greeting, as
// Postfix does, with the resolver's time limit; put `name()` into the log
// ("connect from mail.example.org[192.0.2.7]") and the Received: header
// ("from HELO (mail.example.org [192.0.2.7])"), and `status` decides
// reject_unknown_client_hostname (450 when temporary, 550 otherwise).
//
// SECURITY: PTR records are chosen by whoever owns the address block, so a
// PTR name alone proves nothing (anyone can point 192.0.2.7 at
// mail.google.com); the forward check is what makes it the client's name.
// Names that are not valid host names (hostname.h) are ignored; at most
// kMaxPtrNames are checked.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "dns/ip_address.h"
#include "dns/resolver.h"

namespace tern::dns {

inline constexpr size_t kMaxPtrNames = 4;

struct PeerName {
  enum class Status {
    confirmed,  // name is the client's verified name
    no_name,    // no PTR record, NXDOMAIN, or no valid name in it
    mismatch,   // PTR names found, none resolves back to the address
    temporary,  // a lookup failed or timed out: "unknown", but try again later
  };
  Status status = Status::temporary;
  IpAddress address;       // the client address (IPv4-mapped IPv6 unmapped)
  std::string host;        // the confirmed name, else empty
  std::string ptr_name;    // the first valid PTR name, confirmed or not (Postfix's reverse name)
  std::string detail;      // why not confirmed, for the log

  // "mail.example.org" or "unknown", as Postfix prints it.
  std::string name() const { return status == Status::confirmed ? host : "unknown"; }
  // "mail.example.org[192.0.2.7]", "unknown[192.0.2.7]".
  std::string text() const { return name() + "[" + address.text() + "]"; }
};

using PeerNameHandler = std::function<void(PeerName)>;

void lookup_peer_name(std::shared_ptr<Resolver> resolver, const IpAddress& client, PeerNameHandler done);

}  // namespace tern::dns
