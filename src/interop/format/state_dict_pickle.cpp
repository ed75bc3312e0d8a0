#include "interop/format/state_dict_pickle.h"

#include <cstring>
#include <deque>
#include <optional>
#include <utility>

#include "common/error.h"

namespace gan::interop::format {

int64_t elementSize(ElementType type) {
  switch (type) {
    case ElementType::Double: case ElementType::Long: return 8;
    case ElementType::Float: case ElementType::Int: return 4;
    case ElementType::Half: case ElementType::BFloat16: case ElementType::Short: return 2;
    case ElementType::Char: case ElementType::Byte: case ElementType::Bool: return 1;
  }
  return 1;
}

const char* elementName(ElementType type) {
  switch (type) {
    case ElementType::Float: return "float32";
    case ElementType::Double: return "float64";
    case ElementType::Half: return "float16";
    case ElementType::BFloat16: return "bfloat16";
    case ElementType::Long: return "int64";
    case ElementType::Int: return "int32";
    case ElementType::Short: return "int16";
    case ElementType::Char: return "int8";
    case ElementType::Byte: return "uint8";
    case ElementType::Bool: return "bool";
  }
  return "?";
}

namespace {

// A value of the pickle machine: only what a state dict needs. Values live in the machine's
// arena and point at each other with plain pointers, so a list that holds itself (a cycle the
// pickle can build through its memo) neither leaks nor is freed recursively.
struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  int depth = 1;        // containers: 1 + the deepest item ever held
  int64_t integer = 0;  // Bool, Int
  double real = 0;
  std::string text;                              // String; Global: "module.name"; Storage: its key
  std::vector<Value*> items;                     // Tuple, List
  std::vector<std::pair<Value*, Value*>> entries;  // Dict, in insertion order
  ElementType storage_type = ElementType::Float;   // Storage
  int64_t storage_numel = 0;                     // Storage
  SavedTensor tensor;                            // Tensor
};

// torch.FloatStorage and its kin: the element type of a storage in the archive.
std::optional<ElementType> storageType(const std::string& global) {
  static const std::map<std::string, ElementType> types = {
      {"torch.FloatStorage", ElementType::Float}, {"torch.DoubleStorage", ElementType::Double},
      {"torch.HalfStorage", ElementType::Half},   {"torch.BFloat16Storage", ElementType::BFloat16},
      {"torch.LongStorage", ElementType::Long},   {"torch.IntStorage", ElementType::Int},
      {"torch.ShortStorage", ElementType::Short}, {"torch.CharStorage", ElementType::Char},
      {"torch.ByteStorage", ElementType::Byte},   {"torch.BoolStorage", ElementType::Bool}};
  const auto it = types.find(global);
  if (it == types.end()) return std::nullopt;
  return it->second;
}

class StateDictUnpickler {
 public:
  StateDictUnpickler(const std::string& pickle, std::string source)
      : source_(std::move(source)),
        at_(reinterpret_cast<const uint8_t*>(pickle.data())),
        begin_(at_),
        end_(at_ + pickle.size()) {}

