#include "jit/jit.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/Support/raw_ostream.h>

#include <cstddef>
#include <deque>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <unordered_map>

#include "jit/helpers.h"
#include "runtime/operators.h"
#include "runtime/atomic_file.h"
#include "runtime/time.h"

namespace crm::jit {

using ir::MacroKind;
using ir::Node;
using ir::Op;
using runtime::Value;
using runtime::ValueKind;

// One compiled root: its function, and the node the interpreter evaluates
// when the native code bails out.
using RootFunction = void (*)(void* interpreter, const ColumnData* columns,
                              const TableData* tables, const int64_t* strings,
                              const void* const* pointers, void* out);

struct CompiledProgram::State {
  // The cache outlives the JIT, whose compiler points at it.
  std::unique_ptr<llvm::ObjectCache> cache;
  size_t cacheHits = 0;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::unordered_map<const Node*, RootFunction> roots;
  std::vector<ColumnData> columns;
  std::vector<TableData> tables;
  // The address of each string test's table (StringTestUse), one byte per
  // string of the column's pool, or 0 when the column has no pool.
  std::vector<int64_t> strings;
  std::deque<std::vector<uint8_t>> stringTests;  // a deque keeps the tables in place
  std::vector<const void*> pointers;  // see Codegen::pointer
  std::string ir;
  size_t fallbacks = 0;
  std::string note;  // see CompiledProgram::note
};

CompiledProgram::CompiledProgram(std::unique_ptr<State> state) : state_(std::move(state)) {}
CompiledProgram::~CompiledProgram() = default;

const void* CompiledProgram::find(const Node& root) const {
  auto it = state_->roots.find(&root);
  return it == state_->roots.end() ? nullptr : &it->second;
}

void CompiledProgram::run(const void* code, interp::Interpreter& interpreter, Value& out) const {
  // find() gave the address of a map entry, which stays in place.
  RootFunction function = *static_cast<const RootFunction*>(code);
  function(&interpreter, state_->columns.data(), state_->tables.data(), state_->strings.data(),
           state_->pointers.data(), &out);
}

const std::string& CompiledProgram::ir() const { return state_->ir; }
size_t CompiledProgram::rootCount() const { return state_->roots.size(); }
size_t CompiledProgram::fallbackCount() const { return state_->fallbacks; }
size_t CompiledProgram::cacheHits() const { return state_->cacheHits; }
const std::string& CompiledProgram::note() const { return state_->note; }

namespace {

// The generated code reads runtime::Decimal as an int64 coefficient at
// offset 0 and an int32 scale at offset 8.
static_assert(sizeof(runtime::Decimal) == 16);
static_assert(offsetof(runtime::Decimal, scale) == 8);

// The fields of ColumnData, as the generated code indexes them.
constexpr unsigned kDecimalsField = 4;
constexpr unsigned kStringsField = 5;
constexpr unsigned kNativeField = 6;

// A value in generated code. Scalars, rows and slices are native; anything
// else is a pointer to a Value (`boxed`) that the interpreter computed.
enum class Shape { Scalar, Row, Slice, Boxed };

struct Val {
  Shape shape = Shape::Boxed;
  ValueKind kind = ValueKind::Null;  // Scalar: Bool, Int, Double, Date, Timestamp, Duration, Enum
  const runtime::EnumInfo* enumInfo = nullptr;
  llvm::Value* payload = nullptr;  // Scalar: i64, double or a decimal's coefficient; Row: the row;
                                   // Slice: the first row
  llvm::Value* scale = nullptr;    // Scalar of kind Decimal: its scale, as an i64
  llvm::Value* end = nullptr;      // Slice: one past the last row
  llvm::Value* isNull = nullptr;   // i1; Scalar and Row only
  llvm::Value* boxed = nullptr;    // Boxed
  const ast::RecordDecl* entity = nullptr;  // Row and Slice
};

std::optional<ValueKind> scalarKind(const ast::Type* type) {
  if (type == nullptr) return std::nullopt;
  switch (type->unwrapped()->kind) {
    case ast::TypeKind::Bool: return ValueKind::Bool;
    case ast::TypeKind::Int: return ValueKind::Int;
    case ast::TypeKind::Double: return ValueKind::Double;
    case ast::TypeKind::Decimal: return ValueKind::Decimal;
    case ast::TypeKind::Date: return ValueKind::Date;
    case ast::TypeKind::Timestamp: return ValueKind::Timestamp;
    case ast::TypeKind::Duration: return ValueKind::Duration;
    case ast::TypeKind::Enum: return ValueKind::Enum;
    default: return std::nullopt;
  }
}

const ast::RecordDecl* entityOf(const ast::Type* type) {
  if (type == nullptr) return nullptr;
  const ast::Type* t = type->unwrapped();
  if (t->is(ast::TypeKind::Entity)) return &ast::as<ast::RecordDecl>(*t->decl);
  return nullptr;
}

const ast::RecordDecl* elementEntityOf(const ast::Type* type) {
  if (type == nullptr) return nullptr;
  const ast::Type* t = type->unwrapped();
  if (t->is(ast::TypeKind::List) && t->element != nullptr) return entityOf(t->element);
  return nullptr;
}

// A test of a string column against constants, which the JIT precomputes
// for every string of the column's pool.
enum class StringTest : uint8_t { Equal, StartsWith, EndsWith, Contains };

struct StringTestUse {
  uint32_t column;
  StringTest test;
  std::vector<std::string> texts;  // the test holds when it holds for one of them
};

// Byte comparisons, which are code point comparisons on UTF-8, as the
// built-ins make them.
bool stringTestHolds(StringTest test, std::string_view subject,
                     const std::vector<std::string>& texts) {
  for (const std::string& text : texts) {
    switch (test) {
      case StringTest::Equal:
        if (subject == text) return true;
        break;
      case StringTest::StartsWith:
        if (subject.substr(0, text.size()) == text) return true;
        break;
      case StringTest::EndsWith:
        if (subject.size() >= text.size() &&
            subject.substr(subject.size() - text.size()) == text) {
          return true;
        }
        break;
      case StringTest::Contains:
        if (subject.find(text) != std::string_view::npos) return true;
        break;
    }
  }
  return false;
}

class Codegen {
 public:
  Codegen(llvm::LLVMContext& context, const ir::Program& program)
      : context_(context), program_(program), builder_(context) {
    i1_ = llvm::Type::getInt1Ty(context);
    i8_ = llvm::Type::getInt8Ty(context);
    i32_ = llvm::Type::getInt32Ty(context);
    i64_ = llvm::Type::getInt64Ty(context);
    f64_ = llvm::Type::getDoubleTy(context);
    ptr_ = llvm::PointerType::get(context, 0);
    void_ = llvm::Type::getVoidTy(context);
    columnType_ =
        llvm::StructType::create(context, {ptr_, ptr_, ptr_, ptr_, ptr_, ptr_, i64_}, "ColumnData");
    tableType_ = llvm::StructType::create(context, {ptr_, i64_}, "TableData");
  }

  // Starts generating into `module`; the column and table numbering goes
  // on across modules.
  void setModule(llvm::Module& module) {
    module_ = &module;
    powersOfTen_ = nullptr;
    declareHelpers();
  }

  // Generates the function of one root; returns its name.
  std::string compileRoot(const Node& root, size_t number);

  // The (entity, field) pairs and entities the generated code reads.
  const std::vector<std::pair<const ast::RecordDecl*, uint32_t>>& columns() const {
    return columns_;
  }
  const std::vector<const ast::RecordDecl*>& tables() const { return tables_; }
  const std::vector<StringTestUse>& strings() const { return strings_; }
  const std::vector<const void*>& pointers() const { return pointers_; }
  size_t fallbacks() const { return fallbacks_; }

 private:
  void declareHelpers();
  llvm::FunctionCallee helper(const char* name) { return helpers_.at(name); }

  Val gen(const Node& node);
  Val genFallback(const Node& node);
  Val genScalar(const Node& node);  // a Scalar, unboxing when needed
  // A Scalar of `kind`, where the literal `null` is a null of that kind.
  Val genScalarAs(const Node& node, ValueKind kind);
  // Whether `node` gives values of `kind` at run time: an int where a
  // decimal is expected stays an int in the interpreter.
  bool givesKind(const Node& node, ValueKind kind) const;
  Val unboxScalar(llvm::Value* boxed, ValueKind kind, const runtime::EnumInfo* info);
  llvm::Value* box(const Val& value);  // a Value holding `value`, in scratch when needed
  void boxInto(const Val& value, llvm::Value* out);
  Val genField(const Node& node);
  Val genHas(const Node& node);
  Val genBinary(const Node& node);
  Val genLogical(const Node& node, bool isAnd);
  Val genConditional(const Node& node);
  Val genCoalesce(const Node& node);
  Val genMacro(const Node& node);
  Val genExtreme(const Node& node);
  // The child list or catalog a macro reads, with a `filter` just before it
  // taken apart for fusion; nullopt when the list is not native.
  std::optional<Val> macroSource(const Node& node, const Node*& filter, uint32_t& filterSlot);
  Val genSize(const Node& node);
  Val genWithin(const Node& node);
  // timestamp ± duration, duration + timestamp, timestamp - timestamp and
  // duration ± duration; nullopt for other operand kinds.
  std::optional<Val> genTimeArithmetic(const Node& node, ValueKind left, ValueKind right);
  // A string field tested against constants (==, !=, in, startsWith,
  // endsWith, contains) through a table over the column's pool; nullopt when
  // the node has another form.
  std::optional<Val> genStringTest(const Node& node);
  // `x in [constants]` on a scalar.
  std::optional<Val> genConstantIn(const Node& node);
  Val scalar(ValueKind kind, llvm::Value* payload, llvm::Value* isNull = nullptr);
  Val decimal(llvm::Value* coefficient, llvm::Value* scale, llvm::Value* isNull = nullptr);
  // An int or decimal scalar as a decimal.
  Val asDecimal(const Val& value);
  Val genDecimalBinary(const Node& node);
  // The names of an enum type's values, for boxing an enum scalar.
  const runtime::EnumInfo* enumInfoFor(const ast::Type* type) const;

  // Loops over `slice` with `slot` bound to each row. `filter` (optional)
  // skips rows; `visit` runs for the others and returns false to stop.
  struct LoopBody {
    const Node* filter = nullptr;
    uint32_t filterSlot = 0;
    uint32_t slot = 0;
    std::function<bool(llvm::BasicBlock* exit)> visit;
  };
  void emitLoop(const Val& slice, const LoopBody& body);

  // Leaves the native code: the interpreter evaluates the root instead.
  void bailIf(llvm::Value* condition);
  llvm::Value* slotPointer();  // a fresh scratch Value
  // A pointer of this process (a node, a constant, an enum's names), read
  // from the pointer table argument, so that the machine code contains no
  // address and can be cached across processes.
  llvm::Value* pointer(const void* address);
  uint32_t columnId(const ast::RecordDecl* entity, uint32_t field);
  uint32_t tableId(const ast::RecordDecl* entity);
  llvm::Value* tablePointer(const ast::RecordDecl* entity);
  llvm::Value* isTrue(const Val& value);  // i1 of a Bool scalar
  llvm::BasicBlock* block(const char* name) {
    return llvm::BasicBlock::Create(context_, name, function_);
  }
  llvm::Value* i64(int64_t v) { return llvm::ConstantInt::get(i64_, static_cast<uint64_t>(v), true); }
  llvm::Value* stackSlot(llvm::Type* type, const char* name);
  // The run's instant and the customer's row, asked once per root in its
  // entry block: neither changes while a root runs, and a call in a loop
  // would be made for every element.
  llvm::Value* now();
  llvm::Value* customerRow();
  // The function's count of elements visited by loops, from 0.
  llvm::Value* macroVisits();
  // Adds `count` to the visits. Past the interpreter's limit, each loop's
  // exit bails, so that nested loops cannot run for hours, and the
  // interpreter reports the limit. NOTE: parts of a root left to the
  // interpreter count on the interpreter's own counter, so a root that
  // mixes both can pass the limit on one engine only.
  void countVisits(llvm::Value* count);
  // a + b, or a - b, of two decimals: inline when their scales agree, by
  // the runtime otherwise. Bails when the result does not fit.
  // Calls the runtime's decimal arithmetic (operation 0 add, 1 subtract,
  // 2 multiply) and bails when it fails.
  Val decimalArithmetic(int operation, const Val& a, const Val& b);
  Val addDecimals(const Val& a, const Val& b, bool subtract);
  // a * b of two decimals, as runtime::multiplyDecimal computes it: inline
  // when the coefficients' product fits in 64 bits, by the runtime
  // otherwise. Bails when the result does not fit.
  Val multiplyDecimals(const Val& a, const Val& b);
  // The order of two decimals as an i32, negative, zero or positive:
  // inline when the coefficient of the smaller scale can be scaled up in
  // 64 bits, by the runtime otherwise.
  llvm::Value* compareDecimals(const Val& a, const Val& b);
  // 10^exponent for an exponent from 0 to 18, from a table in the module.
  llvm::Value* powerOfTen(llvm::Value* exponent);

