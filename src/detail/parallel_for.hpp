// detail/parallel_for.hpp: runs independent jobs on a few threads, the caller's included.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace medmask::detail {

// Runs job(i) for every i in [0, count) on up to `threads` threads. Jobs are taken in order as
// threads free up, so uneven jobs still balance. The first exception a job throws is rethrown
// here once every thread has stopped.
template <class Job>
void parallel_for(std::size_t count, unsigned threads, Job&& job) {
  const std::size_t workers = std::min<std::size_t>(std::max(1u, threads), count);
  std::atomic<std::size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto work = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      try {
        job(i);
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace medmask::detail
