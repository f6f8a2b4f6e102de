// Implementation of the delivery at acceptance (see acceptance.h).
#include "scheduler/acceptance.h"

#include <ctime>

#include "base/log.h"
#include "queue/reader.h"
#include "scheduler/bouncer.h"

namespace tern::scheduler {

namespace {

// Collects the progress of a pass for the Committer.
class DraftProgress : public ProgressLog {
 public:
  explicit DraftProgress(queue::CrossOffs& out) : out_(out) {}
  void target_done(const queue::Recipient& r, const std::string& key) override {
    out_.targets.emplace_back(r.type_offset, key);
  }
  void recipient_done(const queue::Recipient& r) override { out_.recipients.push_back(r.type_offset); }

 private:
  queue::CrossOffs& out_;
};

bool all_virtual(const Result<std::vector<rewrite::Target>>& targets) {
  if (!targets || targets->empty()) return false;
  for (auto& t : *targets)
    if (t.kind != rewrite::Target::Kind::virtual_mailbox) return false;
  return true;
}

}  // namespace

void AcceptanceDelivery::set_services(std::shared_ptr<const DeliveryServices> s) {
  std::lock_guard lock(mu_);
  services_ = std::move(s);
}

queue::CrossOffs AcceptanceDelivery::deliver_now(const queue::Draft& draft) {
  queue::CrossOffs out;
  std::shared_ptr<const DeliveryServices> svc;
  {
    std::lock_guard lock(mu_);
    svc = services_;
  }
  std::string_view image = draft.image();
  if (!svc || image.empty()) return out;
  auto env = queue::parse_queue_file(image, draft.id());
  if (!env) return out;
  if (!slots_.try_acquire()) return out;  // busy: the queue takes it
  std::string_view content = image.substr(env->content_offset, env->content_size);
  DraftProgress progress(out);
  // Every pending recipient takes part, so a target shared with one left
  // to the queue is recorded and not delivered again there.
  std::vector<PassRecipient> pass;
  for (auto& r : env->recipients) {
    if (r.done) continue;
    auto targets = svc->rewriter->expand(r.address);
    bool now = all_virtual(targets);
    pass.push_back({&r, std::move(targets), now, {}});
  }
  deliver_recipients(*svc, *env, content, pass, progress);
  slots_.release();
  // The notification of this pass is committed before the Committer
  // crosses anything off; if it cannot be, the failed recipients and
  // their target records are left out, so the queue tries and reports
  // them again.
  auto lines = notice_lines(pass, false, false);
  if (committer_ && !lines.empty()) {
    auto settings = notice_settings(*svc->cfg, ::time(nullptr));
    if (!send_notice(*committer_, spool_, settings, *env, content, lines)) {
      for (auto& p : pass) {
        if (!p.outcome.failed()) continue;
        const uint64_t off = p.recipient->type_offset;
        p.recipient->done = false;
        std::erase(out.recipients, off);
        std::erase_if(out.targets, [off](const auto& t) { return t.first == off; });
      }
    }
  }
  out.all_done = env->pending() == 0;
  if (out.all_done) log::info("{}: removed", env->id);
  return out;
}

}  // namespace tern::scheduler