  llvm::LLVMContext& context_;
  llvm::Module* module_ = nullptr;
  llvm::GlobalVariable* powersOfTen_ = nullptr;  // 10^0 to 10^18, made by powerOfTen()
  const ir::Program& program_;
  llvm::IRBuilder<> builder_;
  llvm::Type *i1_, *i8_, *i32_, *i64_, *f64_, *void_;
  llvm::PointerType* ptr_;
  llvm::StructType* columnType_;
  llvm::StructType* tableType_;
  std::map<std::string, llvm::FunctionCallee> helpers_;

  std::vector<std::pair<const ast::RecordDecl*, uint32_t>> columns_;
  std::vector<const ast::RecordDecl*> tables_;
  std::vector<StringTestUse> strings_;
  std::vector<const void*> pointers_;
  std::unordered_map<const void*, size_t> pointerIndex_;
  size_t fallbacks_ = 0;

  // Per function.
  llvm::Function* function_ = nullptr;
  llvm::Value* interpreter_ = nullptr;
  llvm::Value* columnsArg_ = nullptr;
  llvm::Value* tablesArg_ = nullptr;
  llvm::Value* stringsArg_ = nullptr;
  llvm::Value* pointersArg_ = nullptr;
  llvm::Value* scratch_ = nullptr;
  llvm::BasicBlock* bail_ = nullptr;
  llvm::BasicBlock* entry_ = nullptr;
  uint32_t scratchUsed_ = 0;
  size_t fallbacksInFunction_ = 0;
  llvm::Value* now_ = nullptr;
  llvm::Value* customerRow_ = nullptr;
  llvm::Value* macroVisits_ = nullptr;  // a stack slot counting loop iterations
  // Macro variables bound to native rows, by slot.
  std::map<uint32_t, Val> loopVariables_;
};

void Codegen::declareHelpers() {
  auto declare = [&](const char* name, llvm::Type* result, std::vector<llvm::Type*> params) {
    helpers_[name] =
        module_->getOrInsertFunction(name, llvm::FunctionType::get(result, params, false));
  };
  declare("crm_jit_enter", ptr_, {ptr_, i64_});
  declare("crm_jit_leave", void_, {ptr_});
  declare("crm_jit_customer_row", i64_, {ptr_});
  declare("crm_jit_now", i64_, {ptr_});
  declare("crm_jit_fallback", void_, {ptr_, ptr_, ptr_});
  declare("crm_jit_declaration", void_, {ptr_, i32_, ptr_});
  declare("crm_jit_declaration_value", ptr_, {ptr_, i32_});
  declare("crm_jit_slot", ptr_, {ptr_, i32_});
  declare("crm_jit_set_row", void_, {ptr_, i32_, ptr_, i64_});
  declare("crm_jit_unbox", i8_, {ptr_, ptr_});
  declare("crm_jit_box", void_, {ptr_, i32_, i64_, ptr_});
  declare("crm_jit_box_row", void_, {ptr_, ptr_, i64_});
  declare("crm_jit_box_slice", void_, {ptr_, ptr_, i64_, i64_});
  declare("crm_jit_copy", void_, {ptr_, ptr_});
  declare("crm_jit_decimal_arith", i8_, {i32_, i64_, i64_, i64_, i64_, ptr_, ptr_});
  declare("crm_jit_decimal_compare", i32_, {i64_, i64_, i64_, i64_});
  declare("crm_jit_unbox_decimal", i8_, {ptr_, ptr_, ptr_});
  declare("crm_jit_box_decimal", void_, {ptr_, i64_, i64_});
  declare("crm_jit_decimal_divide", i8_, {i64_, i64_, i64_, ptr_, ptr_});

  // What LLVM may assume of the helpers that only compute: they neither
  // throw nor touch memory beyond their pointer arguments, so a call whose
  // result goes unused is dropped and one in a loop can be hoisted.
  auto attributes = [&](const char* name, llvm::MemoryEffects memory) {
    auto* function = llvm::cast<llvm::Function>(helpers_.at(name).getCallee());
    function->setDoesNotThrow();
    function->setWillReturn();
    function->setMemoryEffects(memory);
  };
  attributes("crm_jit_customer_row", llvm::MemoryEffects::argMemOnly(llvm::ModRefInfo::Ref));
  attributes("crm_jit_now", llvm::MemoryEffects::argMemOnly(llvm::ModRefInfo::Ref));
  attributes("crm_jit_decimal_arith", llvm::MemoryEffects::argMemOnly(llvm::ModRefInfo::Mod));
  attributes("crm_jit_decimal_compare", llvm::MemoryEffects::none());
  attributes("crm_jit_decimal_divide", llvm::MemoryEffects::argMemOnly(llvm::ModRefInfo::Mod));
}

llvm::Value* Codegen::stackSlot(llvm::Type* type, const char* name) {
  llvm::IRBuilder<> entry(entry_, entry_->begin());
  return entry.CreateAlloca(type, nullptr, name);
}

llvm::Value* Codegen::now() {
  if (now_ == nullptr) {
    llvm::IRBuilder<> entry(entry_, entry_->begin());
    now_ = entry.CreateCall(helper("crm_jit_now"), {interpreter_}, "now");
  }
  return now_;
}

llvm::Value* Codegen::customerRow() {
  if (customerRow_ == nullptr) {
    llvm::IRBuilder<> entry(entry_, entry_->begin());
    customerRow_ = entry.CreateCall(helper("crm_jit_customer_row"), {interpreter_}, "customer");
  }
  return customerRow_;
}

llvm::Value* Codegen::macroVisits() {
  if (macroVisits_ == nullptr) {
    // The store follows the slot, since both go before the block's first
    // instruction in order.
    llvm::IRBuilder<> entry(entry_, entry_->begin());
    macroVisits_ = entry.CreateAlloca(i64_, nullptr, "visits");
    entry.CreateStore(i64(0), macroVisits_);
  }
  return macroVisits_;
}

Val Codegen::decimalArithmetic(int operation, const Val& a, const Val& b) {
  llvm::Value* coefficient = stackSlot(i64_, "coefficient");
  llvm::Value* scale = stackSlot(i64_, "scale");
  llvm::Value* failed = builder_.CreateCall(
      helper("crm_jit_decimal_arith"),
      {llvm::ConstantInt::get(i32_, operation), a.payload, a.scale, b.payload, b.scale,
       coefficient, scale});
  bailIf(builder_.CreateICmpNE(failed, llvm::ConstantInt::get(i8_, 0)));
  return decimal(builder_.CreateLoad(i64_, coefficient), builder_.CreateLoad(i64_, scale));
}

Val Codegen::addDecimals(const Val& a, const Val& b, bool subtract) {
  llvm::BasicBlock* same = block("decimal.same");
  llvm::BasicBlock* rescale = block("decimal.rescale");
  llvm::BasicBlock* done = block("decimal.done");
  builder_.CreateCondBr(builder_.CreateICmpEQ(a.scale, b.scale), same, rescale);

  // Coefficients have at most 18 digits, so their sum fits in 64 bits. The
  // result must have at most 18 digits too, as the runtime requires.
  builder_.SetInsertPoint(same);
  llvm::Value* sum = subtract ? builder_.CreateSub(a.payload, b.payload)
                              : builder_.CreateAdd(a.payload, b.payload);
  const int64_t limit = runtime::kMaxDecimalCoefficient;
  bailIf(builder_.CreateOr(builder_.CreateICmpSGT(sum, i64(limit)),
                           builder_.CreateICmpSLT(sum, i64(-limit))));
  llvm::BasicBlock* sameEnd = builder_.GetInsertBlock();
  builder_.CreateBr(done);

  builder_.SetInsertPoint(rescale);
  Val rescaledValue = decimalArithmetic(subtract ? 1 : 0, a, b);
  llvm::Value* rescaled = rescaledValue.payload;
  llvm::Value* rescaledScale = rescaledValue.scale;
  llvm::BasicBlock* rescaleEnd = builder_.GetInsertBlock();
  builder_.CreateBr(done);

  builder_.SetInsertPoint(done);
  llvm::PHINode* resultCoefficient = builder_.CreatePHI(i64_, 2);
  resultCoefficient->addIncoming(sum, sameEnd);
  resultCoefficient->addIncoming(rescaled, rescaleEnd);
  llvm::PHINode* resultScale = builder_.CreatePHI(i64_, 2);
  resultScale->addIncoming(a.scale, sameEnd);
  resultScale->addIncoming(rescaledScale, rescaleEnd);
  return decimal(resultCoefficient, resultScale);
}

llvm::Value* Codegen::powerOfTen(llvm::Value* exponent) {
  if (powersOfTen_ == nullptr) {
    std::vector<uint64_t> powers;
    uint64_t power = 1;
    for (int i = 0; i <= 18; ++i, power *= 10) powers.push_back(power);
    llvm::Constant* table = llvm::ConstantDataArray::get(context_, powers);
    powersOfTen_ = new llvm::GlobalVariable(*module_, table->getType(), true,
                                            llvm::GlobalValue::PrivateLinkage, table,
                                            "powers_of_ten");
  }
  llvm::Value* address = builder_.CreateInBoundsGEP(
      powersOfTen_->getValueType(), powersOfTen_, {i64(0), exponent});
  return builder_.CreateLoad(i64_, address);
}

Val Codegen::multiplyDecimals(const Val& a, const Val& b) {
  llvm::BasicBlock* narrow = block("multiply.narrow");
  llvm::BasicBlock* strip = block("multiply.strip");
  llvm::BasicBlock* divide = block("multiply.divide");
  llvm::BasicBlock* stripped = block("multiply.stripped");
  llvm::BasicBlock* wide = block("multiply.wide");
  llvm::BasicBlock* done = block("multiply.done");
  llvm::Value* pair =
      builder_.CreateBinaryIntrinsic(llvm::Intrinsic::smul_with_overflow, a.payload, b.payload);
  builder_.CreateCondBr(builder_.CreateExtractValue(pair, 1), wide, narrow);

  // Trailing zeros beyond the larger operand scale are dropped, as the
  // runtime drops them.
  builder_.SetInsertPoint(narrow);
  llvm::Value* kept = builder_.CreateBinaryIntrinsic(llvm::Intrinsic::smax, a.scale, b.scale);
  llvm::Value* productScale = builder_.CreateAdd(a.scale, b.scale);
  llvm::Value* fullProduct = builder_.CreateExtractValue(pair, 0);
  builder_.CreateBr(strip);

  builder_.SetInsertPoint(strip);
  llvm::PHINode* product = builder_.CreatePHI(i64_, 2);
  llvm::PHINode* scale = builder_.CreatePHI(i64_, 2);
  product->addIncoming(fullProduct, narrow);
  scale->addIncoming(productScale, narrow);
  llvm::Value* more = builder_.CreateAnd(
      builder_.CreateICmpSGT(scale, kept),
      builder_.CreateICmpEQ(builder_.CreateSRem(product, i64(10)), i64(0)));
  builder_.CreateCondBr(more, divide, stripped);

  builder_.SetInsertPoint(divide);
  product->addIncoming(builder_.CreateSDiv(product, i64(10)), divide);
  scale->addIncoming(builder_.CreateSub(scale, i64(1)), divide);
  builder_.CreateBr(strip);

  builder_.SetInsertPoint(stripped);
  const int64_t limit = runtime::kMaxDecimalCoefficient;
  bailIf(builder_.CreateOr(
      builder_.CreateOr(builder_.CreateICmpSGT(product, i64(limit)),
                        builder_.CreateICmpSLT(product, i64(-limit))),
      builder_.CreateICmpSGT(scale, i64(runtime::kMaxDecimalScale))));
  llvm::BasicBlock* narrowEnd = builder_.GetInsertBlock();
  builder_.CreateBr(done);

  builder_.SetInsertPoint(wide);
  Val wideValue = decimalArithmetic(2, a, b);
  llvm::Value* wideCoefficient = wideValue.payload;
  llvm::Value* wideScale = wideValue.scale;
  llvm::BasicBlock* wideEnd = builder_.GetInsertBlock();
  builder_.CreateBr(done);

  builder_.SetInsertPoint(done);
  llvm::PHINode* resultCoefficient = builder_.CreatePHI(i64_, 2);
  resultCoefficient->addIncoming(product, narrowEnd);
  resultCoefficient->addIncoming(wideCoefficient, wideEnd);
  llvm::PHINode* resultScale = builder_.CreatePHI(i64_, 2);
  resultScale->addIncoming(scale, narrowEnd);
  resultScale->addIncoming(wideScale, wideEnd);
  return decimal(resultCoefficient, resultScale);
}

llvm::Value* Codegen::compareDecimals(const Val& a, const Val& b) {
  llvm::BasicBlock* near = block("compare.near");
  llvm::BasicBlock* scaled = block("compare.scaled");
  llvm::BasicBlock* far = block("compare.far");
  llvm::BasicBlock* done = block("compare.done");
  // The coefficient with the smaller scale is multiplied up to the other's
  // scale; beyond 18 digits of difference or 64 bits the runtime compares.
  llvm::Value* difference = builder_.CreateSub(a.scale, b.scale);
  llvm::Value* aSmaller = builder_.CreateICmpSLT(difference, i64(0));
  llvm::Value* distance = builder_.CreateSelect(aSmaller, builder_.CreateNeg(difference), difference);
  builder_.CreateCondBr(builder_.CreateICmpULE(distance, i64(18)), near, far);

  builder_.SetInsertPoint(near);
  llvm::Value* smaller = builder_.CreateSelect(aSmaller, a.payload, b.payload);
  llvm::Value* pair = builder_.CreateBinaryIntrinsic(llvm::Intrinsic::smul_with_overflow, smaller,
                                                     powerOfTen(distance));
  builder_.CreateCondBr(builder_.CreateExtractValue(pair, 1), far, scaled);

  builder_.SetInsertPoint(scaled);
  llvm::Value* widened = builder_.CreateExtractValue(pair, 0);
  llvm::Value* x = builder_.CreateSelect(aSmaller, widened, a.payload);
  llvm::Value* y = builder_.CreateSelect(aSmaller, b.payload, widened);
  llvm::Value* greater = builder_.CreateZExt(builder_.CreateICmpSGT(x, y), i32_);
  llvm::Value* nearOrder = builder_.CreateSelect(builder_.CreateICmpSLT(x, y),
                                                 llvm::ConstantInt::get(i32_, -1), greater);
  builder_.CreateBr(done);

  builder_.SetInsertPoint(far);
  llvm::Value* farOrder = builder_.CreateCall(helper("crm_jit_decimal_compare"),
                                              {a.payload, a.scale, b.payload, b.scale});
  builder_.CreateBr(done);

  builder_.SetInsertPoint(done);
  llvm::PHINode* order = builder_.CreatePHI(i32_, 2);
  order->addIncoming(nearOrder, scaled);
  order->addIncoming(farOrder, far);
  return order;
}

uint32_t Codegen::columnId(const ast::RecordDecl* entity, uint32_t field) {
  for (uint32_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].first == entity && columns_[i].second == field) return i;
  }
  columns_.emplace_back(entity, field);
  return static_cast<uint32_t>(columns_.size() - 1);
}

