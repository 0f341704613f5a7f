#include "testrun/runner.h"

#include <fnmatch.h>

#include <chrono>
#include <sstream>

#include "compiler/diag/render.h"
#include "compiler/driver/driver.h"
#include "compiler/lower/lower.h"
#include "interp/interpreter.h"
#include "jit/jit.h"
#include "testrun/internal.h"

namespace crm::testrun {
namespace {

using runtime::Value;
using runtime::ValueKind;

// The expressions an expectation evaluates: the condition, and for a
// comparison its two sides, which a failure shows.
void expectationExpressions(const ast::TestItem& item, std::vector<const ast::Expr*>& out) {
  if (item.expr == nullptr) return;
  out.push_back(item.expr.get());
  if (item.kind != ast::TestItemKind::ExpectExpr || item.expr->kind != ast::ExprKind::Binary) {
    return;
  }
  const auto& binary = ast::as<ast::Binary>(*item.expr);
  switch (binary.op) {
    case ast::BinaryOp::Equal: case ast::BinaryOp::NotEqual: case ast::BinaryOp::Less:
    case ast::BinaryOp::LessEqual: case ast::BinaryOp::Greater: case ast::BinaryOp::GreaterEqual:
    case ast::BinaryOp::In:
      out.push_back(binary.lhs.get());
      out.push_back(binary.rhs.get());
      break;
    default:
      break;
  }
}

class TestRun {
 public:
  TestRun(const internal::FileProgram& file, const ast::TestDecl& test, const FixturePlan& plan,
          const TestOptions& options, Coverage& coverage)
      : file_(file), test_(test), plan_(plan), options_(options), coverage_(coverage) {}

  TestResult run();

 private:
  void checkExpectations(const runtime::Store& store, const run::RunResult& result);
  void checkItem(const ast::TestItem& item, interp::Interpreter& interpreter,
                 const run::RunResult& result);
  void checkSend(const ast::TestItem& item, interp::Interpreter& interpreter,
                 const run::RunResult& result);
  void checkOffer(const ast::TestItem& item, interp::Interpreter& interpreter,
                  const run::RunResult& result);
  void checkCondition(const ast::TestItem& item, interp::Interpreter& interpreter);
  std::string whyNotCandidate(uint32_t campaign, interp::Interpreter& interpreter);
  std::string locationOf(source::SourceRange range) const {
    return testrun::locationOf(file_.compilation->sources, range);
  }
  std::string textOf(const ast::Expr& expr) const {
    const auto& text = file_.compilation->sources.file(expr.range.file).text();
    return text.substr(expr.range.begin, expr.range.end - expr.range.begin);
  }
  void fail(source::SourceRange range, std::string message) {
    result_.failures.push_back({locationOf(range), std::move(message)});
  }

