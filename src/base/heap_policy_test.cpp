// The daemon's heap policy as glibc applies it: a block just under 1 MiB
// comes from the heap and a larger one is mapped (glibc's default maps from
// 128 KiB, and its adaptive threshold, once raised by a freed large block,
// would stop mapping 1.5 MiB), and freeing the block at the top of the heap
// does not give the memory back to the kernel. ASan replaces malloc, so
// there is nothing of glibc's to observe under it.
#include "base/heap_policy.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

// GCC says __SANITIZE_ADDRESS__; clang 14 only answers __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define TERN_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TERN_UNDER_ASAN 1
#endif
#endif

namespace tern::base {
namespace {

#if defined(TERN_UNDER_ASAN)
TEST(HeapPolicy, ThresholdsAsGlibcAppliesThem) { GTEST_SKIP() << "ASan replaces glibc's malloc"; }
#else
TEST(HeapPolicy, ThresholdsAsGlibcAppliesThem) {
  apply_server_heap_policy();
  // Earlier tests in this process may have left free memory at the top of
  // the heap; with it and the block below, the top could pass the trim
  // threshold and be trimmed rightly. Start from a trimmed heap.
  ::malloc_trim(0);
  const size_t below = 900 * 1024, above = 1536 * 1024;

  auto before = mallinfo2();
  void* small = std::malloc(below);
  ASSERT_NE(small, nullptr);
  std::memset(small, 1, below);
  auto with_small = mallinfo2();
  EXPECT_EQ(with_small.hblkhd, before.hblkhd) << "a block under 1 MiB was mapped";
  std::free(small);
  auto after_free = mallinfo2();
  EXPECT_EQ(after_free.arena, with_small.arena) << "the heap was trimmed";

  void* large = std::malloc(above);
  ASSERT_NE(large, nullptr);
  std::memset(large, 1, above);
  auto with_large = mallinfo2();
  EXPECT_GE(with_large.hblkhd, before.hblkhd + above) << "a block over 1 MiB came from the heap";
  std::free(large);
}
#endif

}  // namespace
}  // namespace tern::base
