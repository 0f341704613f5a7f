#include "compiler/parse/parser.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>

#include "CrmLexer.h"
#include "CrmParser.h"
#include "antlr4-runtime.h"
#include "compiler/parse/ast_builder.h"
#include "compiler/parse/prescan.h"

namespace crm::parse {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The kind of text parsed: a script of declarations, or one expression. The
// raw checks, the token scan and the parser treat both alike except for the
// wording and the entry rule. An expression has no declarations, so its
// whole text counts against the operator limit.
enum class TextKind { Script, Expression };

const char* nounOf(TextKind kind) { return kind == TextKind::Script ? "script" : "expression"; }

std::string endOfText(TextKind kind) {
  return kind == TextKind::Script ? "end of file" : "end of the expression";
}

// Byte offsets of each code point of `text`, plus one for the end.
std::vector<uint32_t> codePointOffsets(std::string_view text, uint32_t base) {
  std::vector<uint32_t> offsets;
  offsets.reserve(text.size() + 1);
  for (uint32_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      offsets.push_back(base + i);
    }
  }
  offsets.push_back(base + static_cast<uint32_t>(text.size()));
  return offsets;
}

bool isSoftKeyword(size_t type) {
  return type >= CrmLexer::IMPORT && type <= CrmLexer::NOT && type != CrmLexer::WITHIN &&
         type != CrmLexer::IN && type != CrmLexer::TRUE_LITERAL && type != CrmLexer::FALSE_LITERAL &&
         type != CrmLexer::NULL_LITERAL;
}

bool isDeclarationKeyword(size_t type) {
  switch (type) {
    case CrmLexer::IMPORT: case CrmLexer::ENUM: case CrmLexer::RECORD: case CrmLexer::ENTITY:
    case CrmLexer::CUSTOMER: case CrmLexer::CATALOG: case CrmLexer::EVENT:
    case CrmLexer::SOURCE: case CrmLexer::LET: case CrmLexer::SEGMENT: case CrmLexer::TRIGGER:
    case CrmLexer::RECOMMEND: case CrmLexer::CHANNEL: case CrmLexer::CAMPAIGN:
    case CrmLexer::PRESSURE: case CrmLexer::TEST:
      return true;
    default:
      return false;
  }
}

// Describes a token kind for a message, never by its ANTLR token name.
std::string describeTokenType(const antlr4::dfa::Vocabulary& vocabulary, size_t type,
                              TextKind kind) {
  switch (type) {
    case antlr4::Token::EOF: return endOfText(kind);
    case CrmLexer::IDENT: return "a name";
    case CrmLexer::STRING: return "a string";
    case CrmLexer::INT: return "an integer";
    case CrmLexer::FLOAT: return "a number";
    case CrmLexer::DURATION: return "a duration";
    case CrmLexer::DATE: return "a date";
    case CrmLexer::TIMESTAMP: return "a timestamp";
    case CrmLexer::TIME_OF_DAY: return "a time of day";
    case CrmLexer::QUOTED_IDENT: return "a field name in backquotes";
    default: break;
  }
  std::string literal = vocabulary.getLiteralName(type);
  if (literal.size() >= 2 && literal.front() == '\'') {
    return "`" + literal.substr(1, literal.size() - 2) + "`";
  }
  return "a token";
}

std::string describeToken(antlr4::Token* token, TextKind kind) {
  if (token->getType() == antlr4::Token::EOF) {
    return endOfText(kind);
  }
  std::string text = token->getText();
  // A control or invisible character is named by its code point, so that
  // the message neither prints it raw nor shows an empty pair of quotes.
  if (token->getType() == CrmLexer::UNEXPECTED_CHAR) {
    auto byte = static_cast<unsigned char>(text.empty() ? 0 : text[0]);
    std::u32string wide = antlrcpp::utf8_to_utf32(text.data(), text.data() + text.size());
    char32_t point = wide.empty() ? byte : wide[0];
    bool visible = point > 0x20 && point != 0x7F && !(point >= 0x80 && point <= 0xA0) &&
                   point != 0x2028 && point != 0x2029 && point != 0xFEFF &&
                   !(point >= 0x0300 && point <= 0x036F) && !(point >= 0x200B && point <= 0x200F) &&
                   !source::isBidiControl(point);
    if (!visible) {
      char name[16];
      std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(point));
      return name;
    }
  }
  if (text.size() > 40) {
    text = text.substr(0, 37) + "...";
  }
  return "`" + text + "`";
}

