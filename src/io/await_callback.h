// await_callback: awaits, from a session coroutine, an operation that
// reports once through a callback on some other thread (a password check on
// the tern-auth workers, a commit on a Committer thread). The result is
// posted back to the coroutine's own executor, so session state is only
// ever touched on the session's thread.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <functional>
#include <memory>

namespace tern::io {

// start(done) begins the operation; it must call done(R) exactly once, on
// any thread.
template <class R, class Start>
auto await_callback(Start start) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      [](auto handler, Start st) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        st(std::function<void(R)>([ex, h](R r) {
          asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        }));
      },
      asio::use_awaitable, std::move(start));
}

}  // namespace tern::io
