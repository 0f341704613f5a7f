// The text form of a customer's decision trace, shared by `crm explain`
// and the REPL's `:explain`.
#pragma once

#include <ostream>
#include <string>

#include "compiler/lower/ir.h"
#include "run/run.h"

namespace crm::run {

// Prints the segments, then each campaign's steps (or only `campaign`'s,
// when it is not empty), from a run with RunOptions::traceCustomer set.
void printTrace(std::ostream& out, const ir::Program& program, const RunResult& result,
                const std::string& customer, const std::string& asOf,
                const std::string& campaign);

}  // namespace crm::run
