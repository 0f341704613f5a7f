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

struct Options {
  int optLevel = 2;  // 0, 1 or 2
  bool keepIr = false;  // keep the optimised IR as text for ir()
  // A folder for compiled object files, reused by later runs of the same
  // program; empty for none.
  std::string cacheDir;
};

// Compiled code for one program and one store, shared by every thread.
class CompiledProgram : public interp::NativeCode {
 public:
  ~CompiledProgram() override;
  bool evaluate(interp::Interpreter& interpreter, const ir::Node& root,
                runtime::Value& out) const override;

  // The LLVM IR of the program after optimisation, for inspection; empty
  // unless Options::keepIr was set.
  const std::string& ir() const;
  // Roots compiled, and of their nodes those left to the interpreter.
  size_t rootCount() const;
  size_t fallbackCount() const;
  // Modules whose object code came from Options::cacheDir.
  size_t cacheHits() const;

  struct State;
  explicit CompiledProgram(std::unique_ptr<State> state);

 private:
  std::unique_ptr<State> state_;
};

// Compiles every root of `program` for `store` (which may be null when the
// program reads no data), plus `extraRoot` when given (an expression of
// `crm eval`). Returns null with `error` set when LLVM fails.
std::unique_ptr<CompiledProgram> compile(const ir::Program& program, const runtime::Store* store,
                                         const Options& options, std::string& error,
                                         const ir::Node* extraRoot = nullptr);

// The same with several extra roots, such as the expectations of a test.
std::unique_ptr<CompiledProgram> compile(const ir::Program& program, const runtime::Store* store,
                                         const Options& options, std::string& error,
                                         const std::vector<const ir::Node*>& extraRoots);

}  // namespace crm::jit
