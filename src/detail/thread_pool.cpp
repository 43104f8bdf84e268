#include "detail/thread_pool.hpp"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace medmask::detail {

namespace {

class ThreadPool {
 public:
  void post(unsigned copies, const std::function<void()>& task) {
    {
      const std::lock_guard lock(mutex_);
      // Detached: the pool lives until the process ends, and its threads with it.
      for (; started_ < copies; ++started_) std::thread([this] { serve(); }).detach();
      for (unsigned i = 0; i < copies; ++i) tasks_.push_back(task);
    }
    if (copies == 1) {
      ready_.notify_one();
    } else {
      ready_.notify_all();
    }
  }

 private:
  void serve() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  unsigned started_ = 0;
};

// Never deleted: threads blocked in it may outlive static destructors at exit.
std::atomic<ThreadPool*> the_pool{nullptr};

// In a forked child the old pool's threads are gone and its mutex may be held by one of them:
// it is abandoned (not touched, not freed) and a new one made.
void make_pool_after_fork() { the_pool.store(new ThreadPool); }

ThreadPool& pool() {
  static const bool registered = [] {
    the_pool.store(new ThreadPool);
    return pthread_atfork(nullptr, nullptr, make_pool_after_fork) == 0;
  }();
  (void)registered;
  return *the_pool.load();
}

}  // namespace

void run_on_pool(unsigned copies, const std::function<void()>& task) {
  if (copies != 0) pool().post(copies, task);
}

}  // namespace medmask::detail
