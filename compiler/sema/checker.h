// Name resolution, type checking, domain rules and lints over a whole
// program: one root script and the scripts it imports, or one expression
// checked on its own, optionally in the scope of such scripts. The checker
// writes types and resolutions into the AST and reports every problem it
// finds.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/diag/diagnostic.h"
#include "stdlib/signatures.h"

namespace crm::sema {

// A variable that the caller of an expression check declares. Its name may
// contain dots (`a.b.c`), and the longest declared prefix of a selection
// chain wins.
struct External {
  ast::Name name;
  ast::TypeRef typeRef;  // resolved with CEL's names `dyn` and `null_type` too
  const ast::Type* type = nullptr;  // set by check() unless the caller set it
};

struct Program {
  std::vector<ast::Script*> scripts;  // the root script first
  std::vector<std::string> brokenNames;  // declarations dropped by syntax errors
  bool rootHasBrokenDeclarations = false;

  // Expression mode: `expression` is checked after the declarations of
  // `scripts`, which may be empty. It can use their lets and segments, `now`,
  // the variables in `externals`, and `customer` and `catalog` when a script
  // is given. With `celMode`, literals are typed as CEL types them: a list or
  // map literal whose elements have no common type gets `dyn` elements, and
  // `null` among elements of type T makes them T?. The scripts' own
  // declarations are always checked strictly.
  ast::Expr* expression = nullptr;
  std::vector<External> externals;
  bool celMode = false;

  // Filled by check(): the declarations some rule uses, and those reported
  // as duplicates.
  std::set<const ast::Decl*> used;
  std::set<const ast::Decl*> duplicates;
};

// Checks `program`. Diagnostics go to `diagnostics`; the AST is annotated in
// place. Declarations with errors stay in the AST with Error types.
void check(Program& program, ast::TypeContext& types, diag::DiagnosticEngine& diagnostics);

// W0101: reports the segments, lets and recommendations of `root` that no
// checked program uses. Run after every root was checked, because a file
// checked with others may declare what only the others use.
void reportUnused(const ast::Script& root, const std::set<const ast::Decl*>& used,
                  const std::set<const ast::Decl*>& duplicates,
                  diag::DiagnosticEngine& diagnostics);

namespace internal {

struct Variable {
  std::string name;
  const ast::Type* type;
  ast::SourceRange range;
};

// Facts learned from a condition: paths known to be present (non-null).
using Facts = std::vector<std::string>;

class Checker {
 public:
  Checker(Program& program, ast::TypeContext& types, diag::DiagnosticEngine& diagnostics)
      : program_(program), types_(types), diagnostics_(diagnostics) {}

  void run();

  // checker_expression.cpp
  void checkExpressionMode();
  void resolveExternals();
  const External* findExternal(const std::string& name) const;
  bool resolveQualifiedName(ast::Select& select, const ast::Type*& type);
  const ast::Type* checkCelList(ast::ListLiteral& list, const ast::Type* elementExpected);
  const ast::Type* checkCelMap(ast::MapLiteral& map, const ast::Type* keyExpected,
                               const ast::Type* valueExpected);
  const ast::Type* joinElements(const ast::Type* a, const ast::Type* b);
  bool comparable(const ast::Type* a, const ast::Type* b) const;
  bool hasSchema() const { return !program_.scripts.empty(); }

  // checker_decls.cpp
  void collectDeclarations();
  void resolveSchema();
  void checkDeclaration(ast::Decl& decl);
  void checkSource(ast::SourceDecl& decl);
  void checkTrigger(ast::TriggerDecl& decl);
  void checkRecommend(ast::RecommendDecl& decl);
  void ensureRecommendChecked(ast::RecommendDecl& decl);
  void reportCycle(const ast::Decl& decl);

  // The scope of a use site, set aside while a declaration's body is
  // checked on first use.
  struct SavedScope {
    std::vector<Variable> variables;
    std::vector<std::string> narrowed;
    const ast::RecordDecl* implicitElement = nullptr;
    bool cel = false;
  };
  SavedScope enterDeclaration(const ast::Decl& decl);
  void leaveDeclaration(const ast::Decl& decl, SavedScope& saved);
  void checkChannel(ast::ChannelDecl& decl);
  void checkCampaign(ast::CampaignDecl& decl);
  void checkPressure(ast::PressureDecl& decl);
  void checkTest(ast::TestDecl& decl);
  const ast::Type* resolveType(const ast::TypeRef& ref);
  const ast::Type* valueTypeOf(const ast::Decl& decl);  // segments and lets, checked on demand
  const ast::Type* streamElement(const ast::Name& stream);
  void checkRequiredBool(ast::Expr& expr, const std::string& what);
  void checkDurationWindow(ast::Expr& expr, const std::string& what);