uint32_t Codegen::tableId(const ast::RecordDecl* entity) {
  for (uint32_t i = 0; i < tables_.size(); ++i) {
    if (tables_[i] == entity) return i;
  }
  tables_.push_back(entity);
  return static_cast<uint32_t>(tables_.size() - 1);
}

llvm::Value* Codegen::tablePointer(const ast::RecordDecl* entity) {
  llvm::Value* data = builder_.CreateConstGEP1_64(tableType_, tablesArg_, tableId(entity));
  return builder_.CreateLoad(ptr_, builder_.CreateStructGEP(tableType_, data, 0));
}

llvm::Value* Codegen::pointer(const void* address) {
  auto [it, added] = pointerIndex_.emplace(address, pointers_.size());
  if (added) pointers_.push_back(address);
  size_t index = it->second;
  return builder_.CreateLoad(ptr_, builder_.CreateConstGEP1_64(ptr_, pointersArg_, index));
}

llvm::Value* Codegen::slotPointer() {
  return builder_.CreateConstGEP1_64(llvm::ArrayType::get(i8_, sizeof(Value)), scratch_,
                                     scratchUsed_++);
}

void Codegen::bailIf(llvm::Value* condition) {
  llvm::BasicBlock* next = block("ok");
  builder_.CreateCondBr(condition, bail_, next);
  builder_.SetInsertPoint(next);
}

const runtime::EnumInfo* Codegen::enumInfoFor(const ast::Type* type) const {
  if (type == nullptr || !type->unwrapped()->is(ast::TypeKind::Enum)) return nullptr;
  const std::string& name = type->unwrapped()->decl->name.text;
  for (const auto& info : program_.enums) {
    if (info->name == name) return info.get();
  }
  return nullptr;
}

Val Codegen::scalar(ValueKind kind, llvm::Value* payload, llvm::Value* isNull) {
  Val v;
  v.shape = Shape::Scalar;
  v.kind = kind;
  v.payload = payload;
  v.isNull = isNull != nullptr ? isNull : llvm::ConstantInt::getFalse(context_);
  return v;
}

Val Codegen::decimal(llvm::Value* coefficient, llvm::Value* scale, llvm::Value* isNull) {
  Val v = scalar(ValueKind::Decimal, coefficient, isNull);
  v.scale = scale;
  return v;
}

Val Codegen::asDecimal(const Val& value) {
  if (value.kind == ValueKind::Decimal) return value;
  return decimal(value.payload, i64(0), value.isNull);
}

llvm::Value* Codegen::isTrue(const Val& value) {
  return builder_.CreateICmpNE(value.payload, i64(0));
}

std::string Codegen::compileRoot(const Node& root, size_t number) {
  std::string name = "root" + std::to_string(number);
  auto* type = llvm::FunctionType::get(void_, {ptr_, ptr_, ptr_, ptr_, ptr_, ptr_}, false);
  function_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, *module_);
  interpreter_ = function_->getArg(0);
  columnsArg_ = function_->getArg(1);
  tablesArg_ = function_->getArg(2);
  stringsArg_ = function_->getArg(3);
  pointersArg_ = function_->getArg(4);
  llvm::Value* out = function_->getArg(5);
  entry_ = block("entry");
  llvm::BasicBlock* body = block("body");
  bail_ = block("bail");
  scratchUsed_ = 0;
  fallbacksInFunction_ = 0;
  now_ = nullptr;
  customerRow_ = nullptr;
  macroVisits_ = nullptr;
  loopVariables_.clear();

  builder_.SetInsertPoint(body);
  // The scratch area is created in the entry block once its size is known.
  llvm::Value* scratchHolder = stackSlot(ptr_, "scratch");
  scratch_ = builder_.CreateLoad(ptr_, scratchHolder, "scratch");
  Val result = gen(root);
  if (result.shape == Shape::Boxed) {
    builder_.CreateCall(helper("crm_jit_copy"), {out, result.boxed});
  } else {
    boxInto(result, out);
  }
  // A root that needed no scratch value (no interpreter call, no boxing
  // on the way) skips the scratch area altogether.
  bool scratch = scratchUsed_ > 0;
  if (scratch) builder_.CreateCall(helper("crm_jit_leave"), {interpreter_});
  builder_.CreateRetVoid();

  // Bailing out: the interpreter evaluates the whole root.
  builder_.SetInsertPoint(bail_);
  if (scratch) builder_.CreateCall(helper("crm_jit_leave"), {interpreter_});
  builder_.CreateCall(helper("crm_jit_fallback"), {interpreter_, pointer(&root), out});
  builder_.CreateRetVoid();

  builder_.SetInsertPoint(entry_);
  if (scratch) {
    llvm::Value* area =
        builder_.CreateCall(helper("crm_jit_enter"), {interpreter_, i64(scratchUsed_)});
    builder_.CreateStore(area, scratchHolder);
  }
  builder_.CreateBr(body);
  return name;
}

Val Codegen::genFallback(const Node& node) {
  ++fallbacks_;
  ++fallbacksInFunction_;
  llvm::Value* out = slotPointer();
  builder_.CreateCall(helper("crm_jit_fallback"),
                      {interpreter_,
                       pointer(&node), out});
  Val v;
  v.shape = Shape::Boxed;
  v.boxed = out;
  return v;
}

Val Codegen::unboxScalar(llvm::Value* boxed, ValueKind kind, const runtime::EnumInfo* info) {
  if (kind == ValueKind::Decimal) {
    llvm::Value* coefficientSlot = stackSlot(i64_, "coefficient");
    llvm::Value* scaleSlot = stackSlot(i64_, "scale");
    // A null leaves the slots alone; zero keeps the decimal helpers, which
    // may still see the placeholder, from working on an arbitrary scale.
    builder_.CreateStore(i64(0), coefficientSlot);
    builder_.CreateStore(i64(0), scaleSlot);
    llvm::Value* state =
        builder_.CreateCall(helper("crm_jit_unbox_decimal"), {boxed, coefficientSlot, scaleSlot});
    bailIf(builder_.CreateICmpUGT(state, llvm::ConstantInt::get(i8_, 1)));
    return decimal(builder_.CreateLoad(i64_, coefficientSlot), builder_.CreateLoad(i64_, scaleSlot),
                   builder_.CreateICmpEQ(state, llvm::ConstantInt::get(i8_, 1)));
  }
  llvm::Value* payloadSlot = stackSlot(i64_, "payload");
  llvm::Value* state = builder_.CreateCall(helper("crm_jit_unbox"), {boxed, payloadSlot});
  // An error, or a value of another kind, is the interpreter's business.
  bailIf(builder_.CreateICmpUGT(state, llvm::ConstantInt::get(i8_, 1)));
  llvm::Value* payload = builder_.CreateLoad(i64_, payloadSlot);
  if (kind == ValueKind::Double) payload = builder_.CreateBitCast(payload, f64_);
  Val v = scalar(kind, payload, builder_.CreateICmpEQ(state, llvm::ConstantInt::get(i8_, 1)));
  v.enumInfo = info;
  return v;
}

bool Codegen::givesKind(const Node& node, ValueKind kind) const {
  // A folded constant has the kind of its value, which for an int under a
  // decimal type is not the type's.
  if (node.op == Op::Constant) return node.constant.isNull() || node.constant.is(kind);
  auto own = scalarKind(node.type);
  return own && *own == kind;
}

Val Codegen::genScalarAs(const Node& node, ValueKind kind) {
  if (node.op == Op::Constant && node.constant.isNull()) {
    llvm::Value* zero = kind == ValueKind::Double
                            ? static_cast<llvm::Value*>(llvm::ConstantFP::get(f64_, 0.0))
                            : i64(0);
    Val v = scalar(kind, zero, llvm::ConstantInt::getTrue(context_));
    if (kind == ValueKind::Decimal) v.scale = i64(0);
    return v;
  }
  return genScalar(node);
}

Val Codegen::genScalar(const Node& node) {
  Val v = gen(node);
  if (v.shape == Shape::Scalar) return v;
  auto kind = scalarKind(node.type);
  if (v.shape == Shape::Boxed && kind) return unboxScalar(v.boxed, *kind, enumInfoFor(node.type));
  // A row or a slice where a scalar is expected: only a dyn could do that.
  builder_.CreateBr(bail_);
  builder_.SetInsertPoint(block("unreachable"));
  return scalar(ValueKind::Int, i64(0));
}

llvm::Value* Codegen::box(const Val& value) {
  if (value.shape == Shape::Boxed) return value.boxed;
  llvm::Value* out = slotPointer();
  boxInto(value, out);
  return out;
}

void Codegen::boxInto(const Val& value, llvm::Value* out) {
  switch (value.shape) {
    case Shape::Boxed:
      builder_.CreateCall(helper("crm_jit_copy"), {out, value.boxed});
      return;
    case Shape::Scalar: {
      if (value.kind == ValueKind::Decimal) {
        llvm::BasicBlock* present = block("decimal.present");
        llvm::BasicBlock* absent = block("decimal.null");
        llvm::BasicBlock* done = block("decimal.done");
        builder_.CreateCondBr(value.isNull, absent, present);
        builder_.SetInsertPoint(present);
        builder_.CreateCall(helper("crm_jit_box_decimal"), {out, value.payload, value.scale});
        builder_.CreateBr(done);
        builder_.SetInsertPoint(absent);
        builder_.CreateCall(helper("crm_jit_box"),
                            {out, llvm::ConstantInt::get(i32_, static_cast<int>(ValueKind::Null)),
                             i64(0), llvm::ConstantPointerNull::get(ptr_)});
        builder_.CreateBr(done);
        builder_.SetInsertPoint(done);
        return;
      }
      llvm::Value* payload = value.payload;
      if (value.kind == ValueKind::Double) payload = builder_.CreateBitCast(payload, i64_);
      llvm::Value* kind = builder_.CreateSelect(
          value.isNull, llvm::ConstantInt::get(i32_, static_cast<int>(ValueKind::Null)),
          llvm::ConstantInt::get(i32_, static_cast<int>(value.kind)));
      llvm::Value* info = value.enumInfo != nullptr ? pointer(value.enumInfo)
                                                    : llvm::ConstantPointerNull::get(ptr_);
      builder_.CreateCall(helper("crm_jit_box"), {out, kind, payload, info});
      return;
    }
    case Shape::Row: {
      llvm::BasicBlock* present = block("row.present");
      llvm::BasicBlock* absent = block("row.null");
      llvm::BasicBlock* done = block("row.done");
      builder_.CreateCondBr(value.isNull, absent, present);
      builder_.SetInsertPoint(present);
      builder_.CreateCall(helper("crm_jit_box_row"), {out, tablePointer(value.entity), value.payload});
      builder_.CreateBr(done);
      builder_.SetInsertPoint(absent);
      builder_.CreateCall(helper("crm_jit_box"),
                          {out, llvm::ConstantInt::get(i32_, static_cast<int>(ValueKind::Null)),
                           i64(0), llvm::ConstantPointerNull::get(ptr_)});
      builder_.CreateBr(done);
      builder_.SetInsertPoint(done);
      return;
    }
    case Shape::Slice: {
      builder_.CreateCall(helper("crm_jit_box_slice"),
                          {out, tablePointer(value.entity), value.payload, value.end});
      return;
    }
  }
}

