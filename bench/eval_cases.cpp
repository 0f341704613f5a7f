#include "bench/eval_cases.h"

#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "runtime/decimal.h"

namespace crm::bench {

namespace {

double medianOf(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  if (values.size() % 2 == 1) return values[middle];
  return (values[middle - 1] + values[middle]) / 2;
}

}  // namespace

double processCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

void Timings::add(Sample sample) {
  seconds.push_back(sample.wall);
  cpuSeconds.push_back(sample.cpu);
}

double Timings::median() const { return medianOf(seconds); }

double Timings::cpuMedian() const { return medianOf(cpuSeconds); }

double Timings::min() const {
  return seconds.empty() ? 0 : *std::min_element(seconds.begin(), seconds.end());
}

double Timings::max() const {
  return seconds.empty() ? 0 : *std::max_element(seconds.begin(), seconds.end());
}

SegmentCount evaluateSegment(const ir::Program& program, const runtime::Store& store,
                             int64_t asOf, const interp::NativeCode* native, uint32_t index) {
  interp::Interpreter interpreter(program, &store, asOf);
  interpreter.setNativeCode(native);
  const runtime::Table* customers = store.table(program.customerEntity);
  SegmentCount count;
  for (uint32_t row = 0; row < customers->rowCount; ++row) {
    interpreter.setCustomer(row);
    runtime::Value member = interpreter.declaration(index);
    if (member.isError()) {
      ++count.errors;
    } else if (member.is(runtime::ValueKind::Bool) && member.asBool()) {
      ++count.members;
    }
  }
  return count;
}

uint32_t segmentIndex(const ir::Program& program, const std::string& name) {
  for (uint32_t index : program.segments()) {
    if (program.declarations[index].name == name) return index;
  }
  throw std::runtime_error("the program has no segment '" + name + "'");
}

size_t countFrequentBuyers(const runtime::Store& store, int64_t asOf, int64_t window,
                           int64_t minOrders, runtime::Decimal minTotal) {
  const runtime::Table* customers = store.table("Customer");
  const runtime::Table* orders = store.table("Order");
  if (customers == nullptr || orders == nullptr) {
    throw std::runtime_error("the store has no Customer or Order table");
  }
  const runtime::Column* children = customers->column("orders");
  const runtime::Column* orderedAt = orders->column("ordered_at");
  const runtime::Column* total = orders->column("total");
  if (children == nullptr || orderedAt == nullptr || total == nullptr) {
    throw std::runtime_error("the store lacks Customer.orders, Order.ordered_at or Order.total");
  }
  const uint32_t* offsets = children->offsets.data();
  const int64_t* times = orderedAt->ints.data();
  const runtime::Decimal* totals = total->decimals.data();
  const int64_t from = asOf - window;
  size_t members = 0;
  for (size_t customer = 0; customer < customers->rowCount; ++customer) {
    int64_t count = 0;
    runtime::Decimal sum{0, 0};
    for (uint32_t order = offsets[customer]; order < offsets[customer + 1]; ++order) {
      if (times[order] < from || times[order] > asOf) continue;
      ++count;
      auto added = runtime::addDecimal(sum, totals[order]);
      if (!added) throw std::runtime_error("a customer's total overflows a decimal");
      sum = *added;
    }
    if (count >= minOrders && runtime::compareDecimal(sum, minTotal) > 0) ++members;
  }
  return members;
}

size_t peakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<size_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

size_t currentRssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // in kB
  }
  return 0;
}

}  // namespace crm::bench
