// The session's lifecycle: loading a script and its data, dispatching each
// input, and accumulating declarations.
#include "repl/session.h"

#include <cctype>
#include <chrono>
#include <set>
#include <sstream>

#include "compiler/diag/render.h"
#include "compiler/driver/expression.h"
#include "compiler/lower/lower.h"
#include "loader/value_parser.h"
#include "repl/evaluation.h"

namespace crm::repl {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kInputFile = "<input>";
constexpr const char* kSessionFile = "<session>";

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string_view trim(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return {};
  size_t last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool isNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

// Whether `text` starts like a declaration: a declaration keyword followed
// by a name, a string or a block, as in `segment x = ...` or
// `customer entity C`. `customer.age > 1` is an expression.
bool looksLikeDeclaration(std::string_view text) {
  static const std::set<std::string_view> kKeywords = {
      "segment", "let",      "recommend", "entity", "enum",   "record",   "source",  "trigger",
      "channel", "campaign", "pressure",  "test",   "import", "customer", "catalog", "event"};
  // Comment lines may come first.
  while (text.starts_with("//")) {
    size_t lineEnd = text.find('\n');
    text = lineEnd == std::string_view::npos ? std::string_view() : trim(text.substr(lineEnd));
  }
  size_t end = 0;
  while (end < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
    ++end;
  }
  if (kKeywords.count(text.substr(0, end)) == 0)
    return false;
  size_t next = text.find_first_not_of(" \t\r\n", end);
  return next != std::string_view::npos &&
         (isNameStart(text[next]) || text[next] == '"' || text[next] == '{');
}

driver::CheckOptions checkOptions() {
  driver::CheckOptions options;
  // Unused declarations are normal in a session.
  options.allowed.push_back(diag::Code::W0101);
  return options;
}

}  // namespace

Session::Session(SessionOptions options) : options_(std::move(options)) {}
Session::~Session() = default;

bool Session::start(std::ostream& err) {
  return loadWorkspace(options_.scriptPath, err);
}

driver::ExpressionInput Session::baseInput(const std::vector<SessionDeclaration>& declarations,
                                           std::optional<std::string_view> current) const {
  driver::ExpressionInput input;
  if (workspace_ != nullptr) {
    input.scriptPath = workspace_->scriptPath;
    input.fileTexts = workspace_->fileTexts;
  }
  for (const auto& declaration : declarations) {
    input.inlineScripts.push_back({kSessionFile, declaration.text});
  }
  if (current)
    input.inlineScripts.push_back({kInputFile, std::string(*current)});
  return input;
}

void Session::report(const driver::Compilation& compilation, std::ostream& err) const {
  std::vector<diag::Diagnostic> shown;
  for (auto& diagnostic : compilation.diagnostics->sorted()) {
    // The script's own warnings were shown when it was loaded.
    bool inScript =
        diagnostic.range.valid() && workspace_ != nullptr &&
        workspace_->fileTexts.count(compilation.sources.file(diagnostic.range.file).path()) != 0;
    if (diagnostic.severity == diag::Severity::Error || !inScript)
      shown.push_back(diagnostic);
  }
  diag::renderHuman(err, compilation.sources, shown, {false});
}

bool Session::loadWorkspace(const std::optional<std::string>& path, std::ostream& err) {
  driver::ExpressionInput input;
  input.scriptPath = path;
  auto checked = driver::checkExpression(input, checkOptions());
  const driver::Compilation& compilation = *checked.compilation;
  diag::renderHuman(err, compilation.sources, compilation.diagnostics->sorted(), {false});
  if (compilation.hasErrors())
    return false;

  auto workspace = std::make_unique<Workspace>();
  workspace->scriptPath = path;
  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation.scripts) {
    scripts.push_back(script.get());
    const auto& file = compilation.sources.file(script->file);
    workspace->fileTexts[file.path()] = file.text();
  }
  if (path) {
    auto unknown = load::undeclaredSources(scripts, options_.load);
    if (!unknown.empty()) {
      err << "crm: --source names `" << unknown.front() << "`, which " << *path
          << " does not declare\n";
      return false;
    }
    auto loaded = load::loadProgram(scripts, compilation.sources, options_.load);
    if (!loaded.report.ok()) {
      load::printReport(err, loaded.report);
      return false;
    }
    workspace->store = std::move(loaded.store);
    auto program = lower::lowerProgram(scripts);
    runtime::Table* customers = program->customerEntity.empty()
                                    ? nullptr
                                    : workspace->store->table(program->customerEntity);
    if (customers != nullptr && !customers->hasKeyIndex())
      customers->buildKeyIndex();
    workspace->customers = customers;
  }
  collectNames(scripts, *workspace);