  // checker.cpp
  const ast::Type* check(ast::Expr& expr, const ast::Type* expected = nullptr);
  const ast::Type* checkIdent(ast::Ident& ident, const ast::Type* expected);
  const ast::Type* checkSelect(ast::Select& select, bool presenceTest = false);
  const ast::Type* checkIndex(ast::Index& index);
  const ast::Type* checkUnary(ast::Unary& unary);
  const ast::Type* checkBinary(ast::Binary& binary, const ast::Type* expected);
  const ast::Type* checkLogical(ast::Binary& binary);
  const ast::Type* checkComparison(ast::Binary& binary);
  const ast::Type* checkEquality(ast::Binary& binary);
  const ast::Type* checkMembership(ast::Binary& binary);
  const ast::Type* checkArithmetic(ast::Binary& binary);
  const ast::Type* checkConditional(ast::Conditional& conditional, const ast::Type* expected);
  const ast::Type* checkList(ast::ListLiteral& list, const ast::Type* expected);
  const ast::Type* checkMap(ast::MapLiteral& map, const ast::Type* expected);
  const ast::Type* checkRecordLiteral(ast::MapLiteral& map, const ast::Type* recordType);
  const ast::Type* checkListConcatenation(ast::Binary& binary, const ast::Type* lhs,
                                          const ast::Type* rhs);
  bool requireValue(ast::Expr& operand, const ast::Type* type, const char* usage);
  bool isContextualName(const ast::Expr& expr) const;
  const ast::Type* unify(ast::Expr& a, ast::Expr& b, ast::SourceRange where, const char* what);
  bool promoteLiteral(ast::Expr& expr, const ast::Type* target);
  bool assignable(ast::Expr& expr, const ast::Type* target);
  void requireAssignable(ast::Expr& expr, const ast::Type* target, const std::string& what);

  // checker_calls.cpp
  const ast::Type* checkCall(ast::Call& call, const ast::Type* expected);
  const ast::Type* checkHas(ast::Call& call);
  const ast::Type* checkMacro(ast::Call& call, const ast::Type* receiver);
  const ast::Type* checkRecommendCall(ast::Call& call, const ast::RecommendDecl& decl);
  const ast::Type* checkBuiltin(ast::Call& call, const ast::Type* receiver);
  bool checkRecommendationCall(ast::Call& call, const stdlib::Signature& signature);
  bool isMacroCall(const ast::Call& call) const;

  // scope.cpp
  void pushVariable(const ast::Name& name, const ast::Type* type);
  void popVariable() { variables_.pop_back(); }
  const Variable* findVariable(const std::string& name) const;
  std::vector<std::string> visibleNames() const;
  void noteUse(const ast::Decl* decl) { used_.insert(decl); }
  bool isNarrowed(const std::string& path) const;
  Facts factsWhenTrue(const ast::Expr& expr) const;
  Facts factsWhenFalse(const ast::Expr& expr) const;
  std::optional<std::string> pathOf(const ast::Expr& expr) const;

  // lints.cpp
  void lintUnreachableCampaigns();
  void lintConstantComparison(const ast::Binary& binary);

  // Shared state, public to the helpers in this folder.
  Program& program_;
  ast::TypeContext& types_;
  diag::DiagnosticEngine& diagnostics_;

  std::unordered_map<std::string, ast::Decl*> globals_;
  std::set<std::string> broken_;
  const ast::EntityDecl* customer_ = nullptr;
  const ast::EntityDecl* catalog_ = nullptr;
  const ast::EntityDecl* event_ = nullptr;
  std::set<std::string> groups_;  // campaign groups, for pressure scopes
  std::set<std::string> cappedGroups_;  // groups that a pressure cap counts

  enum class State { Checking, Done };
  std::unordered_map<const ast::Decl*, State> states_;
  std::unordered_map<const ast::Decl*, const ast::Type*> valueTypes_;
  std::vector<const ast::Decl*> dependencyStack_;

  std::set<const ast::Decl*> used_;
  std::vector<Variable> variables_;
  std::vector<std::string> narrowed_;
  // Facts of each `&&` and `||` operand, computed once. Checking a chain of
  // n operators needs the facts of every shorter chain inside it, which took
  // time quadratic in n without this cache.
  mutable std::unordered_map<const ast::Expr*, Facts> factsWhenTrue_;
  mutable std::unordered_map<const ast::Expr*, Facts> factsWhenFalse_;
  // Inside a trigger's on(...) condition: the element whose fields are visible by name.
  const ast::RecordDecl* implicitElement_ = nullptr;
  // Whether the expression of expression mode is being checked with CEL's
  // typing. It is off inside the declarations that the expression uses.
  bool cel_ = false;
  // Whether the types of externals are being resolved, which may use `dyn`
  // and `null_type`.
  bool celTypeNames_ = false;
  std::unordered_map<std::string, const External*> externals_;
};

// A readable description of an operand for messages: `customer.age` or
// "this expression".
std::string describe(const ast::Expr& expr);

}  // namespace internal
}  // namespace crm::sema
