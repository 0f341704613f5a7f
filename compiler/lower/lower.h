// Lowering: from the checked AST of a program (a root script and its
// imports) to the ir::Program that the interpreter and the JIT evaluate.
// The program must have passed the checker without errors.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "compiler/ast/ast.h"
#include "compiler/lower/ir.h"

namespace crm::lower {

// Lowers every let, segment, recommendation, channel, trigger and campaign
// of `scripts`.
std::unique_ptr<ir::Program> lowerProgram(const std::vector<const ast::Script*>& scripts);

// Lowers one expression checked in the context of `scripts` (which may be
// empty), with `externals` bound from outside by name. The expression's node
// is returned beside the program that owns its declarations.
struct LoweredExpression {
  std::unique_ptr<ir::Program> program;
  ir::NodePtr expression;
};

LoweredExpression lowerExpression(
    const std::vector<const ast::Script*>& scripts, const ast::Expr& expression,
    const std::vector<std::pair<std::string, const ast::Type*>>& externals);

// Lowers several expressions checked in the context of `scripts`, such as
// the data and expectations of test blocks, with one program for all.
struct LoweredExpressions {
  std::unique_ptr<ir::Program> program;
  std::vector<ir::NodePtr> expressions;  // in the order of the input
};

LoweredExpressions lowerExpressions(const std::vector<const ast::Script*>& scripts,
                                    const std::vector<const ast::Expr*>& expressions);

}  // namespace crm::lower