// Turns ANTLR's syntax errors into diagnostics with the project's wording,
// and records the token ranges they cover so that the declarations that
// contain them can be left out.
class SyntaxErrorListener : public antlr4::BaseErrorListener {
 public:
  SyntaxErrorListener(diag::DiagnosticEngine& diagnostics, const source::SourceFile& file,
                      const std::vector<uint32_t>& offsets, TextKind kind)
      : diagnostics_(diagnostics), file_(file), offsets_(offsets), kind_(kind) {}

  void syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending, size_t /*line*/,
                   size_t /*column*/, const std::string& /*message*/,
                   std::exception_ptr /*error*/) override {
    if (offending == nullptr) {
      return;
    }
    size_t index = offending->getTokenIndex();
    errorTokens_.push_back(index);
    if (isBadToken(offending->getType()) || isSilenced(index)) {
      return;  // follows a malformed token that the token scan already reported
    }
    auto* parser = dynamic_cast<antlr4::Parser*>(recognizer);
    std::string message = "unexpected " + describeToken(offending, kind_);
    std::string help;
    if (parser != nullptr) {
      help = expectedList(parser, kind_);
    }
    auto& diagnostic = diagnostics_.report(diag::Code::E0010, rangeOf(offending), message);
    if (!help.empty()) {
      diagnostic.withHelp(help);
    }
  }

  static bool isBadToken(size_t type) {
    return type == CrmLexer::UNEXPECTED_CHAR || type == CrmLexer::BAD_NUMBER ||
           type == CrmLexer::UNTERMINATED_STRING || type == CrmLexer::UNTERMINATED_COMMENT;
  }

  const std::vector<size_t>& errorTokens() const { return errorTokens_; }
  TextKind kind() const { return kind_; }

  // A malformed token (an unterminated string, say) derails the parser until
  // the next declaration; the errors in between would only repeat it.
  void silenceUntilNextDeclaration(size_t tokenIndex) {
    silencedFrom_.push_back(tokenIndex);
  }
  void declarationStartsAt(size_t tokenIndex) { declarationStarts_.push_back(tokenIndex); }

  source::SourceRange rangeOf(antlr4::Token* token) const {
    if (token->getType() == antlr4::Token::EOF) {
      auto end = static_cast<uint32_t>(file_.text().size());
      return {file_.id(), end, end};
    }
    size_t start = std::min(token->getStartIndex(), offsets_.size() - 1);
    size_t stop = std::min(token->getStopIndex() + 1, offsets_.size() - 1);
    return {file_.id(), offsets_[start], offsets_[std::max(start, stop)]};
  }

 private:
  static std::string expectedList(antlr4::Parser* parser, TextKind kind) {
    antlr4::misc::IntervalSet expected;
    try {
      expected = parser->getExpectedTokens();
    } catch (const std::exception&) {
      return {};
    }
    std::vector<size_t> types;
    for (ssize_t type : expected.toList()) {
      types.push_back(static_cast<size_t>(type));
    }
    bool nameExpected = std::find(types.begin(), types.end(), CrmLexer::IDENT) != types.end();
    std::set<std::string> items;
    for (size_t type : types) {
      // Words that are also names need no separate mention when a name fits.
      if (nameExpected && isSoftKeyword(type)) {
        continue;
      }
      items.insert(describeTokenType(parser->getVocabulary(), type, kind));
    }
    if (items.empty() || items.size() > 8) {
      return {};
    }
    std::string text = items.size() == 1 ? "expected " : "expected one of ";
    bool first = true;
    for (const auto& item : items) {
      text += (first ? "" : ", ") + item;
      first = false;
    }
    return text;
  }

  bool isSilenced(size_t tokenIndex) const {
    for (size_t start : silencedFrom_) {
      if (tokenIndex < start) continue;
      auto next = std::upper_bound(declarationStarts_.begin(), declarationStarts_.end(), start);
      if (next == declarationStarts_.end() || tokenIndex < *next) return true;
    }
    return false;
  }

  diag::DiagnosticEngine& diagnostics_;
  const source::SourceFile& file_;
  const std::vector<uint32_t>& offsets_;
  TextKind kind_;
  std::vector<size_t> errorTokens_;
  std::vector<size_t> silencedFrom_;
  std::vector<size_t> declarationStarts_;  // increasing token indexes
};