  std::string selectedKey;
  if (customerRow_ && workspace_ != nullptr && workspace_->customers != nullptr) {
    selectedKey = workspace_->customers->keyText(*customerRow_);
  }
  workspace_ = std::move(workspace);
  last_.reset();
  customerRow_.reset();
  if (!selectedKey.empty() && workspace_->customers != nullptr) {
    customerRow_ = workspace_->customers->findRow(selectedKey);
    if (!customerRow_)
      err << "customer " << selectedKey << " is gone; none is selected\n";
  }
  keepDeclarationsThatCheck(err);
  return true;
}

void Session::collectNames(const std::vector<const ast::Script*>& scripts,
                           Workspace& workspace) const {
  for (const ast::Script* script : scripts) {
    for (const auto& decl : script->decls) {
      switch (decl->kind) {
        case ast::DeclKind::Let:
        case ast::DeclKind::Segment:
        case ast::DeclKind::Recommend:
        case ast::DeclKind::Campaign:
        case ast::DeclKind::Channel:
          workspace.names.push_back(decl->name.text);
          break;
        case ast::DeclKind::Entity: {
          const auto& entity = ast::as<ast::EntityDecl>(*decl);
          if (entity.role != ast::EntityRole::Customer)
            break;
          for (const auto& field : entity.fields) {
            workspace.customerFields.push_back(field.name.text);
          }
          break;
        }
        default:
          break;
      }
    }
  }
}

void Session::keepDeclarationsThatCheck(std::ostream& err) {
  std::ostringstream ignored;
  if (declarations_.empty() || checkDeclarations(declarations_, std::nullopt, ignored))
    return;
  std::vector<SessionDeclaration> kept;
  for (const auto& declaration : declarations_) {
    auto trial = kept;
    trial.push_back(declaration);
    std::ostringstream problems;
    if (checkDeclarations(trial, std::nullopt, problems)) {
      kept.push_back(declaration);
    } else {
      err << "dropped " << declaration.kind << " " << declaration.name
          << " from the session, because it no longer checks:\n"
          << problems.str();
    }
  }
  declarations_ = std::move(kept);
}

std::unique_ptr<driver::Compilation> Session::checkDeclarations(
    const std::vector<SessionDeclaration>& declarations, std::optional<std::string_view> current,
    std::ostream& err) const {
  auto checked = driver::checkExpression(baseInput(declarations, current), checkOptions());
  report(*checked.compilation, err);
  if (checked.compilation->hasErrors())
    return nullptr;
  return std::move(checked.compilation);
}

std::unique_ptr<CompiledInput> Session::compile(std::string_view text, CompileMode mode,
                                                std::ostream& err) {
  auto start = Clock::now();
  auto result = std::make_unique<CompiledInput>();
  driver::ExpressionInput input = baseInput(declarations_, std::nullopt);
  input.text = std::string(text);
  input.textName = kInputFile;
  result->checked = driver::checkExpression(input, checkOptions());
  const driver::Compilation& compilation = *result->checked.compilation;
  report(compilation, err);
  if (compilation.hasErrors() || result->checked.expression == nullptr)
    return nullptr;
  result->type = result->checked.type;
  if (mode == CompileMode::CheckOnly)
    return result;

  std::vector<const ast::Script*> scripts;
  for (const auto& script : compilation.scripts)
    scripts.push_back(script.get());
  result->lowered =
      lower::lowerExpression(scripts, *result->checked.expression, result->checked.variables);
  interp::foldConstants(*result->lowered.program);
  interp::foldConstants(result->lowered.expression);
  result->checkSeconds = secondsSince(start);
  timings_.check = result->checkSeconds;
  if (mode == CompileMode::Lower)
    return result;

  if (options_.engine == run::Engine::Jit) {
    start = Clock::now();
    jit::Options jitOptions;
    jitOptions.optLevel = 0;  // the fast tier: one input is evaluated over few customers
    jitOptions.keepIr = mode == CompileMode::KeepIr;
    std::string error;
    result->native = jit::compile(result->program(), store(), jitOptions, error, &result->root());
    if (result->native == nullptr) {
      err << "crm: the JIT failed: " << error << "\nRestart with --engine interp meanwhile.\n";
      return nullptr;
    }
    result->compileSeconds = secondsSince(start);
    timings_.compile = result->compileSeconds;
  }
  return result;
}

