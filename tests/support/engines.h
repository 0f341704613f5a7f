// The evaluation engines every evaluation test runs on. Results must be
// identical across them.
#pragma once

#include "run/run.h"

namespace crm::testing {

inline constexpr run::Engine kEngines[] = {run::Engine::Interpreter, run::Engine::Jit};

}  // namespace crm::testing