Val Codegen::gen(const Node& node) {
  switch (node.op) {
    case Op::Constant: {
      const Value& c = node.constant;
      switch (c.kind()) {
        case ValueKind::Bool:
        case ValueKind::Int:
        case ValueKind::Date:
        case ValueKind::Timestamp:
        case ValueKind::Duration:
        case ValueKind::Enum: {
          Val v = scalar(c.kind(), i64(c.asInt()));
          v.enumInfo = c.is(ValueKind::Enum) ? c.enumInfo() : nullptr;
          return v;
        }
        case ValueKind::Double:
          return scalar(ValueKind::Double, llvm::ConstantFP::get(f64_, c.asDouble()));
        case ValueKind::Decimal:
          return decimal(i64(c.asDecimal().coefficient), i64(c.asDecimal().scale));
        default: {
          Val v;
          v.shape = Shape::Boxed;
          v.boxed = pointer(&node.constant);
          return v;
        }
      }
    }
    case Op::Now:
      return scalar(ValueKind::Timestamp, now());
    case Op::Customer: {
      const ast::RecordDecl* entity = entityOf(node.type);
      if (entity == nullptr) return genFallback(node);
      llvm::Value* row = customerRow();
      bailIf(builder_.CreateICmpSLT(row, i64(0)));
      Val v;
      v.shape = Shape::Row;
      v.entity = entity;
      v.payload = row;
      v.isNull = llvm::ConstantInt::getFalse(context_);
      return v;
    }
    case Op::Catalog: {
      const ast::RecordDecl* entity = elementEntityOf(node.type);
      if (entity == nullptr) return genFallback(node);
      llvm::Value* data = builder_.CreateConstGEP1_64(tableType_, tablesArg_, tableId(entity));
      llvm::Value* table = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(tableType_, data, 0));
      // Without a loaded catalog the interpreter gives an empty list.
      bailIf(builder_.CreateIsNull(table));
      Val v;
      v.shape = Shape::Slice;
      v.entity = entity;
      v.payload = i64(0);
      v.end = builder_.CreateLoad(i64_, builder_.CreateStructGEP(tableType_, data, 1));
      return v;
    }
    case Op::Variable:
    case Op::External: {
      auto it = loopVariables_.find(node.slot);
      if (node.op == Op::Variable && it != loopVariables_.end()) return it->second;
      Val v;
      v.shape = Shape::Boxed;
      v.boxed = builder_.CreateCall(helper("crm_jit_slot"),
                                    {interpreter_, llvm::ConstantInt::get(i32_, node.slot)});
      if (auto kind = scalarKind(node.type)) {
        return unboxScalar(v.boxed, *kind, enumInfoFor(node.type));
      }
      return v;
    }
    case Op::Declaration: {
      // A scalar is unboxed at once from the interpreter's cache, without
      // a copy into the scratch area.
      if (auto kind = scalarKind(node.type)) {
        llvm::Value* cached = builder_.CreateCall(
            helper("crm_jit_declaration_value"),
            {interpreter_, llvm::ConstantInt::get(i32_, node.index)});
        return unboxScalar(cached, *kind, enumInfoFor(node.type));
      }
      llvm::Value* out = slotPointer();
      builder_.CreateCall(helper("crm_jit_declaration"),
                          {interpreter_, llvm::ConstantInt::get(i32_, node.index), out});
      Val v;
      v.shape = Shape::Boxed;
      v.boxed = out;
      return v;
    }
    case Op::Field:
      return genField(node);
    case Op::Has:
      return genHas(node);
    case Op::Not: {
      Val operand = genScalar(*node.operands[0]);
      if (operand.kind != ValueKind::Bool) return genFallback(node);
      bailIf(operand.isNull);
      return scalar(ValueKind::Bool, builder_.CreateXor(operand.payload, i64(1)));
    }
    case Op::Negate: {
      auto kind = scalarKind(node.type);
      if (!kind || (*kind != ValueKind::Int && *kind != ValueKind::Double)) return genFallback(node);
      Val operand = genScalar(*node.operands[0]);
      bailIf(operand.isNull);
      if (*kind == ValueKind::Double) return scalar(*kind, builder_.CreateFNeg(operand.payload));
      bailIf(builder_.CreateICmpEQ(operand.payload, i64(INT64_MIN)));
      return scalar(*kind, builder_.CreateNeg(operand.payload));
    }
    case Op::And:
      return genLogical(node, true);
    case Op::Or:
      return genLogical(node, false);
    case Op::Conditional:
      return genConditional(node);
    case Op::Coalesce:
      return genCoalesce(node);
    case Op::Equal:
    case Op::NotEqual:
    case Op::Less:
    case Op::LessEqual:
    case Op::Greater:
    case Op::GreaterEqual:
    case Op::Add:
    case Op::Subtract:
    case Op::Multiply:
    case Op::Divide:
    case Op::Modulo:
      return genBinary(node);
    case Op::Within:
      return genWithin(node);
    case Op::In: {
      if (auto v = genStringTest(node)) return *v;
      if (auto v = genConstantIn(node)) return *v;
      return genFallback(node);
    }
    case Op::Macro:
      return genMacro(node);
    case Op::Builtin:
      if (auto v = genStringTest(node)) return *v;
      return genSize(node);
    default:
      return genFallback(node);
  }
}

Val Codegen::genField(const Node& node) {
  const ast::RecordDecl* entity = entityOf(node.operands[0]->type);
  if (entity == nullptr) return genFallback(node);
  const ast::FieldDecl& field = entity->fields[node.index];
  const ast::Type* fieldType = field.type;
  auto kind = scalarKind(fieldType);
  const ast::RecordDecl* target = entityOf(fieldType);
  const ast::RecordDecl* children = elementEntityOf(fieldType);
  bool childList = children != nullptr && !fieldType->isOptional();
  if (!kind && target == nullptr && !childList) return genFallback(node);
  // A slice cannot be null, and `row?.list` of a null row is.
  if (childList && node.nullSafe) return genFallback(node);

  Val row = gen(*node.operands[0]);
  if (row.shape != Shape::Row) {
    // The interpreter reads the field of a value it computed.
    Val v;
    v.shape = Shape::Boxed;
    v.boxed = genFallback(node).boxed;
    if (kind) return unboxScalar(v.boxed, *kind, enumInfoFor(node.type));
    return v;
  }
  llvm::BasicBlock* read = block("field.read");
  llvm::BasicBlock* absent = block("field.absent");
  llvm::BasicBlock* done = block("field.done");
  builder_.CreateCondBr(row.isNull, absent, read);

  // A null row: `?.` gives null, `.` is the interpreter's error.
  builder_.SetInsertPoint(absent);
  if (!node.nullSafe) {
    builder_.CreateBr(bail_);
  } else {
    builder_.CreateBr(done);
  }
  llvm::BasicBlock* absentEnd = absent;

  builder_.SetInsertPoint(read);
  llvm::Value* data = builder_.CreateConstGEP1_64(columnType_, columnsArg_, columnId(entity, node.index));
  llvm::Value* native = builder_.CreateLoad(i64_, builder_.CreateStructGEP(columnType_, data, kNativeField));
  bailIf(builder_.CreateICmpEQ(native, i64(0)));
  llvm::Value* r = row.payload;
  llvm::Value* isNull = llvm::ConstantInt::getFalse(context_);
  if (fieldType->isOptional()) {
    llvm::Value* bits = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(columnType_, data, 2));
    llvm::Value* word = builder_.CreateLoad(
        i64_, builder_.CreateGEP(i64_, bits, builder_.CreateLShr(r, i64(6))));
    isNull = builder_.CreateTrunc(builder_.CreateLShr(word, builder_.CreateAnd(r, i64(63))), i1_);
  }
  Val result;
  if (kind) {
    llvm::Value* payload;
    llvm::Value* scale = nullptr;
    if (*kind == ValueKind::Decimal) {
      // runtime::Decimal: the int64 coefficient, then the int32 scale, in 16 bytes.
      llvm::Value* decimals =
          builder_.CreateLoad(ptr_, builder_.CreateStructGEP(columnType_, data, kDecimalsField));
      llvm::Value* element = builder_.CreateGEP(i8_, decimals, builder_.CreateShl(r, i64(4)));
      payload = builder_.CreateLoad(i64_, element);
      scale = builder_.CreateSExt(
          builder_.CreateLoad(i32_, builder_.CreateConstGEP1_64(i8_, element, 8)), i64_);
    } else if (*kind == ValueKind::Double) {
      llvm::Value* doubles = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(columnType_, data, 1));
      payload = builder_.CreateLoad(f64_, builder_.CreateGEP(f64_, doubles, r));
    } else {
      llvm::Value* ints = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(columnType_, data, 0));
      payload = builder_.CreateLoad(i64_, builder_.CreateGEP(i64_, ints, r));
      if (*kind == ValueKind::Bool) payload = builder_.CreateZExt(builder_.CreateICmpNE(payload, i64(0)), i64_);
    }
    result = scalar(*kind, payload, isNull);
    result.scale = scale;
    result.enumInfo = enumInfoFor(fieldType);
  } else if (target != nullptr) {
    llvm::Value* ints = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(columnType_, data, 0));
    llvm::Value* targetRow = builder_.CreateLoad(i64_, builder_.CreateGEP(i64_, ints, r));
    // A key that matched no row: the interpreter reports the error. A null
    // reference is stored as some row number, so test the null first.
    bailIf(builder_.CreateAnd(builder_.CreateNot(isNull),
                              builder_.CreateICmpEQ(targetRow, i64(runtime::Column::kUnresolved))));
    result.shape = Shape::Row;
    result.entity = target;
    result.payload = targetRow;
    result.isNull = isNull;
  } else {
    llvm::Value* offsets = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(columnType_, data, 3));
    llvm::Value* begin = builder_.CreateZExt(
        builder_.CreateLoad(i32_, builder_.CreateGEP(i32_, offsets, r)), i64_);
    llvm::Value* end = builder_.CreateZExt(
        builder_.CreateLoad(i32_, builder_.CreateGEP(i32_, offsets, builder_.CreateAdd(r, i64(1)))), i64_);
    result.shape = Shape::Slice;
    result.entity = children;
    result.payload = begin;
    result.end = end;
  }
  llvm::BasicBlock* readEnd = builder_.GetInsertBlock();
  builder_.CreateBr(done);
  builder_.SetInsertPoint(done);
  if (!node.nullSafe) return result;
  // Merge the null of `?.` with the read value.
  auto merge = [&](llvm::Value* readValue, llvm::Value* nullValue) {
    llvm::PHINode* phi = builder_.CreatePHI(readValue->getType(), 2);
    phi->addIncoming(readValue, readEnd);
    phi->addIncoming(nullValue, absentEnd);
    return phi;
  };
  if (result.shape == Shape::Slice) {
    // A null slice cannot be native; `?.` on a row reads a required list.
    result.payload = merge(result.payload, i64(0));
    result.end = merge(result.end, i64(0));
    return result;
  }
  llvm::Value* zero = result.payload->getType()->isDoubleTy()
                          ? static_cast<llvm::Value*>(llvm::ConstantFP::get(f64_, 0.0))
                          : i64(0);
  result.payload = merge(result.payload, zero);
  if (result.scale != nullptr) result.scale = merge(result.scale, i64(0));
  result.isNull = merge(result.isNull, llvm::ConstantInt::getTrue(context_));
  return result;
}

Val Codegen::genHas(const Node& node) {
  const Node& access = *node.operands[0];
  const ast::RecordDecl* entity =
      access.op == Op::Field ? entityOf(access.operands[0]->type) : nullptr;
  if (entity == nullptr) return genFallback(node);
  Val row = gen(*access.operands[0]);
  if (row.shape != Shape::Row) return genFallback(node);
  const ast::FieldDecl& field = entity->fields[access.index];
  llvm::Value* data =
      builder_.CreateConstGEP1_64(columnType_, columnsArg_, columnId(entity, access.index));
  llvm::Value* native = builder_.CreateLoad(i64_, builder_.CreateStructGEP(columnType_, data, kNativeField));
  // The interpreter decides the presence of a field that no source fills.
  bailIf(builder_.CreateAnd(builder_.CreateNot(row.isNull), builder_.CreateICmpEQ(native, i64(0))));
  llvm::Value* present = builder_.CreateNot(row.isNull);
  if (field.type != nullptr && field.type->isOptional()) {
    // Reads the bit only for a present row; a null row reads row 0's.
    llvm::Value* r = builder_.CreateSelect(row.isNull, i64(0), row.payload);
    llvm::BasicBlock* check = block("has.check");
    llvm::BasicBlock* done = block("has.done");
    llvm::BasicBlock* before = builder_.GetInsertBlock();
    builder_.CreateCondBr(present, check, done);
    builder_.SetInsertPoint(check);
    llvm::Value* bits = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(columnType_, data, 2));
    llvm::Value* word = builder_.CreateLoad(
        i64_, builder_.CreateGEP(i64_, bits, builder_.CreateLShr(r, i64(6))));
    llvm::Value* isNull =
        builder_.CreateTrunc(builder_.CreateLShr(word, builder_.CreateAnd(r, i64(63))), i1_);
    llvm::Value* notNull = builder_.CreateNot(isNull);
    llvm::BasicBlock* checkEnd = builder_.GetInsertBlock();
    builder_.CreateBr(done);
    builder_.SetInsertPoint(done);
    llvm::PHINode* phi = builder_.CreatePHI(i1_, 2);
    phi->addIncoming(llvm::ConstantInt::getFalse(context_), before);
    phi->addIncoming(notNull, checkEnd);
    present = phi;
  }
  return scalar(ValueKind::Bool, builder_.CreateZExt(present, i64_));
}