bool Session::handle(std::string_view input, std::ostream& out, std::ostream& err) {
  std::string_view text = trim(input);
  if (text.empty())
    return true;
  timings_ = {};
  auto start = Clock::now();
  bool goOn = true;
  if (text[0] == ':') {
    size_t end = text.find_first_of(" \t\r\n");
    goOn = command(text.substr(0, end), end == std::string_view::npos ? "" : trim(text.substr(end)),
                   out, err);
  } else if (looksLikeDeclaration(text)) {
    declare(text, out, err);
  } else {
    evaluate(text, out, err);
  }
  if (timing_ && goOn && !text.starts_with(":time"))
    printTimings(secondsSince(start), out);
  return goOn;
}

void Session::printTimings(double total, std::ostream& out) const {
  auto ms = [](double seconds) {
    std::ostringstream text;
    text.setf(std::ios::fixed);
    text.precision(1);
    text << seconds * 1000 << " ms";
    return text.str();
  };
  out << "time: " << ms(total);
  if (timings_.check > 0) {
    out << " (check " << ms(timings_.check);
    if (timings_.compile > 0)
      out << ", compile " << ms(timings_.compile);
    out << ", evaluate " << ms(timings_.evaluate) << ")";
  }
  out << "\n";
}

void Session::declare(std::string_view text, std::ostream& out, std::ostream& err) {
  // Parse on its own first, for the names and kinds the input declares.
  source::SourceManager sources;
  diag::DiagnosticEngine diagnostics(sources);
  const auto& file = sources.add(kInputFile, std::string(text));
  auto parsed = parse::parseFile(file, diagnostics, {});
  if (diagnostics.errorCount() > 0) {
    diag::renderHuman(err, sources, diagnostics.sorted(), {false});
    return;
  }
  std::vector<SessionDeclaration> added;
  for (const auto& decl : parsed.script.decls) {
    if (decl->kind != ast::DeclKind::Segment && decl->kind != ast::DeclKind::Let &&
        decl->kind != ast::DeclKind::Recommend) {
      err << "error: a session takes `segment`, `let` and `recommend` declarations, not `"
          << ast::spelling(decl->kind) << "`\nhelp: add it to the script, then run :reload\n";
      return;
    }
    auto begin = decl->range.begin;
    added.push_back({ast::spelling(decl->kind), decl->name.text,
                     std::string(text.substr(begin, decl->range.end - begin))});
  }

  // A name typed again replaces its earlier session declaration.
  std::vector<SessionDeclaration> trial;
  std::set<std::string> replaced;
  for (const auto& declaration : declarations_) {
    bool again = false;
    for (const auto& each : added)
      again = again || each.name == declaration.name;
    if (again) {
      replaced.insert(declaration.name);
    } else {
      trial.push_back(declaration);
    }
  }
  auto compilation = checkDeclarations(trial, text, err);
  if (compilation == nullptr)
    return;

  for (const auto& script : compilation->scripts) {
    if (compilation->sources.file(script->file).path() != kInputFile)
      continue;
    for (const auto& decl : script->decls) {
      out << (replaced.count(decl->name.text) != 0 ? "replaced " : "defined ")
          << ast::spelling(decl->kind) << " " << decl->name.text;
      if (decl->kind == ast::DeclKind::Let) {
        const auto& let = ast::as<ast::LetDecl>(*decl);
        if (let.value != nullptr && let.value->type != nullptr) {
          out << "  : " << ast::toString(let.value->type);
        }
      }
      out << "\n";
    }
  }
  trial.insert(trial.end(), added.begin(), added.end());
  declarations_ = std::move(trial);
}

}  // namespace crm::repl
