// detail/parallel_for.hpp: runs independent jobs on a few threads, the caller's included.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>

#include "detail/thread_pool.hpp"

namespace medmask::detail {

// What the caller and its helpers share. A helper that starts after every job was taken finds
// `next >= count` and touches nothing else, so `job` (which borrows the caller's frame) is only
// called while the caller still waits.
struct ParallelJobs {
  explicit ParallelJobs(std::size_t jobs) : count(jobs) {}

  void work() {
    for (std::size_t i = next++; i < count; i = next++) {
      try {
        job(i);
      } catch (...) {
        const std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
      }
      if (done.fetch_add(1, std::memory_order_acq_rel) + 1 == count) done.notify_all();
    }
  }

  void wait_all_done() {
    for (std::size_t d = done.load(std::memory_order_acquire); d != count;
         d = done.load(std::memory_order_acquire)) {
      done.wait(d, std::memory_order_acquire);
    }
  }

  const std::size_t count;
  std::function<void(std::size_t)> job;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex error_mutex;
  std::exception_ptr error;
};

// Runs job(i) for every i in [0, count) on up to `threads` threads: the caller's and threads of
// the process's pool (detail/thread_pool), started once. Jobs are taken in order as threads free
// up, so uneven jobs still balance; a job may itself call parallel_for (the caller always works
// too, so nothing waits on a queued helper). The first exception a job throws is rethrown here
// once every job has ended.
template <class Job>
void parallel_for(std::size_t count, unsigned threads, Job&& job) {
  const std::size_t workers = std::min<std::size_t>(std::max(1u, threads), count);
  const auto jobs = std::make_shared<ParallelJobs>(count);
  jobs->job = [&job](std::size_t i) { job(i); };
  if (workers > 1) {
    run_on_pool(static_cast<unsigned>(workers - 1), [jobs] { jobs->work(); });
  }
  jobs->work();
  jobs->wait_all_done();
  if (jobs->error) std::rethrow_exception(jobs->error);
}

}  // namespace medmask::detail