Val Codegen::genBinary(const Node& node) {
  if (node.op == Op::Equal || node.op == Op::NotEqual) {
    if (auto v = genStringTest(node)) return *v;
  }
  auto leftKind = scalarKind(node.operands[0]->type);
  auto rightKind = scalarKind(node.operands[1]->type);
  // `x == null` and `x != null` test the null flag.
  bool leftNull = node.operands[0]->op == Op::Constant && node.operands[0]->constant.isNull();
  bool rightNull = node.operands[1]->op == Op::Constant && node.operands[1]->constant.isNull();
  if ((node.op == Op::Equal || node.op == Op::NotEqual) && (leftNull != rightNull) &&
      (leftNull ? rightKind : leftKind)) {
    Val operand = genScalar(*node.operands[leftNull ? 1 : 0]);
    llvm::Value* isNull = operand.isNull;
    if (node.op == Op::NotEqual) isNull = builder_.CreateNot(isNull);
    return scalar(ValueKind::Bool, builder_.CreateZExt(isNull, i64_));
  }
  if (leftKind && rightKind &&
      (*leftKind == ValueKind::Decimal || *rightKind == ValueKind::Decimal) &&
      (*leftKind == ValueKind::Decimal || *leftKind == ValueKind::Int) &&
      (*rightKind == ValueKind::Decimal || *rightKind == ValueKind::Int)) {
    return genDecimalBinary(node);
  }
  if (leftKind && rightKind && (node.op == Op::Add || node.op == Op::Subtract)) {
    if (auto v = genTimeArithmetic(node, *leftKind, *rightKind)) return *v;
  }
  if (!leftKind || !rightKind || *leftKind != *rightKind) return genFallback(node);
  ValueKind kind = *leftKind;
  Op op = node.op;
  bool comparison = op == Op::Equal || op == Op::NotEqual || op == Op::Less ||
                    op == Op::LessEqual || op == Op::Greater || op == Op::GreaterEqual;
  bool arithmetic = !comparison;
  if (arithmetic && kind != ValueKind::Int && kind != ValueKind::Double) return genFallback(node);
  if (arithmetic && kind == ValueKind::Double && op == Op::Modulo) return genFallback(node);

  Val a = genScalar(*node.operands[0]);
  Val b = genScalar(*node.operands[1]);
  if (op == Op::Equal || op == Op::NotEqual) {
    // null equals only null, and a present value compares as itself.
    llvm::Value* same = kind == ValueKind::Double ? builder_.CreateFCmpOEQ(a.payload, b.payload)
                                                  : builder_.CreateICmpEQ(a.payload, b.payload);
    llvm::Value* bothNull = builder_.CreateAnd(a.isNull, b.isNull);
    llvm::Value* neitherNull = builder_.CreateNot(builder_.CreateOr(a.isNull, b.isNull));
    llvm::Value* equal = builder_.CreateOr(bothNull, builder_.CreateAnd(neitherNull, same));
    if (op == Op::NotEqual) equal = builder_.CreateNot(equal);
    return scalar(ValueKind::Bool, builder_.CreateZExt(equal, i64_));
  }
  bailIf(builder_.CreateOr(a.isNull, b.isNull));
  if (comparison) {
    llvm::Value* result = nullptr;
    if (kind == ValueKind::Double) {
      // Ordered comparisons are false when a NaN takes part, as in the runtime.
      switch (op) {
        case Op::Less: result = builder_.CreateFCmpOLT(a.payload, b.payload); break;
        case Op::LessEqual: result = builder_.CreateFCmpOLE(a.payload, b.payload); break;
        case Op::Greater: result = builder_.CreateFCmpOGT(a.payload, b.payload); break;
        default: result = builder_.CreateFCmpOGE(a.payload, b.payload); break;
      }
    } else {
      switch (op) {
        case Op::Less: result = builder_.CreateICmpSLT(a.payload, b.payload); break;
        case Op::LessEqual: result = builder_.CreateICmpSLE(a.payload, b.payload); break;
        case Op::Greater: result = builder_.CreateICmpSGT(a.payload, b.payload); break;
        default: result = builder_.CreateICmpSGE(a.payload, b.payload); break;
      }
    }
    return scalar(ValueKind::Bool, builder_.CreateZExt(result, i64_));
  }
  if (kind == ValueKind::Double) {
    switch (op) {
      case Op::Add: return scalar(kind, builder_.CreateFAdd(a.payload, b.payload));
      case Op::Subtract: return scalar(kind, builder_.CreateFSub(a.payload, b.payload));
      case Op::Multiply: return scalar(kind, builder_.CreateFMul(a.payload, b.payload));
      default: return scalar(kind, builder_.CreateFDiv(a.payload, b.payload));
    }
  }
  // Overflow and division by zero leave the error to the interpreter.
  llvm::Intrinsic::ID checked = llvm::Intrinsic::not_intrinsic;
  switch (op) {
    case Op::Add: checked = llvm::Intrinsic::sadd_with_overflow; break;
    case Op::Subtract: checked = llvm::Intrinsic::ssub_with_overflow; break;
    case Op::Multiply: checked = llvm::Intrinsic::smul_with_overflow; break;
    default: break;
  }
  if (checked != llvm::Intrinsic::not_intrinsic) {
    llvm::Value* pair = builder_.CreateBinaryIntrinsic(checked, a.payload, b.payload);
    bailIf(builder_.CreateExtractValue(pair, 1));
    return scalar(kind, builder_.CreateExtractValue(pair, 0));
  }
  bailIf(builder_.CreateICmpEQ(b.payload, i64(0)));
  bailIf(builder_.CreateAnd(builder_.CreateICmpEQ(a.payload, i64(INT64_MIN)),
                            builder_.CreateICmpEQ(b.payload, i64(-1))));
  if (op == Op::Divide) return scalar(kind, builder_.CreateSDiv(a.payload, b.payload));
  return scalar(kind, builder_.CreateSRem(a.payload, b.payload));
}

std::optional<Val> Codegen::genStringTest(const Node& node) {
  // The forms: `s == "a"`, `s != "a"`, `s in ["a", "b"]`, `s.startsWith("a")`,
  // `s.endsWith("a")` and `s.contains("a")`, where `s` is a string field of
  // a native row, or `field ?? "text"`.
  const Node* subject = nullptr;
  const Node* constant = nullptr;
  StringTest test = StringTest::Equal;
  bool negate = false;
  switch (node.op) {
    case Op::Equal:
    case Op::NotEqual:
      subject = node.operands[0].get();
      constant = node.operands[1].get();
      if (subject->op == Op::Constant) std::swap(subject, constant);
      negate = node.op == Op::NotEqual;
      break;
    case Op::In:
      subject = node.operands[0].get();
      constant = node.operands[1].get();
      break;
    case Op::Builtin:
      if (!node.overloads.empty() || node.nullSafe || node.operands.size() != 2) return std::nullopt;
      if (node.builtin == stdlib::Builtin::StringStartsWith) {
        test = StringTest::StartsWith;
      } else if (node.builtin == stdlib::Builtin::StringEndsWith) {
        test = StringTest::EndsWith;
      } else if (node.builtin == stdlib::Builtin::StringContains) {
        test = StringTest::Contains;
      } else {
        return std::nullopt;
      }
      subject = node.operands[0].get();
      constant = node.operands[1].get();
      break;
    default:
      return std::nullopt;
  }
  if (constant->op != Op::Constant) return std::nullopt;
  std::vector<std::string> texts;
  if (constant->constant.is(ValueKind::String) && node.op != Op::In) {
    texts.emplace_back(constant->constant.asString());
  } else if (constant->constant.is(ValueKind::List) && node.op == Op::In) {
    for (size_t i = 0; i < constant->constant.listSize(); ++i) {
      Value item = constant->constant.listAt(i);
      if (!item.is(ValueKind::String)) return std::nullopt;
      texts.emplace_back(item.asString());
    }
  } else {
    return std::nullopt;
  }
  // `field ?? "text"` tests the text where the field is null.
  const Node* field = subject;
  std::optional<std::string> whenNull;
  if (subject->op == Op::Coalesce && subject->operands[1]->op == Op::Constant &&
      subject->operands[1]->constant.is(ValueKind::String)) {
    field = subject->operands[0].get();
    whenNull = std::string(subject->operands[1]->constant.asString());
  }
  if (field->op != Op::Field) return std::nullopt;
  const ast::RecordDecl* entity = entityOf(field->operands[0]->type);
  if (entity == nullptr) return std::nullopt;
  const ast::FieldDecl& declared = entity->fields[field->index];
  if (declared.type == nullptr || !declared.type->unwrapped()->is(ast::TypeKind::String)) {
    return std::nullopt;
  }
  Val row = gen(*field->operands[0]);
  if (row.shape != Shape::Row) return genFallback(node);
  // A null row (through `?.`) is the interpreter's case.
  bailIf(row.isNull);
  uint32_t column = columnId(entity, field->index);
  llvm::Value* data = builder_.CreateConstGEP1_64(columnType_, columnsArg_, column);
  llvm::Value* native =
      builder_.CreateLoad(i64_, builder_.CreateStructGEP(columnType_, data, kNativeField));
  bailIf(builder_.CreateICmpEQ(native, i64(0)));
  llvm::Value* r = row.payload;
  llvm::Value* isNull = llvm::ConstantInt::getFalse(context_);
  if (declared.type->isOptional()) {
    llvm::Value* bits = builder_.CreateLoad(ptr_, builder_.CreateStructGEP(columnType_, data, 2));
    llvm::Value* word = builder_.CreateLoad(
        i64_, builder_.CreateGEP(i64_, bits, builder_.CreateLShr(r, i64(6))));
    isNull = builder_.CreateTrunc(builder_.CreateLShr(word, builder_.CreateAnd(r, i64(63))), i1_);
  }
  // The test's result for every string of the column's pool, computed when
  // the code is bound to the store; zero when it could not be.
  strings_.push_back({column, test, texts});
  llvm::Value* table = builder_.CreateIntToPtr(
      builder_.CreateLoad(i64_,
                          builder_.CreateConstGEP1_64(i64_, stringsArg_, strings_.size() - 1)),
      ptr_);
  bailIf(builder_.CreateIsNull(table));
  llvm::Value* ids =
      builder_.CreateLoad(ptr_, builder_.CreateStructGEP(columnType_, data, kStringsField));
  // A null row's id slot contains some id, which the select below ignores.
  llvm::Value* id = builder_.CreateZExt(
      builder_.CreateLoad(i32_, builder_.CreateGEP(i32_, ids, r)), i64_);
  llvm::Value* matches = builder_.CreateICmpNE(
      builder_.CreateLoad(i8_, builder_.CreateGEP(i8_, table, id)), llvm::ConstantInt::get(i8_, 0));
  if (declared.type->isOptional()) {
    llvm::Value* nullResult = nullptr;
    if (whenNull) {
      nullResult = llvm::ConstantInt::getBool(context_, stringTestHolds(test, *whenNull, texts));
    } else if (test == StringTest::Equal) {
      // null equals no text and is in no list.
      nullResult = llvm::ConstantInt::getFalse(context_);
    } else {
      // A method called on null is the interpreter's error.
      bailIf(isNull);
      nullResult = llvm::ConstantInt::getFalse(context_);
    }
    matches = builder_.CreateSelect(isNull, nullResult, matches);
  }
  if (negate) matches = builder_.CreateNot(matches);
  return scalar(ValueKind::Bool, builder_.CreateZExt(matches, i64_));
}

std::optional<Val> Codegen::genConstantIn(const Node& node) {
  const Node& list = *node.operands[1];
  auto kind = scalarKind(node.operands[0]->type);
  if (!kind || *kind == ValueKind::Decimal || list.op != Op::Constant ||
      !list.constant.is(ValueKind::List)) {
    return std::nullopt;
  }
  for (size_t i = 0; i < list.constant.listSize(); ++i) {
    if (!list.constant.listAt(i).is(*kind)) return std::nullopt;
  }
  Val element = genScalar(*node.operands[0]);
  bailIf(element.isNull);
  llvm::Value* matches = llvm::ConstantInt::getFalse(context_);
  for (size_t i = 0; i < list.constant.listSize(); ++i) {
    Value item = list.constant.listAt(i);
    llvm::Value* same =
        *kind == ValueKind::Double
            ? builder_.CreateFCmpOEQ(element.payload, llvm::ConstantFP::get(f64_, item.asDouble()))
            : builder_.CreateICmpEQ(element.payload, i64(item.asInt()));
    matches = builder_.CreateOr(matches, same);
  }
  return scalar(ValueKind::Bool, builder_.CreateZExt(matches, i64_));
}

