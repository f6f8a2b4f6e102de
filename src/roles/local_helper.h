// The root-owned local delivery process, and the agent that talks to it.
//
// When tern starts as root with a mail_owner, everything that reads the
// network and the queue runner drop to mail_owner. Deliveries that need
// another user's identity (a system user's mailbox, a command, a file)
// are sent to this helper, forked before the privilege drop, over a
// SOCK_SEQPACKET socketpair. The helper is single-threaded and forks one
// short-lived child per request; the child re-reads the queue file,
// re-expands the recipient with its own tables and delivers only to a
// target that expansion produces, switching to the target user before it
// opens anything (delivery/local_agent).
//
// SECURITY: the helper trusts only its socketpair peer, and even that only
// for "which queued recipient to deliver now" (delivery/request.h).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "delivery/local_agent.h"
#include "delivery/request.h"
#include "roles/serve.h"

namespace tern::roles {

// Forks the helper. Returns the parent's end of the socketpair.
// close_in_child: descriptors the new process must not keep (the daemon's
// ends of the links to helpers started before it, so that each helper sees
// its own daemon-side process go).
Result<int> start_local_helper(const ServeOptions& opt, const std::vector<int>& close_in_child = {});

// The daemon's end of the socketpair: sends requests, matches replies.
class HelperLink {
 public:
  explicit HelperLink(int fd);
  ~HelperLink();
  Result<delivery::Delivered> call(delivery::DeliveryRequest req);
  void request_reload();
  // A certificate or key file, read as root by the helper, which reads only
  // files its configuration names (a reload after the privilege drop).
  // Waits at most 10 seconds.
  Result<std::string> read_file(const std::string& path);
  // Shutdown: ends the link; calls waiting for a reply fail (temporary),
  // and the local delivery process stops its running deliveries.
  void close();

 private:
  void read_replies();
  int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_tag_ = 1;
  std::map<uint64_t, std::unique_ptr<delivery::DeliveryReply>> replies_;
  bool dead_ = false;
  std::thread reader_;
};

// Routes privileged targets through the link and the rest to `unprivileged`.
class HelperAgent : public delivery::Agent {
 public:
  HelperAgent(std::shared_ptr<HelperLink> link, std::shared_ptr<delivery::Agent> unprivileged)
      : link_(std::move(link)), unprivileged_(std::move(unprivileged)) {}
  Result<delivery::Delivered> deliver(const queue::Envelope& env, std::string_view content,
                                      const rewrite::Target& t, const std::string& original) const override;

 private:
  std::shared_ptr<HelperLink> link_;
  std::shared_ptr<delivery::Agent> unprivileged_;
};

}  // namespace tern::roles
