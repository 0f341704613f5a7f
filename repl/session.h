// The state and the commands of `crm repl`: a script checked and its data
// loaded once, the declarations typed into the session, the selected
// customer, and one handler per input. The terminal side (line editing,
// history) is in line_reader.h, so tests drive a Session with strings.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/driver/expression.h"
#include "loader/loader.h"
#include "run/run.h"
#include "runtime/store.h"

namespace crm::repl {

struct SessionOptions {
  std::optional<std::string> scriptPath;  // none: expressions without data
  int64_t asOf = 0;                       // the value of `now`, in microseconds since the epoch
  run::Engine engine = run::Engine::Jit;
  load::LoadOptions load;
};

// A segment, let or recommendation typed into the session.
struct SessionDeclaration {
  std::string kind;  // `segment`, `let` or `recommend`
  std::string name;
  std::string text;
};

// The part of a session that comes from a script and its data. :load and
// :reload replace it whole, and only once the new script checked and its
// data loaded.
struct Workspace {
  std::optional<std::string> scriptPath;
  // The text of each script file as first read, so that later inputs are
  // checked against the program whose data is loaded, even when a file
  // changes on disk.
  std::map<std::string, std::string> fileTexts;
  std::unique_ptr<runtime::Store> store;      // null without a script
  const runtime::Table* customers = nullptr;  // null without customer data
  // For completion: names of lets, segments, recommendations, campaigns and
  // channels, and the customer entity's fields.
  std::vector<std::string> names;
  std::vector<std::string> customerFields;
};

struct CompiledInput;

class Session {
 public:
  explicit Session(SessionOptions options);
  ~Session();

  // Checks the script and loads its data, printing problems to `err`.
  // Returns false when either failed.
  bool start(std::ostream& err);

  // Handles one whole input (an expression, a declaration or a command).
  // Returns false after :quit.
  bool handle(std::string_view input, std::ostream& out, std::ostream& err);

  // Returns the words that can replace the word ending at `cursor` of
  // `line`, sorted. Each is whole (`customer.age`, not `age`), and `start`
  // is set to where the replaced word begins.
  std::vector<std::string> completions(std::string_view line, size_t cursor, size_t& start) const;

  // A flag that SIGINT sets: a loop over customers stops when it is set.
  void setInterruptFlag(const std::atomic<bool>* flag) { interrupt_ = flag; }

  const std::vector<SessionDeclaration>& declarations() const { return declarations_; }
  // Null before start() succeeded.
  const Workspace* workspace() const { return workspace_.get(); }
  std::optional<uint32_t> customer() const { return customerRow_; }
  int64_t asOf() const { return options_.asOf; }

 private:
  enum class CompileMode { CheckOnly, Lower, Evaluate, KeepIr };
  struct Timings {
    double check = 0;
    double compile = 0;
    double evaluate = 0;
  };

  bool loadWorkspace(const std::optional<std::string>& path, std::ostream& err);
  void collectNames(const std::vector<const ast::Script*>& scripts, Workspace& workspace) const;
  void keepDeclarationsThatCheck(std::ostream& err);
  bool command(std::string_view name, std::string_view argument, std::ostream& out,
               std::ostream& err);
  void declare(std::string_view text, std::ostream& out, std::ostream& err);
  void evaluate(std::string_view text, std::ostream& out, std::ostream& err);
  void count(std::string_view text, std::ostream& out, std::ostream& err);
  void sample(std::string_view argument, std::ostream& out, std::ostream& err);
  void showType(std::string_view text, std::ostream& out, std::ostream& err);
  void showIr(std::string_view text, std::ostream& out, std::ostream& err);
  void selectCustomer(std::string_view key, std::ostream& out, std::ostream& err);
  void explain(std::string_view arguments, std::ostream& out, std::ostream& err);
  void printTimings(double total, std::ostream& out) const;

  // The input to check: the script, the session's `declarations`, and the
  // text being declared (`current`) as a file of its own.
  driver::ExpressionInput baseInput(const std::vector<SessionDeclaration>& declarations,
                                    std::optional<std::string_view> current) const;
  // Prints the diagnostics of an input, without the script's own warnings.
  void report(const driver::Compilation& compilation, std::ostream& err) const;
  // Checks `text` with the script and the session's declarations and, unless
  // `mode` is CheckOnly, lowers and compiles it. Prints the diagnostics;
  // null when there were errors.
  std::unique_ptr<CompiledInput> compile(std::string_view text, CompileMode mode,
                                         std::ostream& err);
  // Checks the script with `declarations` and `current`. Prints the
  // diagnostics; null when there were errors.
  std::unique_ptr<driver::Compilation> checkDeclarations(
      const std::vector<SessionDeclaration>& declarations, std::optional<std::string_view> current,
      std::ostream& err) const;
  // A compiled bool expression for :count and :sample, or null after
  // printing why not.
  std::unique_ptr<CompiledInput> compileCondition(const char* command, std::string_view text,
                                                  std::ostream& err);
  const runtime::Store* store() const {
    return workspace_ != nullptr ? workspace_->store.get() : nullptr;
  }
  bool interrupted() const { return interrupt_ != nullptr && interrupt_->load(); }

  SessionOptions options_;
  std::unique_ptr<Workspace> workspace_;
  std::vector<SessionDeclaration> declarations_;
  std::optional<uint32_t> customerRow_;
  // The last input's checked and compiled form: the JIT's code for it is
  // freed when the next input replaces it.
  std::unique_ptr<CompiledInput> last_;
  bool timing_ = false;
  Timings timings_;
  const std::atomic<bool>* interrupt_ = nullptr;
};

}  // namespace crm::repl
