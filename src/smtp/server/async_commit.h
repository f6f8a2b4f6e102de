// async_commit: awaits a committer (queue::Committer, or a SessionHost) from
// a coroutine. The committer calls back on one of its threads; the result is
// posted back to the awaiting coroutine's executor, so session state is only
// touched on its own thread.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>
#include <memory>
#include <string>

#include "queue/writer.h"

namespace tern::smtp {

// Completes with "" on success, else the error detail.
template <class Committer, class Token>
auto async_commit(Committer& c, std::unique_ptr<queue::Draft> d, Token&& token) {
  return asio::async_initiate<Token, void(std::string)>(
      [&c](auto handler, std::unique_ptr<queue::Draft> draft) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        c.commit(std::move(draft), [ex, h](Status st) {
          std::string err = st ? std::string() : (st.error().detail.empty() ? "error" : st.error().detail);
          asio::post(ex, [h, err]() mutable { (*h)(err); });
        });
      },
      token, std::move(d));
}

}  // namespace tern::smtp
