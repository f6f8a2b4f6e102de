// The local submission protocol between sendmail(1) and the daemon, over
// the Unix socket queue_directory/public/submit. The request uses the
// queue file's record encoding (record.h): magic, then 'S' sender, one 'R'
// per recipient, 'M' content (LF line endings), 'E'. The daemon answers
// one line: "OK <queue id>\n" or "ERR <temp|perm> <reason>\n".
//
// The submitting user's identity comes from SO_PEERCRED, never from the
// request, so a local user cannot claim to be someone else in the logs.
//
// SECURITY: the request is untrusted input from any local user. Sizes are
// checked against the limit before anything is allocated; the decoder must
// consume the whole message and refuses anything else.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tern::queue {

struct SubmitRequest {
  std::string sender;
  std::vector<std::string> recipients;
  std::string content;
};

std::string encode_submit_request(const SubmitRequest& r);
// max_content: message_size_limit; max_recipients: a sane bound.
Result<SubmitRequest> decode_submit_request(std::string_view bytes, size_t max_content, size_t max_recipients);

}  // namespace tern::queue