// Reports malformed tokens, and enforces the nesting, operator and
// declaration limits before the parser recurses into the input.
// Whether the token at `index` starts a declaration: a declaration word at
// the top level that no operator, `=`, `:` or `.` precedes, and for the role
// words `customer`, `catalog` and `event`, one that `entity` follows. Other
// uses of these words are names inside expressions.
bool startsDeclaration(const std::vector<antlr4::Token*>& tokens, size_t index,
                       size_t previousType) {
  size_t type = tokens[index]->getType();
  if (type == CrmLexer::ENTITY) {
    return previousType != CrmLexer::CUSTOMER && previousType != CrmLexer::CATALOG &&
           previousType != CrmLexer::EVENT && previousType != CrmLexer::DOT &&
           previousType != CrmLexer::OPTIONAL_DOT;
  }
  if (!isDeclarationKeyword(type)) {
    return false;
  }
  bool afterOperator = (previousType >= CrmLexer::ARROW && previousType <= CrmLexer::DOT &&
                        previousType != CrmLexer::SEMI) ||
                       previousType == CrmLexer::LPAREN || previousType == CrmLexer::LBRACKET ||
                       previousType == CrmLexer::IN || previousType == CrmLexer::NOT ||
                       previousType == CrmLexer::WITHIN;
  if (afterOperator) {
    return false;
  }
  if (type == CrmLexer::CUSTOMER || type == CrmLexer::CATALOG || type == CrmLexer::EVENT) {
    for (size_t next = index + 1; next < tokens.size(); ++next) {
      if (tokens[next]->getChannel() == antlr4::Token::DEFAULT_CHANNEL) {
        return tokens[next]->getType() == CrmLexer::ENTITY;
      }
    }
    return false;
  }
  return true;
}

bool scanTokens(const std::vector<antlr4::Token*>& tokens, SyntaxErrorListener& listener,
                diag::DiagnosticEngine& diagnostics, const Limits& limits) {
  TextKind kind = listener.kind();
  size_t depth = 0;
  size_t prefixRun = 0;
  size_t operators = 0;
  size_t declarations = 0;
  antlr4::Token* declarationStart = nullptr;
  bool withinLimits = true;
  size_t previousType = antlr4::Token::INVALID_TYPE;
  for (size_t index = 0; index < tokens.size(); ++index) {
    antlr4::Token* token = tokens[index];
    size_t type = token->getType();
    if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL || type == antlr4::Token::EOF) {
      continue;
    }
    source::SourceRange range = listener.rangeOf(token);
    switch (type) {
      case CrmLexer::UNEXPECTED_CHAR:
        // A bidirectional control was reported by checkRawText.
        if (source::bidiControlLength(token->getText(), 0) != 0) break;
        diagnostics.report(diag::Code::E0011, range,
                           (token->getText() == "`" ? std::string("invalid backquote")
                                                    : "invalid character " +
                                                          describeToken(token, kind)) +
                               " in " + (kind == TextKind::Script ? "a script" : "an expression"))
            .withHelp(token->getText() == "&"   ? "write `&&` for a logical and"
                      : token->getText() == "|" ? "write `||` for a logical or"
                      : token->getText() == "`"
                          ? "a field name in backquotes holds ASCII letters, digits, `_`, `.`, "
                            "`-`, `/` and spaces, and is closed on its line"
                          : "remove it; text goes between quotes");
        break;
      case CrmLexer::BAD_NUMBER:
        diagnostics.report(diag::Code::E0012, range,
                           "invalid number or duration " + describeToken(token, kind))
            .withHelp(token->getText().find('.') != std::string::npos
                          ? "durations take whole numbers of each unit: write 1h30m, not 1.5h"
                          : "durations use the units w, d, h, m, s, ms, us and ns, as in 30d or "
                            "1h30m");
        break;
      case CrmLexer::UNTERMINATED_STRING:
        diagnostics.report(diag::Code::E0014, range, "string is not closed on its line")
            .withHelp("add the closing quote, or use \"\"\" for a string over several lines");
        break;
      case CrmLexer::UNTERMINATED_COMMENT:
        diagnostics.report(diag::Code::E0014, range, "block comment is not closed")
            .withHelp("close it with */");
        break;
      default:
        break;
    }
    if (SyntaxErrorListener::isBadToken(type)) {
      listener.silenceUntilNextDeclaration(index);
    }
    if (kind == TextKind::Expression && declarationStart == nullptr) {
      declarationStart = token;  // the operator limit is reported at the expression's start
    }
    if (kind == TextKind::Script && depth == 0 &&
        startsDeclaration(tokens, index, previousType)) {
      listener.declarationStartsAt(index);
      declarationStart = token;
      operators = 0;
      if (++declarations == limits.maxDeclarations + 1) {
        diagnostics.report(diag::Code::E0007, range,
                           "script has more than " + std::to_string(limits.maxDeclarations) +
                               " declarations")
            .withHelp("split the script into files joined with `import`");
        withinLimits = false;
      }
    }
    previousType = type;
    bool opens = type == CrmLexer::LPAREN || type == CrmLexer::LBRACKET ||
                 type == CrmLexer::LBRACE;
    bool prefix = type == CrmLexer::BANG || type == CrmLexer::MINUS;
    prefixRun = prefix ? prefixRun + 1 : 0;
    if (opens) {
      ++depth;
    } else if ((type == CrmLexer::RPAREN || type == CrmLexer::RBRACKET ||
                type == CrmLexer::RBRACE) && depth > 0) {
      --depth;
    }
    if (depth > limits.maxNesting || prefixRun > limits.maxNesting) {
      diagnostics.report(diag::Code::E0004, range,
                         "expression is nested deeper than " +
                             std::to_string(limits.maxNesting) + " levels")
          .withHelp(kind == TextKind::Script ? "split it into `let` declarations"
                                             : "split it into smaller expressions");
      return false;
    }
    // Element separators count too: the parser and the checker spend
    // memory and time per element of a list or map literal.
    bool isOperator = prefix || type == CrmLexer::QUESTION || type == CrmLexer::COALESCE ||
                      (type >= CrmLexer::LOGICAL_OR && type <= CrmLexer::PERCENT) ||
                      type == CrmLexer::IN || type == CrmLexer::WITHIN || type == CrmLexer::DOT ||
                      type == CrmLexer::OPTIONAL_DOT || type == CrmLexer::COMMA;
    if (isOperator && ++operators == limits.maxOperatorsPerDeclaration + 1) {
      diagnostics.report(diag::Code::E0006,
                         declarationStart ? listener.rangeOf(declarationStart) : range,
                         std::string(kind == TextKind::Script ? "declaration" : "expression") +
                             " has more than " +
                             std::to_string(limits.maxOperatorsPerDeclaration) +
                             " operators and list elements")
          .withHelp(kind == TextKind::Script
                        ? "split it into several `let` or `segment` declarations, or use "
                          "`in [...]` for long lists of alternatives"
                        : "split it into smaller expressions");
      withinLimits = false;
    }
  }
  return withinLimits;
}

