// detail/thread_pool.hpp: the process's worker threads, started once and reused, so that a
// request of a millisecond does not pay for starting threads (tens of microseconds each).
#pragma once

#include <functional>

namespace medmask::detail {

// Runs task on `copies` pool threads (the pool grows to that many). Returns at once: the caller
// waits for its work by other means (parallel_for). A task may start late, after its caller
// stopped waiting, so it must hold what it touches (a shared_ptr), not borrow the caller's frame.
// After fork() the child gets a new, empty pool (the parent's threads do not exist there).
void run_on_pool(unsigned copies, const std::function<void()>& task);

}  // namespace medmask::detail
