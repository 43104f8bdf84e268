// medmask/threads.hpp: how many threads the library codes and decodes with.
//
// Every archive takes its thread count from WriteOptions::threads / ReadOptions::threads; 0 (the
// default) means default_threads(): the MEDMASK_THREADS environment variable when it holds a
// positive integer, else the number of cores this process may run on (sched_getaffinity, so a
// container or `taskset` limit is respected). Results never depend on the thread count.
#pragma once

namespace medmask {

// MEDMASK_THREADS (read on every call) or the cores this process may use; always >= 1.
unsigned default_threads() noexcept;

// A requested count, 0 meaning default_threads().
inline unsigned resolve_threads(unsigned requested) noexcept {
  return requested != 0 ? requested : default_threads();
}

}  // namespace medmask
