#pragma once

#include <malloc.h>

namespace bulwark::runtime {

// glibc gives each thread that allocates its own malloc arena, and cpprestsdk runs a pool of
// threads: freed parse buffers then stay resident, spread over many arenas. Processes that hold
// caches call this once at start-up; with one arena a 10,000-pod informer measured 31 MiB
// resident instead of 38 MiB (docs/benchmarks.md), and contention is no concern on a few cores.
//
// The thresholds are fixed as well: glibc raises them by itself each time a large block it
// mapped is freed (a LIST page, a watch buffer), up to 32 MiB for mapping and twice that for
// handing back the top of the heap, which may then stay resident after every pass. Measured at
// 10,000 pods with reports: after a pass and the trim that ends it (below), malloc_trim called
// again a minute later handed back 5.5 of 61.5 MiB freed meanwhile.
inline void limit_malloc_arenas() {
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024);
}

// A pass over every workload parses thousands of objects and API responses; glibc keeps the
// pages those buffers freed (only the top of the heap goes back by itself). Called when such a
// pass ends, malloc_trim hands every wholly free page back to the kernel: a few milliseconds for
// the whole heap, once a pass. Measured at 10,000 pods: about 4 MiB of 58 handed back (gdb
// calling it on the running operator after a pass); most free space lies in part-used pages.
inline void release_free_memory() { malloc_trim(0); }

}  // namespace bulwark::runtime
