// The second half of a run: choosing, among every customer's candidates,
// which messages go out. Candidates take channel capacity in rank order
// across all customers, and each customer's pressure caps in rank order
// among that customer's candidates; both count the contact history.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/lower/ir.h"
#include "run/run.h"
#include "runtime/store.h"
#include "runtime/time_zone.h"

namespace crm::run::internal {

// A channel that can carry a candidate, and when.
struct Option {
  uint32_t channel = 0;
  int64_t at = 0;
  bool deferred = false;
};

struct Candidate {
  Decision decision;  // reason set: dropped before arbitration
  // The channels that can carry it, in the order the campaign lists them:
  // RunPlans::options[firstOption, firstOption + optionCount).
  size_t firstOption = 0;
  uint32_t optionCount = 0;
  double cost = 0;  // of the first option's channel, for `rank by cost`
};

// One pressure cap's bounds for one customer.
struct CapBounds {
  int64_t limit = 0;
  int64_t window = 0;  // the rolling window; 0 for calendar caps
};

// One customer with at least one candidate.
struct CustomerPlan {
  uint32_t row = 0;
  std::optional<runtime::TimeZone> zone;
  // Per Program::caps entry: RunPlans::caps[firstCap + c]. After an error
  // in the bounds only transactional candidates stay live, and caps do not
  // count those.
  size_t firstCap = 0;
  size_t firstCandidate = 0;  // into RunPlans::candidates
  size_t candidateCount = 0;
  bool trace = false;
};

// A list that grows by chunks of kChunk elements. Appending never moves
// an element, which matters for elements with strings and lists, and costs
// one allocation per chunk. The std::deque of libstdc++ fills nodes of 512
// bytes, so it allocates a node per element larger than 256 bytes, such as
// a Candidate (296 bytes with GCC 12 on x86-64).
template <typename T>
class ChunkedList {
 public:
  size_t size() const { return size_; }
  T& operator[](size_t i) { return chunks_[i / kChunk][i % kChunk]; }
  const T& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }

  void push_back(T&& value) {
    if (size_ % kChunk == 0) {
      chunks_.emplace_back();
      chunks_.back().reserve(kChunk);
    }
    chunks_.back().push_back(std::move(value));
    ++size_;
  }

 private:
  static constexpr size_t kChunk = 1024;
  std::vector<std::vector<T>> chunks_;
  size_t size_ = 0;
};

// A run's plans and candidates in customer order, with their options and
// cap bounds in flat lists beside them, so that a customer's candidates
// cost no allocations of their own.
struct RunPlans {
  ChunkedList<CustomerPlan> plans;
  ChunkedList<Candidate> candidates;
  std::vector<Option> options;
  std::vector<CapBounds> caps;

  // Moves `other`'s plans after these, for the customers that follow.
  void append(RunPlans&& other);
};

// Decides every live candidate (those without a reason) in place: sets the
// channel, time and rank of those sent, and the reason, rule and winner of
// those dropped.
void arbitrate(const ir::Program& program, const runtime::Table& customers, RunPlans& plans,
               const std::vector<history::Contact>* contacts, std::vector<TraceStep>& trace);

// Returns whether expected value `a` ranks before `b`. Numbers compare
// exactly across int, double and decimal, highest first, and a NaN or a
// missing value ranks after every number.
bool expectedBefore(const runtime::Value& a, const runtime::Value& b);

}  // namespace crm::run::internal
