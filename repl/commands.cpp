// The inputs that evaluate: an expression, and the `:` commands.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sstream>

#include "loader/value_parser.h"
#include "repl/evaluation.h"
#include "repl/session.h"
#include "run/explain.h"
#include "run/run.h"
#include "runtime/time.h"
#include "runtime/field_read.h"
#include "runtime/value_literal.h"

namespace crm::repl {
namespace {

using Clock = std::chrono::steady_clock;
using runtime::Value;

// The maximum number of customers that :sample lists.
constexpr size_t kMaxSample = 1000;
// The widest cell :sample prints; longer values are cut with `...`.
constexpr size_t kMaxCell = 40;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr const char* kHelp =
    R"(Type an expression to evaluate it for the selected customer, or over every
customer when none is selected. `segment`, `let` and `recommend`
declarations are added to the session; typing a name again replaces it.

  :count EXPR          how many customers a bool expression holds for
  :sample N EXPR       N customers it holds for, with the fields it reads
  :type EXPR           the type of an expression, without evaluating it
  :customer [KEY]      select a customer by key; without KEY, select none
  :load FILE           replace the script and its data
  :reload              read the script and its data again
  :ir EXPR             the lowered program of an expression (and its LLVM IR with the JIT)
  :time on|off         print the time each input takes
  :explain KEY [CAMPAIGN]  why a customer did or did not get each campaign
  :help                this text
  :quit                leave (Ctrl-D too)

Input goes on over several lines while a bracket is open or a line ends
with an operator; an empty line ends it. Ctrl-C cancels the input.
)";

std::string cell(std::string text) {
  if (text.size() > kMaxCell)
    text = text.substr(0, kMaxCell - 3) + "...";
  return text;
}

// The value of a customer field as :sample prints it: a child list as its
// number of rows.
std::string fieldText(const runtime::Table& table, const ir::Node& field, uint32_t row) {
  const runtime::Column& column = table.columns[field.index];
  Value value = runtime::readField(table, field.index, row, field.enumInfo);
  if (column.kind == runtime::ColumnKind::Children && value.is(runtime::ValueKind::List)) {
    return std::to_string(value.listSize()) + " rows";
  }
  if (value.isError())
    return "error: " + value.asError().message;
  return cell(runtime::literalText(value));
}

// The function of the last root in the JIT's IR text: the root that
// jit::compile adds for an expression is named `root<N>`, N counting from 0.
std::string rootFunction(const std::string& ir, size_t rootCount) {
  std::string name = "@root" + std::to_string(rootCount - 1) + "(";
  size_t at = ir.find(name);
  if (at == std::string::npos)
    return "";
  size_t begin = ir.rfind("\ndefine ", at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  size_t end = ir.find("\n}\n", at);
  return ir.substr(begin, end == std::string::npos ? std::string::npos : end + 3 - begin);
}

}  // namespace

bool Session::command(std::string_view name, std::string_view argument, std::ostream& out,
                      std::ostream& err) {
  auto needsArgument = [&](const char* usage) {
    if (!argument.empty())
      return true;
    err << "error: " << name << " needs an argument: " << usage << "\n";
    return false;
  };
  if (name == ":quit" || name == ":q" || name == ":exit")
    return false;
  if (name == ":help" || name == ":h" || name == ":?") {
    out << kHelp;
  } else if (name == ":count") {
    if (needsArgument(":count EXPR"))
      count(argument, out, err);
  } else if (name == ":sample") {
    if (needsArgument(":sample N EXPR"))
      sample(argument, out, err);
  } else if (name == ":type" || name == ":t") {
    if (needsArgument(":type EXPR"))
      showType(argument, out, err);
  } else if (name == ":ir") {
    if (needsArgument(":ir EXPR"))
      showIr(argument, out, err);
  } else if (name == ":customer") {
    selectCustomer(argument, out, err);
  } else if (name == ":load") {
    if (needsArgument(":load FILE") && loadWorkspace(std::string(argument), err)) {
      options_.scriptPath = std::string(argument);
      out << "loaded " << argument << "\n";
    }
  } else if (name == ":reload") {
    if (loadWorkspace(options_.scriptPath, err)) {
      out << "reloaded " << options_.scriptPath.value_or("the session") << "\n";
    }
  } else if (name == ":time") {
    if (argument == "on" || argument == "off") {
      timing_ = argument == "on";
    } else {
      err << "error: :time takes `on` or `off`, not `" << argument << "`\n";
    }
  } else if (name == ":explain") {
    if (needsArgument(":explain KEY [CAMPAIGN]"))
      explain(argument, out, err);
  } else {
    err << "error: unknown command `" << name << "`\nhelp: :help lists the commands\n";
  }
  return true;
}

void Session::evaluate(std::string_view text, std::ostream& out, std::ostream& err) {
  last_.reset();
  auto compiled = compile(text, CompileMode::Evaluate, err);
  if (compiled == nullptr)
    return;
  auto start = Clock::now();
  const runtime::Table* customers = workspace_->customers;
  interp::Interpreter interpreter(compiled->program(), store(), options_.asOf);
  interpreter.setNativeCode(compiled->native.get());
  if (customers != nullptr && customerRow_) {
    interpreter.setCustomer(*customerRow_);
    out << describeValue(interpreter.evaluate(compiled->root()), compiled->type) << "\n";
  } else if (customers != nullptr && readsCustomer(compiled->program(), compiled->root())) {
    Summary summary(compiled->type);
    for (uint32_t row = 0; row < customers->rowCount; ++row) {
      if (interrupted()) {
        err << "interrupted after " << row << " customers\n";
        return;
      }
      interpreter.setCustomer(row);
      summary.add(interpreter.evaluate(compiled->root()), customers->keyText(row));
    }
    summary.print(out);
  } else {
    out << describeValue(interpreter.evaluate(compiled->root()), compiled->type) << "\n";
  }
  timings_.evaluate = secondsSince(start);
  last_ = std::move(compiled);
}

std::unique_ptr<CompiledInput> Session::compileCondition(const char* command, std::string_view text,
                                                         std::ostream& err) {
  if (workspace_->customers == nullptr) {
    err << "error: " << command << " needs customer data: start crm repl with a script that "
        << "declares a customer entity and its source\n";
    return nullptr;
  }
  last_.reset();
  auto compiled = compile(text, CompileMode::Evaluate, err);
  if (compiled == nullptr)
    return nullptr;
  const ast::Type* type = compiled->type->unwrapped();
  if (!type->is(ast::TypeKind::Bool)) {
    err << "error: " << command << " takes a bool expression, and `" << text << "` is "
        << ast::toString(compiled->type) << "\nhelp: compare it, as in `" << text << " > 0`\n";
    return nullptr;
  }
  return compiled;
}

void Session::count(std::string_view text, std::ostream& out, std::ostream& err) {
  auto compiled = compileCondition(":count", text, err);
  if (compiled == nullptr)
    return;
  auto start = Clock::now();
  const runtime::Table& customers = *workspace_->customers;
  interp::Interpreter interpreter(compiled->program(), store(), options_.asOf);
  interpreter.setNativeCode(compiled->native.get());

  size_t matches = 0;
  size_t errors = 0;
  std::string firstError;
  for (uint32_t row = 0; row < customers.rowCount; ++row) {
    if (interrupted()) {
      err << "interrupted after " << row << " customers\n";
      return;
    }
    interpreter.setCustomer(row);
    Value value = interpreter.evaluate(compiled->root());
    if (value.isError()) {
      if (errors++ == 0) {
        firstError = "customer " + customers.keyText(row) + ": " + value.asError().message;
      }
    } else if (value.is(runtime::ValueKind::Bool) && value.asBool()) {
      ++matches;
    }
  }

  out << matches << " of " << customers.rowCount << " customers\n";
  if (errors > 0)
    out << errors << " errors (first: " << firstError << ")\n";
  timings_.evaluate = secondsSince(start);
  last_ = std::move(compiled);
}

void Session::sample(std::string_view argument, std::ostream& out, std::ostream& err) {
  size_t digits = argument.find_first_not_of("0123456789");
  std::string number(argument.substr(0, digits));
  std::string_view text =
      digits == std::string_view::npos ? std::string_view() : argument.substr(digits);
  size_t first = text.find_first_not_of(" \t\r\n");
  text = first == std::string_view::npos ? std::string_view() : text.substr(first);
  size_t requested = number.empty() || number.size() > 6 ? 0 : std::stoul(number);
  if (requested == 0 || requested > kMaxSample || text.empty() || first == 0) {
    err << "error: :sample takes a count from 1 to " << kMaxSample
        << " and an expression, as in `:sample 5 EXPR`\n";
    return;
  }
  auto compiled = compileCondition(":sample", text, err);
  if (compiled == nullptr)
    return;
  auto start = Clock::now();
  const runtime::Table& customers = *workspace_->customers;
  auto fields = customerFields(compiled->program(), compiled->root());
  interp::Interpreter interpreter(compiled->program(), store(), options_.asOf);
  interpreter.setNativeCode(compiled->native.get());

  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{customers.columns[customers.keyColumn].name};
  for (const ir::Node* field : fields)
    header.push_back(customers.columns[field->index].name);
  rows.push_back(header);
  size_t matches = 0;
  for (uint32_t row = 0; row < customers.rowCount; ++row) {
    if (interrupted()) {
      err << "interrupted after " << row << " customers\n";
      return;
    }
    interpreter.setCustomer(row);
    Value value = interpreter.evaluate(compiled->root());
    if (!value.is(runtime::ValueKind::Bool) || !value.asBool())
      continue;
    if (++matches > requested)
      continue;
    std::vector<std::string> line{cell(customers.keyText(row))};
    for (const ir::Node* field : fields)
      line.push_back(fieldText(customers, *field, row));
    rows.push_back(std::move(line));
  }
  std::vector<size_t> widths(header.size());
  for (const auto& line : rows) {
    for (size_t i = 0; i < line.size(); ++i)
      widths[i] = std::max(widths[i], line[i].size());
  }
  for (const auto& line : rows) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size())
        text += std::string(widths[i] - line[i].size() + 2, ' ');
    }
    out << text << "\n";
  }
  out << std::min(matches, requested) << " shown of " << matches << " matching customers\n";
  timings_.evaluate = secondsSince(start);
  last_ = std::move(compiled);
}