std::optional<Val> Codegen::genTimeArithmetic(const Node& node, ValueKind left,
                                              ValueKind right) {
  bool add = node.op == Op::Add;
  ValueKind result;
  if (left == ValueKind::Timestamp && right == ValueKind::Duration) {
    result = ValueKind::Timestamp;
  } else if (add && left == ValueKind::Duration && right == ValueKind::Timestamp) {
    result = ValueKind::Timestamp;
  } else if (!add && left == ValueKind::Timestamp && right == ValueKind::Timestamp) {
    result = ValueKind::Duration;
  } else if (left == ValueKind::Duration && right == ValueKind::Duration) {
    result = ValueKind::Duration;
  } else {
    return std::nullopt;
  }
  Val a = genScalar(*node.operands[0]);
  Val b = genScalar(*node.operands[1]);
  bailIf(builder_.CreateOr(a.isNull, b.isNull));
  llvm::Value* pair = builder_.CreateBinaryIntrinsic(
      add ? llvm::Intrinsic::sadd_with_overflow : llvm::Intrinsic::ssub_with_overflow, a.payload,
      b.payload);
  bailIf(builder_.CreateExtractValue(pair, 1));
  llvm::Value* value = builder_.CreateExtractValue(pair, 0);
  if (result == ValueKind::Timestamp) {
    // Years 0001 to 9999, as the runtime checks; outside is its error.
    bailIf(builder_.CreateOr(builder_.CreateICmpSLT(value, i64(runtime::kMinTimestamp)),
                             builder_.CreateICmpSGT(value, i64(runtime::kMaxTimestamp))));
  }
  return scalar(result, value);
}

// Decimals, with an int operand widened exactly. Division and modulo,
// which round, stay with the interpreter.
Val Codegen::genDecimalBinary(const Node& node) {
  Op op = node.op;
  if (op == Op::Divide || op == Op::Modulo) return genFallback(node);
  Val a = asDecimal(genScalar(*node.operands[0]));
  Val b = asDecimal(genScalar(*node.operands[1]));
  if (op == Op::Add || op == Op::Subtract) {
    bailIf(builder_.CreateOr(a.isNull, b.isNull));
    return addDecimals(a, b, op == Op::Subtract);
  }
  if (op == Op::Multiply) {
    bailIf(builder_.CreateOr(a.isNull, b.isNull));
    return multiplyDecimals(a, b);
  }
  llvm::Value* order = compareDecimals(a, b);
  llvm::Value* zero = llvm::ConstantInt::get(i32_, 0);
  if (op == Op::Equal || op == Op::NotEqual) {
    llvm::Value* same = builder_.CreateICmpEQ(order, zero);
    llvm::Value* bothNull = builder_.CreateAnd(a.isNull, b.isNull);
    llvm::Value* neitherNull = builder_.CreateNot(builder_.CreateOr(a.isNull, b.isNull));
    llvm::Value* equal = builder_.CreateOr(bothNull, builder_.CreateAnd(neitherNull, same));
    if (op == Op::NotEqual) equal = builder_.CreateNot(equal);
    return scalar(ValueKind::Bool, builder_.CreateZExt(equal, i64_));
  }
  bailIf(builder_.CreateOr(a.isNull, b.isNull));
  llvm::Value* result = nullptr;
  switch (op) {
    case Op::Less: result = builder_.CreateICmpSLT(order, zero); break;
    case Op::LessEqual: result = builder_.CreateICmpSLE(order, zero); break;
    case Op::Greater: result = builder_.CreateICmpSGT(order, zero); break;
    default: result = builder_.CreateICmpSGE(order, zero); break;
  }
  return scalar(ValueKind::Bool, builder_.CreateZExt(result, i64_));
}

Val Codegen::genWithin(const Node& node) {
  auto timeKind = scalarKind(node.operands[0]->type);
  if (!timeKind || *timeKind != ValueKind::Timestamp) return genFallback(node);
  Val time = genScalar(*node.operands[0]);
  Val window = genScalar(*node.operands[1]);
  bailIf(builder_.CreateOr(time.isNull, window.isNull));
  // A negative window is an error, and an underflowing start is the
  // interpreter's to clamp.
  bailIf(builder_.CreateICmpSLT(window.payload, i64(0)));
  llvm::Value* now = this->now();
  llvm::Value* pair =
      builder_.CreateBinaryIntrinsic(llvm::Intrinsic::ssub_with_overflow, now, window.payload);
  bailIf(builder_.CreateExtractValue(pair, 1));
  llvm::Value* start = builder_.CreateExtractValue(pair, 0);
  llvm::Value* inside = builder_.CreateAnd(builder_.CreateICmpSLE(start, time.payload),
                                           builder_.CreateICmpSLE(time.payload, now));
  return scalar(ValueKind::Bool, builder_.CreateZExt(inside, i64_));
}

Val Codegen::genLogical(const Node& node, bool isAnd) {
  // Both sides native and present: the deciding value wins. Anything else
  // (an error, a null) goes to the interpreter, which absorbs errors.
  llvm::BasicBlock* done = block(isAnd ? "and.done" : "or.done");
  Val left = genScalar(*node.operands[0]);
  bailIf(left.isNull);
  llvm::Value* leftTrue = isTrue(left);
  llvm::Value* decided = isAnd ? builder_.CreateNot(leftTrue) : leftTrue;
  llvm::BasicBlock* leftEnd = builder_.GetInsertBlock();
  llvm::BasicBlock* right = block(isAnd ? "and.right" : "or.right");
  builder_.CreateCondBr(decided, done, right);
  builder_.SetInsertPoint(right);
  Val rightValue = genScalar(*node.operands[1]);
  bailIf(rightValue.isNull);
  llvm::Value* rightResult = rightValue.payload;
  llvm::BasicBlock* rightEnd = builder_.GetInsertBlock();
  builder_.CreateBr(done);
  builder_.SetInsertPoint(done);
  llvm::PHINode* phi = builder_.CreatePHI(i64_, 2);
  phi->addIncoming(i64(isAnd ? 0 : 1), leftEnd);
  phi->addIncoming(rightResult, rightEnd);
  return scalar(ValueKind::Bool, phi);
}

Val Codegen::genConditional(const Node& node) {
  Val condition = genScalar(*node.operands[0]);
  bailIf(condition.isNull);
  llvm::BasicBlock* thenBlock = block("if.then");
  llvm::BasicBlock* elseBlock = block("if.else");
  llvm::BasicBlock* done = block("if.done");
  builder_.CreateCondBr(isTrue(condition), thenBlock, elseBlock);
  auto kind = scalarKind(node.type);
  bool asScalar = kind.has_value();
  // Branches of another kind (an int where a decimal is expected) keep
  // their kind in the interpreter, so the interpreter evaluates them.
  if (asScalar && (!givesKind(*node.operands[1], *kind) || !givesKind(*node.operands[2], *kind))) {
    asScalar = false;
  }
  auto branch = [&](const Node& operand) -> std::pair<Val, llvm::BasicBlock*> {
    Val v = asScalar ? genScalarAs(operand, *kind) : gen(operand);
    if (!asScalar) {
      Val boxed;
      boxed.shape = Shape::Boxed;
      boxed.boxed = box(v);
      v = boxed;
    }
    llvm::BasicBlock* end = builder_.GetInsertBlock();
    builder_.CreateBr(done);
    return {v, end};
  };
  builder_.SetInsertPoint(thenBlock);
  auto [thenValue, thenEnd] = branch(*node.operands[1]);
  builder_.SetInsertPoint(elseBlock);
  auto [elseValue, elseEnd] = branch(*node.operands[2]);
  builder_.SetInsertPoint(done);
  auto merge = [&](llvm::Value* x, llvm::Value* y) {
    llvm::PHINode* phi = builder_.CreatePHI(x->getType(), 2);
    phi->addIncoming(x, thenEnd);
    phi->addIncoming(y, elseEnd);
    return phi;
  };
  if (!asScalar) {
    Val v;
    v.shape = Shape::Boxed;
    v.boxed = merge(thenValue.boxed, elseValue.boxed);
    return v;
  }
  Val v = scalar(*kind, merge(thenValue.payload, elseValue.payload),
                 merge(thenValue.isNull, elseValue.isNull));
  if (*kind == ValueKind::Decimal) v.scale = merge(thenValue.scale, elseValue.scale);
  v.enumInfo = thenValue.enumInfo != nullptr ? thenValue.enumInfo : elseValue.enumInfo;
  return v;
}

Val Codegen::genCoalesce(const Node& node) {
  auto kind = scalarKind(node.type);
  if (!kind || !givesKind(*node.operands[0], *kind) || !givesKind(*node.operands[1], *kind)) {
    return genFallback(node);
  }
  Val first = genScalarAs(*node.operands[0], *kind);
  llvm::BasicBlock* firstEnd = builder_.GetInsertBlock();
  llvm::BasicBlock* second = block("coalesce.second");
  llvm::BasicBlock* done = block("coalesce.done");
  builder_.CreateCondBr(first.isNull, second, done);
  builder_.SetInsertPoint(second);
  Val other = genScalarAs(*node.operands[1], *kind);
  llvm::BasicBlock* secondEnd = builder_.GetInsertBlock();
  builder_.CreateBr(done);
  builder_.SetInsertPoint(done);
  llvm::PHINode* payload = builder_.CreatePHI(first.payload->getType(), 2);
  payload->addIncoming(first.payload, firstEnd);
  payload->addIncoming(other.payload, secondEnd);
  llvm::PHINode* isNull = builder_.CreatePHI(i1_, 2);
  isNull->addIncoming(llvm::ConstantInt::getFalse(context_), firstEnd);
  isNull->addIncoming(other.isNull, secondEnd);
  Val v = scalar(*kind, payload, isNull);
  v.enumInfo = first.enumInfo != nullptr ? first.enumInfo : other.enumInfo;
  if (*kind == ValueKind::Decimal) {
    llvm::PHINode* scale = builder_.CreatePHI(i64_, 2);
    scale->addIncoming(first.scale, firstEnd);
    scale->addIncoming(other.scale, secondEnd);
    v.scale = scale;
  }
  return v;
}

void Codegen::countVisits(llvm::Value* count) {
  llvm::Value* visits = macroVisits();
  builder_.CreateStore(builder_.CreateAdd(builder_.CreateLoad(i64_, visits), count), visits);
}

void Codegen::emitLoop(const Val& slice, const LoopBody& body) {
  // The interpreter's `filter` visits every element, and the macro after it
  // then visits the kept ones, so a fused loop counts the whole slice first
  // and each kept element again.
  if (body.filter != nullptr) countVisits(builder_.CreateSub(slice.end, slice.payload));
  llvm::Value* index = stackSlot(i64_, "i");
  builder_.CreateStore(slice.payload, index);
  llvm::BasicBlock* header = block("loop.header");
  llvm::BasicBlock* start = block("loop.body");
  llvm::BasicBlock* latch = block("loop.latch");
  llvm::BasicBlock* exit = block("loop.exit");
  builder_.CreateBr(header);
  builder_.SetInsertPoint(header);
  llvm::Value* i = builder_.CreateLoad(i64_, index);
  builder_.CreateCondBr(builder_.CreateICmpSLT(i, slice.end), start, exit);

  builder_.SetInsertPoint(start);
  if (body.filter == nullptr) countVisits(i64(1));
  Val row;
  row.shape = Shape::Row;
  row.entity = slice.entity;
  row.payload = i;
  row.isNull = llvm::ConstantInt::getFalse(context_);
  size_t fallbacksBefore = fallbacksInFunction_;
  llvm::BasicBlock* bodyStart = start;
  if (body.filter != nullptr) {
    loopVariables_[body.filterSlot] = row;
    Val keep = genScalar(*body.filter);
    bailIf(keep.isNull);
    loopVariables_.erase(body.filterSlot);
    llvm::BasicBlock* kept = block("loop.kept");
    builder_.CreateCondBr(isTrue(keep), kept, latch);
    builder_.SetInsertPoint(kept);
    countVisits(i64(1));
  }
  loopVariables_[body.slot] = row;
  bool more = body.visit(exit);
  loopVariables_.erase(body.slot);
  if (more) builder_.CreateBr(latch);

  // The interpreter, called on a node inside the loop, reads the variables
  // from its frame: set them at the top of each iteration.
  if (fallbacksInFunction_ != fallbacksBefore) {
    llvm::IRBuilder<> top(bodyStart, bodyStart->getFirstInsertionPt());
    llvm::Value* data = top.CreateConstGEP1_64(tableType_, tablesArg_, tableId(slice.entity));
    llvm::Value* table = top.CreateLoad(ptr_, top.CreateStructGEP(tableType_, data, 0));
    for (uint32_t slot : {body.slot, body.filterSlot}) {
      if (slot == body.filterSlot && body.filter == nullptr) continue;
      top.CreateCall(helper("crm_jit_set_row"),
                     {interpreter_, llvm::ConstantInt::get(i32_, slot), table, i});
    }
  }

  builder_.SetInsertPoint(latch);
  builder_.CreateStore(builder_.CreateAdd(builder_.CreateLoad(i64_, index), i64(1)), index);
  builder_.CreateBr(header);
  builder_.SetInsertPoint(exit);
  // Checked once per loop, so that the iterations only add: a loop runs at
  // most one list's length past the limit, and an inner loop's exit checks
  // every turn of the outer one.
  bailIf(builder_.CreateICmpUGT(builder_.CreateLoad(i64_, macroVisits()),
                                i64(static_cast<int64_t>(runtime::kMaxMacroVisits))));
}

