// Local submission from the sendmail(1) personality: hand the message to
// the daemon over queue_directory/public/submit; if no daemon is listening
// and this process may write the queue (root or the queue's owner), write
// it directly through the same queue Writer, to be delivered when the
// daemon (re)starts. An ordinary user thus never needs queue write access.
#pragma once

#include <string>

#include "base/result.h"
#include "config/config.h"
#include "queue/submission.h"

namespace tern::cli {

// Returns the queue ID.
Result<std::string> submit(const config::Config& cfg, const queue::SubmitRequest& req);

}  // namespace tern::cli