void Session::showType(std::string_view text, std::ostream& out, std::ostream& err) {
  auto compiled = compile(text, CompileMode::CheckOnly, err);
  if (compiled != nullptr)
    out << ast::toString(compiled->type) << "\n";
}

void Session::showIr(std::string_view text, std::ostream& out, std::ostream& err) {
  last_.reset();
  auto compiled = compile(text, CompileMode::KeepIr, err);
  if (compiled == nullptr)
    return;
  out << ir::dump(compiled->root());
  if (compiled->native != nullptr) {
    out << "\nLLVM IR (-O0):\n"
        << rootFunction(compiled->native->ir(), compiled->native->rootCount());
  }
  last_ = std::move(compiled);
}

void Session::selectCustomer(std::string_view key, std::ostream& out, std::ostream& err) {
  const runtime::Table* customers = workspace_->customers;
  if (key.empty()) {
    customerRow_.reset();
    out << "no customer selected: expressions about `customer` are summarised over every "
           "customer\n";
    return;
  }
  if (customers == nullptr) {
    err << "error: :customer needs customer data: start crm repl with a script that declares "
           "a customer entity and its source\n";
    return;
  }
  // The loader stores text in NFC, so the key is looked up in NFC too.
  std::string problem;
  auto normalized = load::normalizeText(key, problem);
  auto row = normalized ? customers->findRow(*normalized) : std::nullopt;
  if (!row) {
    err << "error: no " << customers->name << " has the key '" << key << "'\n";
    return;
  }
  customerRow_ = row;
  out << "customer " << customers->keyText(*row) << "\n";
}