// Whether error recovery touched the tree: a rule that ended in an exception
// or a token that the parser inserted or skipped. Such a tree may lack
// children that the AST builder relies on.
bool hasRecoveredErrors(antlr4::tree::ParseTree* tree) {
  if (dynamic_cast<antlr4::tree::ErrorNode*>(tree) != nullptr) {
    return true;
  }
  auto* rule = dynamic_cast<antlr4::ParserRuleContext*>(tree);
  if (rule == nullptr) {
    return false;
  }
  if (rule->exception != nullptr) {
    return true;
  }
  for (auto* child : rule->children) {
    if (hasRecoveredErrors(child)) {
      return true;
    }
  }
  return false;
}

// The name a declaration that failed to parse would have declared, if any.
std::optional<std::string> declaredName(const std::vector<antlr4::Token*>& tokens, size_t start,
                                        size_t stop) {
  for (size_t i = start; i <= stop && i < tokens.size(); ++i) {
    antlr4::Token* token = tokens[i];
    if (token->getChannel() != antlr4::Token::DEFAULT_CHANNEL) {
      continue;
    }
    size_t type = token->getType();
    if (type == CrmLexer::SEGMENT || type == CrmLexer::LET || type == CrmLexer::RECOMMEND ||
        type == CrmLexer::CHANNEL || type == CrmLexer::CAMPAIGN || type == CrmLexer::TRIGGER ||
        type == CrmLexer::ENUM || type == CrmLexer::RECORD || type == CrmLexer::ENTITY ||
        type == CrmLexer::SOURCE) {
      for (size_t k = i + 1; k <= stop && k < tokens.size(); ++k) {
        if (tokens[k]->getChannel() == antlr4::Token::DEFAULT_CHANNEL) {
          if (tokens[k]->getType() == CrmLexer::IDENT || isSoftKeyword(tokens[k]->getType())) {
            return tokens[k]->getText();
          }
          return std::nullopt;
        }
      }
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// The text after the raw checks: without a byte order mark, with the
// byte offset of each code point.
struct CheckedText {
  std::string_view body;
  std::vector<uint32_t> offsets;
};

// Rejects a text over the size limit or with invalid UTF-8, and strips a
// byte order mark.
std::optional<CheckedText> checkRawText(const source::SourceFile& file,
                                        diag::DiagnosticEngine& diagnostics,
                                        const Limits& limits, TextKind kind) {
  const std::string& text = file.text();
  std::string noun = nounOf(kind);
  if (text.size() > limits.maxFileBytes) {
    diagnostics.report(diag::Code::E0003, {file.id(), 0, 0},
                       noun + " is " + std::to_string(text.size()) + " bytes, more than the " +
                           std::to_string(limits.maxFileBytes) + "-byte limit")
        .withHelp(kind == TextKind::Script ? "split the script into files joined with `import`"
                                           : "split the expression into smaller ones");
    return std::nullopt;
  }
  if (auto bad = firstInvalidUtf8(text)) {
    auto offset = static_cast<uint32_t>(*bad);
    diagnostics.report(diag::Code::E0002, {file.id(), offset, offset + 1},
                       noun + " is not valid UTF-8 (invalid byte 0x" +
                           [&] {
                             static constexpr char kHex[] = "0123456789ABCDEF";
                             auto byte = static_cast<unsigned char>(text[offset]);
                             return std::string{kHex[byte >> 4], kHex[byte & 15]};
                           }() +
                           ")")
        .withHelp(kind == TextKind::Script ? "save the file as UTF-8"
                                           : "pass the expression as UTF-8 text");
    return std::nullopt;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    size_t length = source::bidiControlLength(text, i);
    if (length == 0) continue;
    std::u32string wide = antlrcpp::utf8_to_utf32(text.data() + i, text.data() + i + length);
    char name[16];
    std::snprintf(name, sizeof name, "U+%04X", static_cast<unsigned>(wide.empty() ? 0 : wide[0]));
    auto offset = static_cast<uint32_t>(i);
    diagnostics.report(diag::Code::E0009, {file.id(), offset, offset + static_cast<uint32_t>(length)},
                       noun + " holds the bidirectional control character " + name +
                           ", which can display the text in another order than it is read")
        .withHelp("remove it; inside a string, write it as the escape \\u" +
                  std::string(name + 2));
    i += length - 1;
  }
  bool bom = text.rfind(kUtf8Bom, 0) == 0;
  std::string_view body(text);
  if (bom) {
    body.remove_prefix(kUtf8Bom.size());
  }
  return CheckedText{body, codePointOffsets(body, bom ? 3 : 0)};
}

// The lexer and its tokens over a checked text. The members refer to each
// other, so the object stays where it was built.
struct Lexed {
  explicit Lexed(std::string_view body) : input(body.data(), body.size()), lexer(&input),
                                          tokens(&lexer) {
    lexer.removeErrorListeners();
    tokens.fill();
  }
  Lexed(const Lexed&) = delete;
  Lexed& operator=(const Lexed&) = delete;

  antlr4::ANTLRInputStream input;
  CrmLexer lexer;
  antlr4::CommonTokenStream tokens;
};

// `crm:allow(...)` counts only inside comments, never inside a string.
// Returns the comments, for the formatter.
std::vector<ast::Comment> registerAllowComments(antlr4::CommonTokenStream& tokens,
                                                const std::vector<uint32_t>& offsets,
                                                const source::SourceFile& file,
                                                diag::DiagnosticEngine& diagnostics) {
  std::vector<ast::Comment> comments;
  for (antlr4::Token* token : tokens.getTokens()) {
    size_t type = token->getType();
    if (type == CrmLexer::LINE_COMMENT || type == CrmLexer::BLOCK_COMMENT) {
      size_t start = std::min(token->getStartIndex(), offsets.size() - 1);
      size_t stop = std::min(token->getStopIndex() + 1, offsets.size() - 1);
      uint32_t line = file.lineColumn(offsets[start]).line;
      registerAllowComment(token->getText(), file.id(), line, diagnostics);
      comments.push_back({{file.id(), offsets[start], offsets[stop]},
                          type == CrmLexer::BLOCK_COMMENT});
    }
  }
  return comments;
}

// Runs the parser's entry rule `parse` with the project's listener. An
// exception that escapes ANTLR's error recovery is reported at the current
// token, and null is returned.
template <typename Context, typename Entry>
Context* runParser(CrmParser& parser, SyntaxErrorListener& listener,
                   diag::DiagnosticEngine& diagnostics, Entry parse) {
  parser.removeErrorListeners();
  parser.addErrorListener(&listener);
  try {
    return parse();
  } catch (const std::exception& error) {
    // The default error strategy recovers from syntax errors; anything that
    // still escapes is reported at the current token rather than crashing.
    diagnostics.report(diag::Code::E0010, listener.rangeOf(parser.getCurrentToken()),
                       std::string("the parser stopped at this point: ") + error.what())
        .withHelp("fix the errors reported before this one");
    return nullptr;
  }
}

}  // namespace

ParseResult parseFile(const source::SourceFile& file, diag::DiagnosticEngine& diagnostics,
                      const Limits& limits) {
  ParseResult result;
  result.script.file = file.id();
  auto checked = checkRawText(file, diagnostics, limits, TextKind::Script);
  if (!checked) {
    return result;
  }
  const std::vector<uint32_t>& offsets = checked->offsets;
  Lexed lexed(checked->body);
  result.script.comments = registerAllowComments(lexed.tokens, offsets, file, diagnostics);

  SyntaxErrorListener listener(diagnostics, file, offsets, TextKind::Script);
  if (!scanTokens(lexed.tokens.getTokens(), listener, diagnostics, limits)) {
    result.hasBrokenDeclarations = true;
    return result;
  }

  CrmParser parser(&lexed.tokens);
  auto* tree = runParser<CrmParser::ScriptContext>(parser, listener, diagnostics,
                                                   [&] { return parser.script(); });
  if (tree == nullptr) {
    result.hasBrokenDeclarations = true;
    return result;
  }

  internal::AstBuilder builder(file, offsets, diagnostics, limits.maxStringBytes);
  std::vector<size_t> errors = listener.errorTokens();
  result.hasBrokenDeclarations = !errors.empty();
  std::sort(errors.begin(), errors.end());
  const auto& tokens = lexed.tokens.getTokens();
  for (auto* declaration : tree->declaration()) {
    size_t start = declaration->getStart()->getTokenIndex();
    size_t stop = declaration->getStop() != nullptr ? declaration->getStop()->getTokenIndex()
                                                    : start;
    auto firstError = std::lower_bound(errors.begin(), errors.end(), start);
    bool broken = hasRecoveredErrors(declaration) ||
                  (firstError != errors.end() && *firstError <= stop) || stop < start;
    if (broken) {
      result.hasBrokenDeclarations = true;
      if (auto name = declaredName(tokens, start, stop)) {
        result.brokenNames.push_back(*name);
      }
      continue;
    }
    if (auto decl = builder.declaration(declaration)) {
      result.script.decls.push_back(std::move(decl));
    }
  }
  return result;
}

ast::ExprPtr parseExpression(const source::SourceFile& file, diag::DiagnosticEngine& diagnostics,
                             const Limits& limits) {
  auto checked = checkRawText(file, diagnostics, limits, TextKind::Expression);
  if (!checked) {
    return nullptr;
  }
  const std::vector<uint32_t>& offsets = checked->offsets;
  Lexed lexed(checked->body);
  registerAllowComments(lexed.tokens, offsets, file, diagnostics);

  SyntaxErrorListener listener(diagnostics, file, offsets, TextKind::Expression);
  if (!scanTokens(lexed.tokens.getTokens(), listener, diagnostics, limits)) {
    return nullptr;
  }
  const auto& tokens = lexed.tokens.getTokens();
  bool empty = std::all_of(tokens.begin(), tokens.end(), [](antlr4::Token* token) {
    return token->getChannel() != antlr4::Token::DEFAULT_CHANNEL ||
           token->getType() == antlr4::Token::EOF;
  });
  if (empty) {
    diagnostics.report(diag::Code::E0010, listener.rangeOf(tokens.back()), "the expression is empty")
        .withHelp("write an expression, such as `1 + 1`");
    return nullptr;
  }

  CrmParser parser(&lexed.tokens);
  auto* tree = runParser<CrmParser::ExpressionContext>(parser, listener, diagnostics,
                                                       [&] { return parser.expression(); });
  if (tree == nullptr || !listener.errorTokens().empty() || hasRecoveredErrors(tree)) {
    return nullptr;
  }
  internal::AstBuilder builder(file, offsets, diagnostics, limits.maxStringBytes);
  return builder.expression(tree);
}

}  // namespace crm::parse