  Value* run() {
    for (;;) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                          // PROTO
        case 0x95: bytes(8); break;                        // FRAME
        case '.': return pop();                            // STOP
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '0': pop(); break;                            // POP
        case '2': push(top()); break;                      // DUP
        case 'N': push(make(Value::Kind::None)); break;
        case 0x88: case 0x89: {                            // NEWTRUE, NEWFALSE
          Value* value = make(Value::Kind::Bool);
          value->integer = op == 0x88;
          push(value);
          break;
        }
        case 'K': pushInt(byte()); break;                                 // BININT1
        case 'M': pushInt(int64_t(littleEndian(2))); break;               // BININT2
        case 'J': pushInt(static_cast<int32_t>(littleEndian(4))); break;  // BININT
        case 0x8a: {                                       // LONG1: n bytes, little-endian two's complement
          const size_t n = byte();
          check(n <= 8, "an integer wider than 64 bits");
          uint64_t raw = n == 0 ? 0 : littleEndian(n);
          if (n > 0 && n < 8 && (raw >> (8 * n - 1)) != 0) raw |= ~uint64_t{0} << (8 * n);  // sign-extend
          pushInt(static_cast<int64_t>(raw));
          break;
        }
        case 'G': {                                        // BINFLOAT: big-endian double
          uint64_t raw = 0;
          for (int i = 0; i < 8; ++i) raw = (raw << 8) | byte();
          Value* value = make(Value::Kind::Float);
          std::memcpy(&value->real, &raw, sizeof raw);
          push(value);
          break;
        }
        case 'X': pushString(bytes(littleEndian(4))); break;   // BINUNICODE
        case 0x8c: pushString(bytes(byte())); break;           // SHORT_BINUNICODE
        case 0x8d: pushString(bytes(littleEndian(8))); break;  // BINUNICODE8
        case 'U': pushString(bytes(byte())); break;            // SHORT_BINSTRING
        case 'T': pushString(bytes(littleEndian(4))); break;   // BINSTRING
        case 'c': {                                            // GLOBAL module\nname\n
          Value* value = make(Value::Kind::Global);
          value->text = line();
          value->text += "." + line();
          push(value);
          break;
        }
        case 0x93: {                                           // STACK_GLOBAL
          Value* name = pop();
          Value* module = pop();
          check(name->kind == Value::Kind::String && module->kind == Value::Kind::String, "a malformed global");
          check(module->text.size() + name->text.size() < 512, "a global name longer than 512 bytes");
          Value* value = make(Value::Kind::Global);
          value->text = module->text + "." + name->text;
          push(value);
          break;
        }
        case 'q': memo(byte()); break;                         // BINPUT
        case 'r': memo(littleEndian(4)); break;                // LONG_BINPUT
        case 0x94: memo(memo_.size()); break;                  // MEMOIZE
        case 'h': recall(byte()); break;                       // BINGET
        case 'j': recall(littleEndian(4)); break;              // LONG_BINGET
        case ')': push(make(Value::Kind::Tuple)); break;       // EMPTY_TUPLE
        case 0x85: case 0x86: case 0x87: {                     // TUPLE1..3
          std::vector<Value*> items(op - 0x84);
          for (size_t i = items.size(); i-- > 0;) items[i] = pop();
          push(container(Value::Kind::Tuple, std::move(items)));
          break;
        }
        case 't': push(container(Value::Kind::Tuple, popToMark())); break;  // TUPLE
        case ']': push(make(Value::Kind::List)); break;        // EMPTY_LIST
        case 'a': {                                            // APPEND
          Value* item = pop();
          Value* list = expect(top(), Value::Kind::List, "APPEND");
          hold(list, item);
          list->items.push_back(item);
          break;
        }
        case 'e': {                                            // APPENDS
          const auto items = popToMark();
          Value* list = expect(top(), Value::Kind::List, "APPENDS");
          for (Value* item : items) hold(list, item);
          list->items.insert(list->items.end(), items.begin(), items.end());
          break;
        }
        case '}': push(make(Value::Kind::Dict)); break;        // EMPTY_DICT
        case 's': {                                            // SETITEM
          Value* value = pop();
          Value* key = pop();
          Value* dict = expect(top(), Value::Kind::Dict, "SETITEM");
          hold(dict, key);
          hold(dict, value);
          dict->entries.emplace_back(key, value);
          break;
        }
        case 'u': {                                            // SETITEMS
          const auto items = popToMark();
          check(items.size() % 2 == 0, "SETITEMS with an odd number of items");
          Value* dict = expect(top(), Value::Kind::Dict, "SETITEMS");
          for (size_t i = 0; i < items.size(); i += 2) {
            hold(dict, items[i]);
            hold(dict, items[i + 1]);
            dict->entries.emplace_back(items[i], items[i + 1]);
          }
          break;
        }
        case 'b': {                                            // BUILD: a state dict's _metadata, ignored
          pop();
          expect(top(), Value::Kind::Dict, "BUILD");
          break;
        }
        case 'Q': push(persistent(pop())); break;              // BINPERSID: a storage of the archive
        case 'R': {                                            // REDUCE
          Value* arguments = pop();
          Value* callable = pop();
          push(reduce(expect(callable, Value::Kind::Global, "REDUCE")->text,
                      expect(arguments, Value::Kind::Tuple, "REDUCE")->items));
          break;
        }
        default:
          fail("unsupported pickle opcode 0x" + hex(op) + " at byte " + std::to_string(at_ - begin_ - 1) +
               " (not a state dict written by torch.save)");
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { GAN_FAIL(source_, ": ", what); }
  void check(bool ok, const std::string& what) const {
    if (!ok) fail(what);
  }
  static std::string hex(unsigned value) {
    const char* digits = "0123456789abcdef";
    return {digits[(value >> 4) & 15], digits[value & 15]};
  }
  uint8_t byte() {
    check(at_ < end_, "the pickle ends early (truncated file)");
    return *at_++;
  }
  std::string bytes(uint64_t n) {
    check(n <= uint64_t(end_ - at_), "the pickle ends early (truncated file)");
    std::string text(reinterpret_cast<const char*>(at_), size_t(n));
    at_ += n;
    return text;
  }
  uint64_t littleEndian(size_t n) {
    uint64_t value = 0;
    for (size_t i = 0; i < n; ++i) value |= uint64_t(byte()) << (8 * i);
    return value;
  }
  std::string line() {
    std::string text;
    for (uint8_t c = byte(); c != '\n'; c = byte()) {
      text.push_back(char(c));
      check(text.size() < 256, "a global name longer than 256 bytes");
    }
    return text;
  }

  Value* make(Value::Kind kind) {
    check(arena_.size() < kMaxPickleValues, "the pickle makes more than " + std::to_string(kMaxPickleValues) + " values");
    arena_.emplace_back();
    arena_.back().kind = kind;
    return &arena_.back();
  }
  Value* container(Value::Kind kind, std::vector<Value*> items) {
    Value* value = make(kind);
    for (Value* item : items) hold(value, item);
    value->items = std::move(items);
    return value;
  }
  // `owner` now holds `item`: its depth grows to cover it (checked, so no reader of the values
  // meets unbounded nesting).
  void hold(Value* owner, const Value* item) {
    owner->depth = std::max(owner->depth, item->depth + 1);
    check(owner->depth <= kMaxPickleNesting,
          "values nested more than " + std::to_string(kMaxPickleNesting) + " deep (a state dict nests 4)");
  }
  void push(Value* value) {
    check(stack_.size() < 1000000, "the pickle's stack grows past a million values");
    stack_.push_back(value);
  }
  void pushInt(int64_t n) {
    Value* value = make(Value::Kind::Int);
    value->integer = n;
    push(value);
  }
  void pushString(std::string text) {
    Value* value = make(Value::Kind::String);
    value->text = std::move(text);
    push(value);
  }
  Value* pop() {
    check(!stack_.empty() && (marks_.empty() || stack_.size() > marks_.back()), "a malformed pickle (empty stack)");
    Value* value = stack_.back();
    stack_.pop_back();
    return value;
  }
  Value* top() const {
    check(!stack_.empty(), "a malformed pickle (empty stack)");
    return stack_.back();
  }
  std::vector<Value*> popToMark() {
    check(!marks_.empty() && marks_.back() <= stack_.size(), "a malformed pickle (no mark)");
    std::vector<Value*> items(stack_.begin() + std::ptrdiff_t(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  void memo(uint64_t index) {
    check(index < 10000000, "a memo index past ten million");
    memo_[index] = top();
  }
  void recall(uint64_t index) {
    const auto it = memo_.find(index);
    check(it != memo_.end(), "a reference to memo entry " + std::to_string(index) + " that was never stored");
    push(it->second);
  }
  Value* expect(Value* value, Value::Kind kind, const char* where) const {
    check(value->kind == kind, std::string("a malformed pickle (unexpected value for ") + where + ")");
    return value;
  }
  int64_t integerOf(const Value* value, const char* what) const {
    check(value->kind == Value::Kind::Int || value->kind == Value::Kind::Bool, std::string(what) + " is not an integer");
    return value->integer;
  }
  std::vector<int64_t> integersOf(const Value* value, const char* what) const {
    check(value->kind == Value::Kind::Tuple || value->kind == Value::Kind::List, std::string(what) + " is not a tuple");
    std::vector<int64_t> numbers;
    for (const Value* item : value->items) numbers.push_back(integerOf(item, what));
    return numbers;
  }

  // ('storage', torch.FloatStorage, key, location, numel): the record data/<key> of the archive.
  Value* persistent(const Value* id) {
    check(id->kind == Value::Kind::Tuple && id->items.size() == 5 && id->items[0]->kind == Value::Kind::String &&
              id->items[0]->text == "storage" && id->items[1]->kind == Value::Kind::Global &&
              id->items[2]->kind == Value::Kind::String,
          "a persistent reference that is not a tensor storage");
    const auto type = storageType(id->items[1]->text);
    check(type.has_value(), "a storage of unsupported type " + id->items[1]->text.substr(0, 100));
    const std::string& key = id->items[2]->text;
    check(!key.empty() && key.size() <= 64 && key.find('/') == std::string::npos && key.find('\0') == std::string::npos,
          "a storage key that is not a record name");
    Value* storage = make(Value::Kind::Storage);
    storage->text = key;
    storage->storage_type = *type;
    storage->storage_numel = integerOf(id->items[4], "a storage's size");
    int64_t bytes = 0;
    check(storage->storage_numel >= 0 &&
              !__builtin_mul_overflow(storage->storage_numel, elementSize(*type), &bytes),
          "a storage of impossible size " + std::to_string(storage->storage_numel));
    return storage;
  }

  Value* reduce(const std::string& callable, const std::vector<Value*>& arguments) {
    if (callable == "collections.OrderedDict" && arguments.empty()) return make(Value::Kind::Dict);
    if (callable == "torch._utils._rebuild_tensor_v2" && arguments.size() >= 4) return rebuildTensor(arguments);
    if (callable == "torch._utils._rebuild_parameter" && !arguments.empty() &&
        arguments[0]->kind == Value::Kind::Tensor) {
      return arguments[0];
    }
    // LibTorch's pickler (torch::pickle_save, what gan_export writes) tags typed containers:
    // restore_type_tag(value, "Dict[str, Tensor]") is the value itself.
    if (callable == "torch.jit._pickle.restore_type_tag" && arguments.size() == 2 &&
        arguments[1]->kind == Value::Kind::String) {
      return arguments[0];
    }
    fail("holds an object of type " + callable.substr(0, 200) +
         " (expected a dict of tensors, as torch.save(model.state_dict()) writes)");
  }

  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, ...): a strided view
  // of the storage. Every product and sum is overflow-checked: a view past 2^63 elements would
  // wrap around and pass a naive "inside the storage" test.
  Value* rebuildTensor(const std::vector<Value*>& arguments) {
    const Value* storage = arguments[0];
    check(storage->kind == Value::Kind::Storage, "a tensor without a storage");
    SavedTensor tensor;
    tensor.storage = storage->text;
    tensor.type = storage->storage_type;
    tensor.storage_numel = storage->storage_numel;
    tensor.offset = integerOf(arguments[1], "a tensor's offset");
    tensor.sizes = integersOf(arguments[2], "a tensor's size");
    tensor.strides = integersOf(arguments[3], "a tensor's stride");
    check(tensor.sizes.size() == tensor.strides.size() && tensor.sizes.size() <= 16,
          "a tensor whose size and stride disagree");
    check(tensor.offset >= 0, "a tensor at a negative offset");
    int64_t numel = 1;
    int64_t last = tensor.offset;  // the last element the view reads (when it reads any)
    for (size_t i = 0; i < tensor.sizes.size(); ++i) {
      const int64_t size = tensor.sizes[i], stride = tensor.strides[i];
      check(size >= 0 && stride >= 0, "a tensor of negative size or stride");
      check(!__builtin_mul_overflow(numel, size, &numel), "a tensor of more than 2^63 elements");
      int64_t reach = 0;
      if (size > 0) {
        check(!__builtin_mul_overflow(size - 1, stride, &reach) && !__builtin_add_overflow(last, reach, &last),
              "a tensor that reaches past 2^63 elements");
      }
    }
    tensor.numel = numel;
    check(numel == 0 || last < tensor.storage_numel, "a tensor that reaches past its storage");
    Value* value = make(Value::Kind::Tensor);
    value->tensor = std::move(tensor);
    return value;
  }

  std::string source_;
  const uint8_t* at_;
  const uint8_t* begin_;
  const uint8_t* end_;
  std::deque<Value> arena_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, Value*> memo_;
};

SavedTensors tensorsOf(const Value* dict, const std::string& source, const std::string& prefix) {
  SavedTensors tensors;
  for (const auto& [key, value] : dict->entries) {
    GAN_CHECK(key->kind == Value::Kind::String, source, ": a key of ", prefix.empty() ? "the dict" : "'" + prefix + "'",
              " is not a string");
    GAN_CHECK(value->kind == Value::Kind::Tensor, source, ": '", (prefix + key->text).substr(0, 200),
              "' is not a tensor");
    GAN_CHECK(tensors.emplace(key->text, value->tensor).second, source, ": '", (prefix + key->text).substr(0, 200),
              "' appears twice");
  }
  return tensors;
}

}  // namespace

PickledStateDicts parseStateDictPickle(const std::string& pickle, const std::string& source) {
  StateDictUnpickler machine(pickle, source);
  const Value* top = machine.run();
  GAN_CHECK(top->kind == Value::Kind::Dict, source, ": holds no dict (expected torch.save(model.state_dict()))");
  PickledStateDicts saved;
  for (const auto& [key, value] : top->entries) {
    GAN_CHECK(key->kind == Value::Kind::String, source, ": a key of the dict is not a string");
    if (value->kind == Value::Kind::Dict) {
      GAN_CHECK(saved.nested.emplace(key->text, tensorsOf(value, source, key->text + ".")).second, source, ": '",
                key->text.substr(0, 200), "' appears twice");
    } else {
      GAN_CHECK(value->kind == Value::Kind::Tensor, source, ": '", key->text.substr(0, 200), "' is not a tensor");
      GAN_CHECK(saved.tensors.emplace(key->text, value->tensor).second, source, ": '", key->text.substr(0, 200),
                "' appears twice");
    }
  }
  return saved;
}

}  // namespace gan::interop::format