// Runs the session's program at the session's instant, as `crm explain`
// does, and prints the trace of one customer.
void Session::explain(std::string_view arguments, std::ostream& out, std::ostream& err) {
  std::string key(arguments.substr(0, arguments.find(' ')));
  std::string campaign;
  if (auto space = arguments.find(' '); space != std::string_view::npos) {
    campaign = std::string(arguments.substr(arguments.find_first_not_of(' ', space) ==
                                                    std::string_view::npos
                                                ? arguments.size()
                                                : arguments.find_first_not_of(' ', space)));
  }
  const runtime::Table* customers = workspace_->customers;
  if (customers == nullptr) {
    err << "error: :explain needs customer data: start crm repl with a script that declares "
           "a customer entity and its source\n";
    return;
  }
  std::string problem;
  auto normalized = load::normalizeText(key, problem);
  auto row = normalized ? customers->findRow(*normalized) : std::nullopt;
  if (!row) {
    err << "error: no " << customers->name << " has the key '" << key << "'\n";
    return;
  }
  auto compiled = compile("true", CompileMode::Lower, err);
  if (compiled == nullptr) return;
  const ir::Program& program = compiled->program();
  if (!campaign.empty() &&
      std::none_of(program.campaigns.begin(), program.campaigns.end(),
                   [&](const ir::Campaign& c) { return c.name == campaign; })) {
    err << "error: no campaign is named `" << campaign << "`\n";
    return;
  }
  run::RunOptions options;
  options.engine = options_.engine;
  options.asOf = options_.asOf;
  options.traceCustomer = row;
  run::RunResult result = run::runProgram(program, *store(), options);
  if (!result.engineError.empty()) {
    err << "error: the JIT failed to compile the script: " << result.engineError << "\n";
    return;
  }
  run::printTrace(out, program, result, customers->keyText(*row),
                  runtime::formatTimestamp(options_.asOf), campaign);
}

}  // namespace crm::repl
