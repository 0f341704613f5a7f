// The second half of a run: choosing, among every customer's candidates,
// which messages go out. Candidates take channel capacity in rank order
// across all customers, and each customer's pressure caps in rank order
// among that customer's candidates; both count the contact history.
#pragma once

#include <cstdint>
#include <deque>
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
  std::vector<Option> options;
  double cost = 0;  // of the first option's channel, for `rank by cost`
};

// A run's candidates in customer order. A deque grows without moving what
// it holds, and a run holds a few candidates per customer, each with its
// strings and lists.
using CandidateList = std::deque<Candidate>;

// One customer with at least one candidate.
struct CustomerPlan {
  uint32_t row = 0;
  std::optional<runtime::TimeZone> zone;
  std::vector<int64_t> limits;   // per Program::caps entry
  std::vector<int64_t> windows;  // per cap: the rolling window, 0 for calendar caps
  size_t firstCandidate = 0;     // into the candidate list
  size_t candidateCount = 0;
  bool trace = false;
};

using PlanList = std::deque<CustomerPlan>;

// Decides every live candidate (those without a reason) in place: sets the
// channel, time and rank of those sent, and the reason, rule and winner of
// those dropped. Plans and candidates are in customer order.
void arbitrate(const ir::Program& program, const runtime::Table& customers,
               const PlanList& plans, CandidateList& candidates,
               const std::vector<history::Contact>* contacts, std::vector<TraceStep>& trace);

// Returns whether expected value `a` ranks before `b`. Numbers compare
// exactly across int, double and decimal, highest first, and a NaN or a
// missing value ranks after every number.
bool expectedBefore(const runtime::Value& a, const runtime::Value& b);

}  // namespace crm::run::internal
