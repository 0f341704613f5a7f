// The read-evaluate-print loop of `crm repl` over a Session.
#pragma once

#include <istream>
#include <ostream>

#include "repl/line_reader.h"
#include "repl/session.h"

namespace crm::repl {

// Reads inputs from `reader` until :quit or the end of input, and hands
// each whole input to `session`. Lines are joined while needsMoreInput()
// is true, until an empty line. A cancelled read drops the input being
// typed.
void runLoop(Session& session, LineReader& reader, std::ostream& out, std::ostream& err);

// The whole interactive or scripted session on standard input: libedit and
// a SIGINT handler that stops the current evaluation when standard input is
// a terminal, plain lines otherwise.
void runOnStandardInput(Session& session, std::ostream& out, std::ostream& err);

}  // namespace crm::repl
