// DomainClass: how tern treats a recipient domain, as Postfix's address
// classes do (ADDRESS_CLASS_README): local (mydestination, system users),
// virtual alias (virtual_alias_domains: aliases only), virtual mailbox
// (virtual_mailbox_domains: accounts in user_database), relay
// (relay_domains: we are a backup MX), or anything else (remote).
#pragma once

namespace tern::mail {

enum class DomainClass { local, virtual_alias, virtual_mailbox, relay, remote };

}  // namespace tern::mail
