// The timed parts of the evaluation benchmark: evaluating one segment for
// every customer on either engine, the reference query written by hand over
// the store's columns, and the repetition and statistics around them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/lower/ir.h"
#include "interp/interpreter.h"
#include "runtime/store.h"

namespace crm::bench {

// The wall-clock time of one run and the CPU time of the process during it,
// in seconds. Other programs on the machine lengthen the first more than the
// second. The benchmark evaluates on one thread at a time, which need not be
// the calling one: run::runProgram evaluates on a thread with a large stack.
struct Sample {
  double wall = 0;
  double cpu = 0;
};

// The CPU time that the process has used, in seconds.
double processCpuSeconds();

template <typename Run>
Sample measure(Run&& run) {
  double cpuStart = processCpuSeconds();
  auto start = std::chrono::steady_clock::now();
  run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {wall, processCpuSeconds() - cpuStart};
}

// The times of the runs of one case.
struct Timings {
  std::vector<double> seconds;     // wall-clock
  std::vector<double> cpuSeconds;  // CPU time of the process

  void add(Sample sample);
  // The median, fastest and slowest of the wall-clock times.
  double median() const;
  double min() const;
  double max() const;
  double cpuMedian() const;
};

// The outcome of evaluating one segment for every customer.
struct SegmentCount {
  size_t members = 0;
  size_t errors = 0;
};

// Evaluates declaration `index` (a segment) for every customer of `store`,
// with `native` code when it is not null, as `crm run` does for one rule.
// setCustomer() clears the cache, so each customer computes the segment and
// the lets and segments it reads.
SegmentCount evaluateSegment(const ir::Program& program, const runtime::Store& store,
                             int64_t asOf, const interp::NativeCode* native, uint32_t index);

// The index among `program.declarations` of the segment called `name`;
// raises std::runtime_error when there is none.
uint32_t segmentIndex(const ir::Program& program, const std::string& name);

// The reference query written by hand over the columns of the store: the
// customers with at least `minOrders` orders in the `window` (microseconds)
// up to `asOf` whose totals over those orders exceed `minTotal`.
size_t countFrequentBuyers(const runtime::Store& store, int64_t asOf, int64_t window,
                           int64_t minOrders, runtime::Decimal minTotal);

// The peak resident set size of this process so far (getrusage), and the
// current one (/proc/self/status), in bytes.
size_t peakRssBytes();
size_t currentRssBytes();

}  // namespace crm::bench
