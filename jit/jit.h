// The LLVM JIT engine. It compiles the roots of an ir::Program (each let and
// segment, each campaign's audience, offer, priority and expected value,
// each channel's reachability) to native code with ORC LLJIT. No LLVM type
// appears in this header: LLVM stays inside this folder.
//
// Scalars (bools, ints, doubles, decimals, times, enums), rows and
// child-list slices are native values in the generated code, which reads
// the store's column arrays directly. Macros over child lists and the
// catalog are native loops.
// Any other node, and every case outside the fast path (an overflow, a
// null, an error), is handed to the interpreter or to the shared runtime
// operators, so the results are those of the interpreter.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/lower/ir.h"
#include "interp/interpreter.h"
#include "runtime/store.h"

namespace crm::jit {

// The most IR nodes that compile() compiles, over every root. LLVM's time
// and memory grow with the program, and a larger program is left whole to
// the interpreter, which gives the same results. NOTE: an estimate. On two
// shared cores, 8,000 lets of 21 nodes each (169,000 nodes) took 2.6 s to
// compile at -O0 and 42 s at -O2.
inline constexpr size_t kMaxProgramNodes = 250000;

struct Options {
  int optLevel = 2;  // 0, 1 or 2
  size_t maxNodes = kMaxProgramNodes;
  bool keepIr = false;  // keep the optimised IR as text for ir()
  // A folder for compiled object files, reused by later runs of the same
  // program; empty for none.
  std::string cacheDir;
};

// Compiled code for one program and one store, shared by every thread.
class CompiledProgram : public interp::NativeCode {
 public:
  ~CompiledProgram() override;
  const void* find(const ir::Node& root) const override;
  void run(const void* code, interp::Interpreter& interpreter,
           runtime::Value& out) const override;

  // The LLVM IR of the program after optimisation, for inspection; empty
  // unless Options::keepIr was set.
  const std::string& ir() const;
  // Roots compiled, and of their nodes those left to the interpreter.
  size_t rootCount() const;
  size_t fallbackCount() const;
  // Modules whose object code came from Options::cacheDir.
  size_t cacheHits() const;
  // Why nothing was compiled, when the program had more nodes than
  // Options::maxNodes; empty otherwise. Every root is then interpreted.
  const std::string& note() const;

  struct State;
  explicit CompiledProgram(std::unique_ptr<State> state);

 private:
  std::unique_ptr<State> state_;
};

// The IR nodes of every root that compile() compiles: each let, segment,
// channel and campaign part, and the extra roots.
size_t countNodes(const ir::Program& program, const std::vector<const ir::Node*>& extraRoots = {});

// Compiles every root of `program` for `store` (which may be null when the
// program reads no data), plus `extraRoot` when given (an expression of
// `crm eval`). Returns null with `error` set when LLVM fails. A program of
// more than Options::maxNodes nodes is not compiled: the result then has no
// roots and a note().
std::unique_ptr<CompiledProgram> compile(const ir::Program& program, const runtime::Store* store,
                                         const Options& options, std::string& error,
                                         const ir::Node* extraRoot = nullptr);

// The same with several extra roots, such as the expectations of a test.
std::unique_ptr<CompiledProgram> compile(const ir::Program& program, const runtime::Store* store,
                                         const Options& options, std::string& error,
                                         const std::vector<const ir::Node*>& extraRoots);

}  // namespace crm::jit