std::optional<Val> Codegen::macroSource(const Node& node, const Node*& filter,
                                        uint32_t& filterSlot) {
  const Node* source = node.operands[0].get();
  filter = nullptr;
  filterSlot = 0;
  if (source->op == Op::Macro && source->macro == MacroKind::Filter) {
    filter = source->operands[1].get();
    filterSlot = source->slot;
    source = source->operands[0].get();
  }
  if (elementEntityOf(source->type) == nullptr) return std::nullopt;
  Val slice = gen(*source);
  if (slice.shape != Shape::Slice) return std::nullopt;
  return slice;
}

// min, max, latest and earliest: the first element with the least or
// greatest key wins, null keys are skipped, and a NaN key never replaces
// the best one, as in the interpreter.
Val Codegen::genExtreme(const Node& node) {
  MacroKind kind = node.macro;
  bool greatest = kind == MacroKind::Max || kind == MacroKind::Latest;
  bool returnsElement = kind == MacroKind::Latest || kind == MacroKind::Earliest;
  const Node& keyNode = *node.operands[1];
  auto keyKind = scalarKind(keyNode.type);
  if (!keyKind || *keyKind == ValueKind::Decimal) return genFallback(node);
  const ast::RecordDecl* entity = elementEntityOf(node.operands[0]->type);
  if (returnsElement && entity == nullptr) return genFallback(node);
  const Node* filter = nullptr;
  uint32_t filterSlot = 0;
  auto slice = macroSource(node, filter, filterSlot);
  if (!slice) return genFallback(node);

  llvm::Type* keyType = *keyKind == ValueKind::Double ? f64_ : i64_;
  llvm::Value* best = stackSlot(keyType, "best");
  llvm::Value* bestRow = stackSlot(i64_, "best.row");
  llvm::Value* found = stackSlot(i1_, "found");
  builder_.CreateStore(llvm::Constant::getNullValue(keyType), best);
  builder_.CreateStore(i64(0), bestRow);
  builder_.CreateStore(llvm::ConstantInt::getFalse(context_), found);
  LoopBody body;
  body.filter = filter;
  body.filterSlot = filterSlot;
  body.slot = node.slot;
  body.visit = [&](llvm::BasicBlock*) {
    Val key = genScalar(keyNode);
    llvm::Value* current = builder_.CreateLoad(keyType, best);
    llvm::Value* better =
        keyType == f64_
            ? (greatest ? builder_.CreateFCmpOGT(key.payload, current)
                        : builder_.CreateFCmpOLT(key.payload, current))
            : (greatest ? builder_.CreateICmpSGT(key.payload, current)
                        : builder_.CreateICmpSLT(key.payload, current));
    llvm::Value* first = builder_.CreateNot(builder_.CreateLoad(i1_, found));
    llvm::Value* take = builder_.CreateAnd(builder_.CreateNot(key.isNull),
                                           builder_.CreateOr(first, better));
    llvm::BasicBlock* taken = block("extreme.take");
    llvm::BasicBlock* next = block("extreme.next");
    builder_.CreateCondBr(take, taken, next);
    builder_.SetInsertPoint(taken);
    builder_.CreateStore(key.payload, best);
    builder_.CreateStore(loopVariables_.at(node.slot).payload, bestRow);
    builder_.CreateStore(llvm::ConstantInt::getTrue(context_), found);
    builder_.CreateBr(next);
    builder_.SetInsertPoint(next);
    return true;
  };
  emitLoop(*slice, body);
  llvm::Value* none = builder_.CreateNot(builder_.CreateLoad(i1_, found));
  if (returnsElement) {
    Val row;
    row.shape = Shape::Row;
    row.entity = entity;
    row.payload = builder_.CreateLoad(i64_, bestRow);
    row.isNull = none;
    return row;
  }
  Val v = scalar(*keyKind, builder_.CreateLoad(keyType, best), none);
  v.enumInfo = enumInfoFor(keyNode.type);
  return v;
}

Val Codegen::genMacro(const Node& node) {
  MacroKind kind = node.macro;
  if (kind == MacroKind::Min || kind == MacroKind::Max || kind == MacroKind::Latest ||
      kind == MacroKind::Earliest) {
    return genExtreme(node);
  }
  bool supported = kind == MacroKind::All || kind == MacroKind::Exists ||
                   kind == MacroKind::ExistsOne || kind == MacroKind::Count ||
                   kind == MacroKind::Sum || kind == MacroKind::Avg;
  if (!supported) return genFallback(node);
  std::optional<ValueKind> sumKind;
  if (kind == MacroKind::Avg) {
    // Averages of doubles and decimals; the interpreter sums ints in long
    // double, which the generated code does not.
    sumKind = scalarKind(node.type);
    auto bodyKind = scalarKind(node.operands[1]->type);
    if (!sumKind || (*sumKind != ValueKind::Double && *sumKind != ValueKind::Decimal) ||
        !bodyKind || *bodyKind != *sumKind) {
      return genFallback(node);
    }
  }
  if (kind == MacroKind::Sum) {
    sumKind = scalarKind(node.type);
    if (!sumKind || (*sumKind != ValueKind::Int && *sumKind != ValueKind::Double &&
                     *sumKind != ValueKind::Duration && *sumKind != ValueKind::Decimal)) {
      return genFallback(node);
    }
  }
  // A filter right before the macro runs in the same loop.
  const Node* filter = nullptr;
  uint32_t filterSlot = 0;
  auto source = macroSource(node, filter, filterSlot);
  if (!source) return genFallback(node);
  Val slice = *source;

  llvm::Type* accType = sumKind == ValueKind::Double ? f64_ : i64_;
  llvm::Value* acc = stackSlot(accType, "acc");
  // A decimal total keeps its scale beside the coefficient in `acc`.
  llvm::Value* accScale = stackSlot(i64_, "acc.scale");
  builder_.CreateStore(i64(0), accScale);
  // all: true until a false; exists: false until a true; counts from 0.
  llvm::Value* initial = kind == MacroKind::All ? i64(1)
                         : accType == f64_ ? static_cast<llvm::Value*>(llvm::ConstantFP::get(f64_, 0.0))
                                           : i64(0);
  // An average starts from its first element, as in the interpreter; -0.0
  // is the double that adding leaves unchanged, -0.0 included.
  if (kind == MacroKind::Avg && accType == f64_) initial = llvm::ConstantFP::get(f64_, -0.0);
  builder_.CreateStore(initial, acc);
  llvm::Value* count = stackSlot(i64_, "count");
  builder_.CreateStore(i64(0), count);
  LoopBody body;
  body.filter = filter;
  body.filterSlot = filterSlot;
  body.slot = node.slot;
  const Node& expression = *node.operands[1];
  // With a filter, `all` and `exists` cannot stop at the deciding element:
  // the interpreter filters the whole list first, and a later filter error
  // is the result. The loop then runs on and only the filter is evaluated.
  llvm::Value* decided = nullptr;
  if (filter != nullptr && (kind == MacroKind::All || kind == MacroKind::Exists)) {
    decided = stackSlot(i1_, "decided");
    builder_.CreateStore(llvm::ConstantInt::getFalse(context_), decided);
  }
  body.visit = [&](llvm::BasicBlock* exit) {
    llvm::BasicBlock* skip = nullptr;
    if (decided != nullptr) {
      llvm::BasicBlock* open = block("loop.undecided");
      skip = block("loop.skip");
      builder_.CreateCondBr(builder_.CreateLoad(i1_, decided), skip, open);
      builder_.SetInsertPoint(open);
    }
    Val v = genScalar(expression);
    bailIf(v.isNull);
    switch (kind) {
      case MacroKind::All:
      case MacroKind::Exists: {
        bool decisive = kind == MacroKind::Exists;
        llvm::Value* decides = decisive ? isTrue(v) : builder_.CreateNot(isTrue(v));
        llvm::BasicBlock* stop = block("loop.decided");
        llvm::BasicBlock* next = block("loop.next");
        builder_.CreateCondBr(decides, stop, next);
        builder_.SetInsertPoint(stop);
        builder_.CreateStore(i64(decisive ? 1 : 0), acc);
        if (decided != nullptr) {
          builder_.CreateStore(llvm::ConstantInt::getTrue(context_), decided);
          builder_.CreateBr(skip);
        } else {
          builder_.CreateBr(exit);
        }
        builder_.SetInsertPoint(next);
        if (skip != nullptr) {
          builder_.CreateBr(skip);
          builder_.SetInsertPoint(skip);
        }
        return true;
      }
      case MacroKind::ExistsOne:
      case MacroKind::Count: {
        llvm::Value* count = builder_.CreateLoad(i64_, acc);
        builder_.CreateStore(builder_.CreateAdd(count, builder_.CreateZExt(isTrue(v), i64_)), acc);
        return true;
      }
      default: {
        builder_.CreateStore(builder_.CreateAdd(builder_.CreateLoad(i64_, count), i64(1)), count);
        llvm::Value* total = builder_.CreateLoad(accType, acc);
        if (sumKind == ValueKind::Decimal) {
          Val sum = addDecimals(decimal(total, builder_.CreateLoad(i64_, accScale)), asDecimal(v),
                                false);
          builder_.CreateStore(sum.payload, acc);
          builder_.CreateStore(sum.scale, accScale);
          return true;
        }
        if (accType == f64_) {
          builder_.CreateStore(builder_.CreateFAdd(total, v.payload), acc);
          return true;
        }
        llvm::Value* pair =
            builder_.CreateBinaryIntrinsic(llvm::Intrinsic::sadd_with_overflow, total, v.payload);
        bailIf(builder_.CreateExtractValue(pair, 1));
        builder_.CreateStore(builder_.CreateExtractValue(pair, 0), acc);
        return true;
      }
    }
  };
  emitLoop(slice, body);
  llvm::Value* result = builder_.CreateLoad(accType, acc);
  switch (kind) {
    case MacroKind::All:
    case MacroKind::Exists:
      return scalar(ValueKind::Bool, result);
    case MacroKind::ExistsOne:
      return scalar(ValueKind::Bool, builder_.CreateZExt(builder_.CreateICmpEQ(result, i64(1)), i64_));
    case MacroKind::Count:
      return scalar(ValueKind::Int, result);
    case MacroKind::Avg: {
      llvm::Value* n = builder_.CreateLoad(i64_, count);
      llvm::Value* empty = builder_.CreateICmpEQ(n, i64(0));
      if (sumKind == ValueKind::Double) {
        llvm::Value* mean = builder_.CreateFDiv(result, builder_.CreateSIToFP(n, f64_));
        return scalar(ValueKind::Double, mean, empty);
      }
      // An empty list divides 0 by 1 and is null.
      llvm::Value* coefficient = stackSlot(i64_, "mean");
      llvm::Value* scale = stackSlot(i64_, "mean.scale");
      llvm::Value* failed = builder_.CreateCall(
          helper("crm_jit_decimal_divide"),
          {result, builder_.CreateLoad(i64_, accScale), builder_.CreateSelect(empty, i64(1), n),
           coefficient, scale});
      bailIf(builder_.CreateICmpNE(failed, llvm::ConstantInt::get(i8_, 0)));
      return decimal(builder_.CreateLoad(i64_, coefficient), builder_.CreateLoad(i64_, scale),
                     empty);
    }
    default:
      if (sumKind == ValueKind::Decimal) return decimal(result, builder_.CreateLoad(i64_, accScale));
      return scalar(*sumKind, result);
  }
}

// `size()` and `count()` of a child list or of a filter over one.
Val Codegen::genSize(const Node& node) {
  bool size = node.overloads.empty() &&
              (node.builtin == stdlib::Builtin::SizeList || node.builtin == stdlib::Builtin::ListSize ||
               node.builtin == stdlib::Builtin::ListCount);
  if (!size || node.operands.size() != 1) return genFallback(node);
  const Node* filter = nullptr;
  uint32_t filterSlot = 0;
  auto source = macroSource(node, filter, filterSlot);
  if (!source) return genFallback(node);
  Val slice = *source;
  if (filter == nullptr) return scalar(ValueKind::Int, builder_.CreateSub(slice.end, slice.payload));
  llvm::Value* count = stackSlot(i64_, "count");
  builder_.CreateStore(i64(0), count);
  LoopBody body;
  body.filter = filter;
  body.filterSlot = filterSlot;
  body.slot = filterSlot;
  body.visit = [&](llvm::BasicBlock*) {
    builder_.CreateStore(builder_.CreateAdd(builder_.CreateLoad(i64_, count), i64(1)), count);
    return true;
  };
  emitLoop(slice, body);
  return scalar(ValueKind::Int, builder_.CreateLoad(i64_, count));
}

