// GMime needs g_mime_init() once per process before any other call. Every
// entry point of this module calls ensure_gmime() first; it runs
// g_mime_init() exactly once (std::call_once), so the first use may come
// from any thread. After that GMime's parsing calls are safe from several
// threads at once as long as no two threads share a GMime object: this
// module creates, uses and frees its objects within one call and passes the
// process-wide default parser/format options (GMime's own, never modified).
// g_mime_shutdown() is never called: the tables live until exit.
#pragma once

namespace tern::mime {

void ensure_gmime();

}  // namespace tern::mime