  const internal::FileProgram& file_;
  const ast::TestDecl& test_;
  const FixturePlan& plan_;
  const TestOptions& options_;
  Coverage& coverage_;
  TestResult result_;
};

int findCampaign(const ir::Program& program, const std::string& name) {
  for (size_t i = 0; i < program.campaigns.size(); ++i) {
    if (program.campaigns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

TestResult TestRun::run() {
  auto start = std::chrono::steady_clock::now();
  result_.name = test_.name.text;
  result_.location = locationOf(test_.name.range);
  // Values are evaluated even when the plan has problems, so that the test
  // reports every problem of its data at once.
  std::vector<Failure> problems = plan_.problems;
  std::unique_ptr<runtime::Store> store = buildFixtureStore(
      plan_, file_.schema, *file_.program, file_.lowered, file_.compilation->sources, problems);
  for (auto& problem : problems) {
    if (problem.location.empty()) problem.location = result_.location;
    result_.failures.push_back(std::move(problem));
  }
  if (store != nullptr) {
    run::RunOptions options;
    options.engine = options_.engine;
    options.jitOptLevel = 0;
    options.asOf = plan_.now;
    options.threads = 1;
    options.collectMembers = true;
    options.errorsKept = SIZE_MAX;  // all of them: one customer has at most one per rule
    run::RunResult result = run::runProgram(*file_.program, *store, options);
    if (!result.engineError.empty()) {
      fail(test_.name.range, "the JIT failed to compile the program: " + result.engineError);
    } else {
      checkExpectations(*store, result);
      internal::recordCoverage(file_, result, coverage_);
    }
  }
  result_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::move(result_);
}

void TestRun::checkExpectations(const runtime::Store& store, const run::RunResult& result) {
  // With the JIT, the expectations' lets, segments and recommendations run
  // as compiled code, as they do in the run.
  std::unique_ptr<jit::CompiledProgram> compiled;
  if (options_.engine == run::Engine::Jit) {
    std::vector<const ir::Node*> roots;
    for (const auto& item : test_.items) {
      if (item.kind == ast::TestItemKind::ExpectExpr) roots.push_back(file_.lowered.at(item.expr.get()));
    }
    jit::Options jitOptions;
    jitOptions.optLevel = 0;
    std::string error;
    compiled = jit::compile(*file_.program, &store, jitOptions, error, roots);
    if (compiled == nullptr) {
      fail(test_.name.range, "the JIT failed to compile the expectations: " + error);
      return;
    }
  }
  interp::Interpreter interpreter(*file_.program, &store, plan_.now);
  interpreter.setNativeCode(compiled.get());
  interpreter.setCustomer(0);
  bool expectsError = false;
  for (const auto& item : test_.items) {
    expectsError = expectsError || item.kind == ast::TestItemKind::ExpectError;
    // Evaluation recurses once per let or segment that another reads, so it
    // runs on a large stack, as the run does.
    driver::runWithLargeStack([&] { checkItem(item, interpreter, result); });
  }
  if (expectsError) return;
  for (const auto& error : result.errors) {
    fail(test_.name.range, "run-time error in `" + error.rule + "`: " + error.message +
                               "; add `expect error` if the test expects it");
  }
}

void TestRun::checkItem(const ast::TestItem& item, interp::Interpreter& interpreter,
                        const run::RunResult& result) {
  const ir::Program& program = *file_.program;
  switch (item.kind) {
    case ast::TestItemKind::Property:
    case ast::TestItemKind::Fixture:
      return;
    case ast::TestItemKind::ExpectSend:
    case ast::TestItemKind::ExpectNoSend:
      return checkSend(item, interpreter, result);
    case ast::TestItemKind::ExpectOffer:
      return checkOffer(item, interpreter, result);
    case ast::TestItemKind::ExpectExpr:
      return checkCondition(item, interpreter);
    case ast::TestItemKind::ExpectSegment: {
      std::vector<uint32_t> segments = program.segments();
      for (size_t i = 0; i < segments.size(); ++i) {
        if (program.declarations[segments[i]].name != item.target.text) continue;
        if (!result.members[i].empty()) return;
        std::string actual = "it does not";
        for (const auto& error : result.errors) {
          if (error.rule == item.target.text) actual = "it is an error: " + error.message;
        }
        return fail(item.range, "expected segment `" + item.target.text + "` to hold, but " + actual);
      }
      return;
    }
    case ast::TestItemKind::ExpectError: {
      const std::string& text = item.errorText;
      for (const auto& error : result.errors) {
        if (error.message.find(text) != std::string::npos) return;
      }
      std::string expected = "expected a run-time error";
      if (!text.empty()) expected += " containing \"" + text + "\"";
      if (result.errors.empty()) return fail(item.range, expected + ", but there was none");
      std::string actual;
      for (const auto& error : result.errors) {
        actual += (actual.empty() ? "" : "; ") + ("`" + error.rule + "`: " + error.message);
      }
      return fail(item.range, expected + ", but the errors were: " + actual);
    }
  }
}

std::string TestRun::whyNotCandidate(uint32_t campaign, interp::Interpreter& interpreter) {
  const ir::Program& program = *file_.program;
  const ir::Campaign& declared = program.campaigns[campaign];
  if (declared.trigger >= 0) {
    const std::string& name = program.triggers[declared.trigger].name;
    Value fired = interpreter.triggerFires(static_cast<uint32_t>(declared.trigger));
    if (fired.isError()) return "its trigger `" + name + "` failed: " + fired.asError().message;
    if (!fired.asBool()) return "its trigger `" + name + "` did not fire";
  }
  Value audience = interpreter.evaluate(*declared.audience);
  if (audience.isError()) return "its audience is an error: " + audience.asError().message;
  return "its audience is false";
}

void TestRun::checkSend(const ast::TestItem& item, interp::Interpreter& interpreter,
                        const run::RunResult& result) {
  const ir::Program& program = *file_.program;
  int campaign = findCampaign(program, item.target.text);
  if (campaign < 0) return;
  const run::Decision* decision = nullptr;
  for (const auto& d : result.decisions) {
    if (d.campaign == static_cast<uint32_t>(campaign)) decision = &d;
  }
  bool sent = decision != nullptr && decision->channel >= 0;
  std::string name = "`" + item.target.text + "`";
  std::string sentVia = sent ? program.channels[decision->channel].name : "";
  if (item.kind == ast::TestItemKind::ExpectNoSend) {
    if (sent) fail(item.range, "expected no send of " + name + ", but it was sent via " + sentVia);
    return;
  }
  std::string expected = "expected " + name + " to be sent";
  if (item.channel) expected += " via " + item.channel->text;
  if (!sent) {
    std::string reason = decision != nullptr
                             ? decision->reason
                             : whyNotCandidate(static_cast<uint32_t>(campaign), interpreter);
    return fail(item.range, expected + ", but it was not: " + reason);
  }
  if (item.channel && item.channel->text != sentVia) {
    fail(item.range, expected + ", but it was sent via " + sentVia);
  }
}

void TestRun::checkOffer(const ast::TestItem& item, interp::Interpreter& interpreter,
                         const run::RunResult& result) {
  int campaign = findCampaign(*file_.program, item.target.text);
  if (campaign < 0) return;
  Value key = interpreter.evaluate(*file_.lowered.at(item.expr.get()));
  std::string expected = "expected the offer of `" + item.target.text + "` to contain ";
  if (key.isError()) {
    return fail(item.expr->range, expected + "`" + textOf(*item.expr) +
                                      "`, but that is an error: " + key.asError().message);
  }
  std::string keyText = runtime::displayText(key);
  expected += "'" + keyText + "'";
  const run::Decision* decision = nullptr;
  for (const auto& d : result.decisions) {
    if (d.campaign == static_cast<uint32_t>(campaign)) decision = &d;
  }
  if (decision == nullptr) {
    return fail(item.range, expected + ", but it has no offer: " +
                                whyNotCandidate(static_cast<uint32_t>(campaign), interpreter));
  }
  for (const auto& offered : decision->offer) {
    if (offered == keyText) return;
  }
  if (decision->offer.empty()) {
    std::string reason = decision->reason.rfind("error: ", 0) == 0 ? " (" + decision->reason + ")"
                                                                    : "";
    return fail(item.range, expected + ", but the offer is empty" + reason);
  }
  std::string offer;
  for (const auto& offered : decision->offer) offer += (offer.empty() ? "'" : ", '") + offered + "'";
  fail(item.range, expected + ", but it is [" + offer + "]");
}

void TestRun::checkCondition(const ast::TestItem& item, interp::Interpreter& interpreter) {
  Value value = interpreter.evaluate(*file_.lowered.at(item.expr.get()));
  if (value.is(ValueKind::Bool) && value.asBool()) return;
  std::string expected = "expected `" + textOf(*item.expr) + "` to be true, but ";
  if (value.isError()) return fail(item.range, expected + "it is an error: " + value.asError().message);
  std::string actual = "it is " + showValue(value);
  std::vector<const ast::Expr*> parts;
  expectationExpressions(item, parts);
  if (parts.size() == 3) {
    Value left = interpreter.evaluate(*file_.lowered.at(parts[1]));
    Value right = interpreter.evaluate(*file_.lowered.at(parts[2]));
    actual += ": the left side is " + showValue(left) + " and the right side is " +
              showValue(right);
  }
  fail(item.range, expected + actual);
}

}  // namespace

bool matchesFilter(const std::string& name, const std::string& filter) {
  if (filter.empty()) return true;
  if (filter.find_first_of("*?[") != std::string::npos) {
    return fnmatch(filter.c_str(), name.c_str(), 0) == 0;
  }
  return name.find(filter) != std::string::npos;
}

FileResult runFileTests(const std::string& path, const TestOptions& options) {
  FileResult result;
  result.path = path;
  auto compilation = driver::checkScripts({{path, std::nullopt}});
  if (compilation->hasErrors()) {
    std::ostringstream text;
    auto diagnostics = compilation->diagnostics->sorted();
    diag::renderHuman(text, compilation->sources, diagnostics, {false});
    size_t errors = compilation->diagnostics->errorCount();
    text << errors << (errors == 1 ? " error" : " errors") << " in " << path << "\n";
    result.error = text.str();
    return result;
  }

  internal::FileProgram file;
  file.compilation = compilation.get();
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation->scripts) scripts.push_back(script.get());
  file.schema = schemaOf(scripts);
  // The root script is read first; the tests of its imports do not run.
  std::vector<const ast::TestDecl*> tests;
  for (const auto& decl : scripts[0]->decls) {
    if (decl->kind == ast::DeclKind::Test && matchesFilter(decl->name.text, options.filter)) {
      tests.push_back(&ast::as<ast::TestDecl>(*decl));
    }
  }
  std::vector<FixturePlan> plans;
  std::vector<const ast::Expr*> expressions;
  for (const ast::TestDecl* test : tests) {
    plans.push_back(planFixture(*test, file.schema, compilation->sources));
    expressions.insert(expressions.end(), plans.back().expressions.begin(),
                       plans.back().expressions.end());
    for (const auto& item : test->items) expectationExpressions(item, expressions);
  }

  // One program for the file, with every expression its tests evaluate.
  auto lowered = lower::lowerExpressions(scripts, expressions);
  file.program = std::move(lowered.program);
  file.nodes = std::move(lowered.expressions);
  interp::foldConstants(*file.program);
  for (size_t i = 0; i < expressions.size(); ++i) {
    interp::foldConstants(file.nodes[i]);
    file.lowered[expressions[i]] = file.nodes[i].get();
  }
  if (!file.program->problems.empty()) {
    for (const auto& problem : file.program->problems) result.error += problem + "\n";
    return result;
  }
  internal::collectDeclarations(file, result.coverage);
  for (size_t i = 0; i < tests.size(); ++i) {
    result.tests.push_back(TestRun(file, *tests[i], plans[i], options, result.coverage).run());
  }
  return result;
}

}  // namespace crm::testrun