// Binds each column and table the code reads to the store.
void bind(const Codegen& codegen, const runtime::Store* store, CompiledProgram::State& state) {
  for (const auto& [entity, field] : codegen.columns()) {
    ColumnData data{nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 0};
    const runtime::Table* table = store != nullptr ? store->table(entity->name.text) : nullptr;
    if (table != nullptr && field < table->columns.size()) {
      const runtime::Column& column = table->columns[field];
      size_t rows = table->rowCount;
      bool nullsOk = !column.optional || column.nullBits.size() * 64 >= rows;
      bool ok = false;
      switch (column.kind) {
        case runtime::ColumnKind::Double: ok = column.doubles.size() >= rows; break;
        case runtime::ColumnKind::Decimal: ok = column.decimals.size() >= rows; break;
        case runtime::ColumnKind::String: ok = column.strings.size() >= rows; break;
        case runtime::ColumnKind::Children: ok = column.offsets.size() == rows + 1; break;
        case runtime::ColumnKind::Bool:
        case runtime::ColumnKind::Int:
        case runtime::ColumnKind::Date:
        case runtime::ColumnKind::Timestamp:
        case runtime::ColumnKind::Duration:
        case runtime::ColumnKind::Enum:
        case runtime::ColumnKind::Reference: ok = column.ints.size() >= rows; break;
        default: ok = false; break;
      }
      data.ints = column.ints.data();
      data.doubles = column.doubles.data();
      data.nullBits = column.nullBits.data();
      data.offsets = column.offsets.data();
      data.decimals = column.decimals.data();
      data.strings = column.strings.data();
      data.native = ok && nullsOk ? 1 : 0;
    }
    state.columns.push_back(data);
  }
  for (const StringTestUse& use : codegen.strings()) {
    const auto& [entity, field] = codegen.columns()[use.column];
    const runtime::Table* table = store != nullptr ? store->table(entity->name.text) : nullptr;
    int64_t address = 0;
    if (table != nullptr && field < table->columns.size() &&
        table->columns[field].kind == runtime::ColumnKind::String) {
      const runtime::StringPool& pool = table->columns[field].pool;
      std::vector<uint8_t> results(std::max<size_t>(pool.size(), 1), 0);
      for (uint32_t id = 0; id < pool.size(); ++id) {
        results[id] = stringTestHolds(use.test, pool.text(id), use.texts) ? 1 : 0;
      }
      state.stringTests.push_back(std::move(results));
      address = reinterpret_cast<int64_t>(state.stringTests.back().data());
    }
    state.strings.push_back(address);
  }
  // Never empty, so that the code always gets a valid pointer.
  if (state.strings.empty()) state.strings.push_back(0);
  state.pointers = codegen.pointers();
  if (state.pointers.empty()) state.pointers.push_back(nullptr);
  for (const ast::RecordDecl* entity : codegen.tables()) {
    const runtime::Table* table = store != nullptr ? store->table(entity->name.text) : nullptr;
    state.tables.push_back({table, table != nullptr ? static_cast<int64_t>(table->rowCount) : 0});
  }
}

// Compiled modules on disk, one object file per module, named by a hash of
// the module's optimised IR, the LLVM version, the CPU and its features and
// the optimisation level, so that any change gives another name. Files are
// written atomically; an unreadable one is compiled again.
class DiskCache : public llvm::ObjectCache {
 public:
  // `reads` off writes fresh objects over the files, for a second attempt
  // after a cached object failed to load.
  DiskCache(std::string folder, bool reads) : folder_(std::move(folder)), reads_(reads) {}

  void notifyObjectCompiled(const llvm::Module* module, llvm::MemoryBufferRef object) override {
    std::string path = pathOf(*module);
    if (path.empty()) return;
    // A cache that cannot be written only costs the next run a compile.
    runtime::writeFileAtomically(path, std::string_view(object.getBufferStart(),
                                                        object.getBufferSize()));
  }

  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module* module) override {
    std::string path = pathOf(*module);
    if (path.empty() || !reads_) return nullptr;
    auto buffer = llvm::MemoryBuffer::getFile(path);
    if (!buffer) return nullptr;
    ++hits_;
    return std::move(*buffer);
  }

  size_t hits() const { return hits_; }

 private:
  std::string pathOf(const llvm::Module& module) const {
    const std::string& key = module.getModuleIdentifier();
    if (key.rfind("crm-", 0) != 0) return "";
    return folder_ + "/" + key + ".o";
  }

  std::string folder_;
  bool reads_;
  size_t hits_ = 0;
};

// A stable 64-bit FNV-1a hash, as hexadecimal.
std::string hashText(std::string_view text) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

void initializeLlvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

void optimize(llvm::Module& module, int level) {
  if (level <= 0) return;
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder;
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  auto pipeline = builder.buildPerModuleDefaultPipeline(level == 1 ? llvm::OptimizationLevel::O1
                                                                   : llvm::OptimizationLevel::O2);
  pipeline.run(module, modules);
}

}  // namespace

// Roots per LLVM module. Machine code generation for one module grows
// faster than linearly with its size, so a large program is compiled as
// several modules of this many roots.
constexpr size_t kRootsPerModule = 256;

namespace {

std::unique_ptr<CompiledProgram> compileOnce(const ir::Program& program,
                                             const runtime::Store* store, const Options& options,
                                             bool readCache, std::string& error,
                                             const std::vector<const ir::Node*>& extraRoots) {
  auto state = std::make_unique<CompiledProgram::State>();

  std::vector<const Node*> roots;
  for (const auto& declaration : program.declarations) roots.push_back(declaration.value.get());
  for (const auto& channel : program.channels) {
    if (channel.reachable) roots.push_back(channel.reachable.get());
  }
  for (const auto& campaign : program.campaigns) {
    for (const ir::NodePtr* part :
         {&campaign.audience, &campaign.offer, &campaign.priority, &campaign.expectedValue}) {
      if (*part) roots.push_back(part->get());
    }
  }
  for (const ir::Node* extra : extraRoots) roots.push_back(extra);

  auto machine = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machine) {
    error = llvm::toString(machine.takeError());
    return nullptr;
  }
  machine->setCodeGenOptLevel(options.optLevel <= 0 ? llvm::CodeGenOptLevel::None
                                                    : llvm::CodeGenOptLevel::Less);
  std::string machineKey = std::string(LLVM_VERSION_STRING) + "|" + machine->getCPU() + "|" +
                           machine->getFeatures().getString() + "|O" +
                           std::to_string(options.optLevel);
  std::unique_ptr<DiskCache> cache;
  if (!options.cacheDir.empty()) {
    std::error_code created;
    std::filesystem::create_directories(options.cacheDir, created);
    if (!created) cache = std::make_unique<DiskCache>(options.cacheDir, readCache);
  }
  DiskCache* cachePointer = cache.get();
  // One target machine compiles every module of the program.
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(*machine))
                 .setCompileFunctionCreator(
                     [cachePointer](llvm::orc::JITTargetMachineBuilder builder)
                         -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
                       auto targetMachine = builder.createTargetMachine();
                       if (!targetMachine) return targetMachine.takeError();
                       return std::make_unique<llvm::orc::TMOwningSimpleCompiler>(
                           std::move(*targetMachine), cachePointer);
                     })
                 .create();
  if (!jit) {
    error = llvm::toString(jit.takeError());
    return nullptr;
  }
  state->jit = std::move(*jit);
  auto& dylib = state->jit->getMainJITDylib();
  llvm::orc::MangleAndInterner mangle(state->jit->getExecutionSession(),
                                      state->jit->getDataLayout());
  llvm::orc::SymbolMap symbols;
  auto add = [&](const char* name, auto* function) {
    symbols[mangle(name)] = {llvm::orc::ExecutorAddr::fromPtr(function),
                             llvm::JITSymbolFlags::Exported};
  };
  add("crm_jit_enter", &crm_jit_enter);
  add("crm_jit_leave", &crm_jit_leave);
  add("crm_jit_customer_row", &crm_jit_customer_row);
  add("crm_jit_now", &crm_jit_now);
  add("crm_jit_fallback", &crm_jit_fallback);
  add("crm_jit_declaration", &crm_jit_declaration);
  add("crm_jit_declaration_value", &crm_jit_declaration_value);
  add("crm_jit_slot", &crm_jit_slot);
  add("crm_jit_set_row", &crm_jit_set_row);
  add("crm_jit_unbox", &crm_jit_unbox);
  add("crm_jit_box", &crm_jit_box);
  add("crm_jit_box_row", &crm_jit_box_row);
  add("crm_jit_box_slice", &crm_jit_box_slice);
  add("crm_jit_copy", &crm_jit_copy);
  add("crm_jit_decimal_arith", &crm_jit_decimal_arith);
  add("crm_jit_decimal_compare", &crm_jit_decimal_compare);
  add("crm_jit_unbox_decimal", &crm_jit_unbox_decimal);
  add("crm_jit_box_decimal", &crm_jit_box_decimal);
  add("crm_jit_decimal_divide", &crm_jit_decimal_divide);
  if (auto err = dylib.define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
    error = llvm::toString(std::move(err));
    return nullptr;
  }

  // One context for every module, so that the generated types are shared.
  llvm::orc::ThreadSafeContext context(std::make_unique<llvm::LLVMContext>());
  Codegen codegen(*context.getContext(), program);
  std::vector<std::string> names;
  for (size_t first = 0; first < roots.size(); first += kRootsPerModule) {
    auto module = std::make_unique<llvm::Module>("crm" + std::to_string(first / kRootsPerModule),
                                                 *context.getContext());
    codegen.setModule(*module);
    size_t last = std::min(roots.size(), first + kRootsPerModule);
    for (size_t i = first; i < last; ++i) names.push_back(codegen.compileRoot(*roots[i], i));
    std::string verifyErrors;
    llvm::raw_string_ostream verifyStream(verifyErrors);
    if (llvm::verifyModule(*module, &verifyStream)) {
      error = "the generated code is invalid: " + verifyStream.str();
      return nullptr;
    }
    if (cache != nullptr) {
      // The key is the IR before optimisation with the level in machineKey:
      // a cached module then skips the optimiser as well as code generation.
      // The IR contains no address of this process (see Codegen::pointer), so
      // equal text means equal machine code.
      std::string text;
      llvm::raw_string_ostream irStream(text);
      module->print(irStream, nullptr);
      irStream.flush();
      module->setModuleIdentifier("crm-" + hashText(machineKey) + "-" + hashText(text));
    }
    bool cached = cache != nullptr && readCache &&
                  std::filesystem::exists(options.cacheDir + "/" +
                                          module->getModuleIdentifier() + ".o");
    if (!cached || options.keepIr) optimize(*module, options.optLevel);
    if (options.keepIr) {
      llvm::raw_string_ostream irStream(state->ir);
      module->print(irStream, nullptr);
    }
    if (auto err = state->jit->addIRModule(llvm::orc::ThreadSafeModule(std::move(module), context))) {
      error = llvm::toString(std::move(err));
      return nullptr;
    }
  }
  state->fallbacks = codegen.fallbacks();

  for (size_t i = 0; i < roots.size(); ++i) {
    auto address = state->jit->lookup(names[i]);
    if (!address) {
      error = llvm::toString(address.takeError());
      return nullptr;
    }
    state->roots[roots[i]] = address->toPtr<RootFunction>();
  }
  bind(codegen, store, *state);
  if (cache != nullptr) state->cacheHits = cache->hits();
  state->cache = std::move(cache);
  return std::unique_ptr<CompiledProgram>(new CompiledProgram(std::move(state)));
}

}  // namespace

std::unique_ptr<CompiledProgram> compile(const ir::Program& program, const runtime::Store* store,
                                         const Options& options, std::string& error,
                                         const ir::Node* extraRoot) {
  std::vector<const ir::Node*> extraRoots;
  if (extraRoot != nullptr) extraRoots.push_back(extraRoot);
  return compile(program, store, options, error, extraRoots);
}

size_t countNodes(const ir::Program& program, const std::vector<const ir::Node*>& extraRoots) {
  std::vector<const Node*> pending(extraRoots);
  for (const auto& declaration : program.declarations) pending.push_back(declaration.value.get());
  for (const auto& channel : program.channels) pending.push_back(channel.reachable.get());
  for (const auto& campaign : program.campaigns) {
    for (const ir::NodePtr* part :
         {&campaign.audience, &campaign.offer, &campaign.priority, &campaign.expectedValue}) {
      pending.push_back(part->get());
    }
  }
  size_t count = 0;
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    if (node == nullptr) continue;
    ++count;
    for (const auto& operand : node->operands) pending.push_back(operand.get());
  }
  return count;
}

std::unique_ptr<CompiledProgram> compile(const ir::Program& program, const runtime::Store* store,
                                         const Options& options, std::string& error,
                                         const std::vector<const ir::Node*>& extraRoots) {
  size_t nodes = countNodes(program, extraRoots);
  if (nodes > options.maxNodes) {
    auto state = std::make_unique<CompiledProgram::State>();
    state->note = "the script's program has " + std::to_string(nodes) +
                  " expression nodes, more than the " + std::to_string(options.maxNodes) +
                  " that the JIT compiles; the interpreter evaluates it instead, with the same "
                  "results";
    return std::make_unique<CompiledProgram>(std::move(state));
  }
  initializeLlvm();
  auto compiled = compileOnce(program, store, options, true, error, extraRoots);
  if (compiled != nullptr || options.cacheDir.empty()) return compiled;
  // A damaged cached object fails to load: compile afresh and replace it.
  std::string retryError;
  compiled = compileOnce(program, store, options, false, retryError, extraRoots);
  if (compiled != nullptr) error.clear();
  return compiled;
}

}  // namespace crm::jit
