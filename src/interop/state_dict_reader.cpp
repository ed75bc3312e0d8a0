#include "interop/state_dict_reader.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <limits>
#include <optional>
#include <memory>
#include <vector>

#include "common/error.h"

namespace gan::interop {
namespace {

// A value of the pickle machine: only what a state dict needs.
struct Value;
using ValuePtr = std::shared_ptr<Value>;
struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  int64_t integer = 0;  // Bool, Int
  double real = 0;
  std::string text;                                    // String; Global: "module.name"; Storage: its record key
  std::vector<ValuePtr> items;                         // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // Dict, in insertion order
  at::ScalarType storage_type = at::kFloat;            // Storage
  int64_t storage_numel = 0;                           // Storage
  torch::Tensor tensor;                                // Tensor
};

ValuePtr make(Value::Kind kind) {
  auto value = std::make_shared<Value>();
  value->kind = kind;
  return value;
}

// torch.FloatStorage and its kin: the element type of a storage in the archive.
std::optional<at::ScalarType> storageType(const std::string& global) {
  static const std::map<std::string, at::ScalarType> types = {
      {"torch.FloatStorage", at::kFloat},     {"torch.DoubleStorage", at::kDouble}, {"torch.HalfStorage", at::kHalf},
      {"torch.BFloat16Storage", at::kBFloat16}, {"torch.LongStorage", at::kLong},   {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},     {"torch.CharStorage", at::kChar},     {"torch.ByteStorage", at::kByte},
      {"torch.BoolStorage", at::kBool}};
  const auto it = types.find(global);
  if (it == types.end()) return std::nullopt;
  return it->second;
}

class StateDictUnpickler {
 public:
  StateDictUnpickler(std::string path, caffe2::serialize::PyTorchStreamReader& archive, const uint8_t* data, size_t size)
      : path_(std::move(path)), archive_(archive), at_(data), begin_(data), end_(data + size) {}

  ValuePtr run() {
    for (;;) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                  // PROTO
        case 0x95: bytes(8); break;                // FRAME
        case '.': return pop();                    // STOP
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '0': pop(); break;                    // POP
        case '2': push(top()); break;              // DUP
        case 'N': push(make(Value::Kind::None)); break;
        case 0x88: case 0x89: {                    // NEWTRUE, NEWFALSE
          auto value = make(Value::Kind::Bool);
          value->integer = op == 0x88;
          push(value);
          break;
        }
        case 'K': pushInt(byte()); break;          // BININT1
        case 'M': pushInt(littleEndian(2)); break;  // BININT2
        case 'J': pushInt(static_cast<int32_t>(littleEndian(4))); break;  // BININT
        case 0x8a: {                               // LONG1: n bytes, little-endian two's complement
          const size_t n = byte();
          check(n <= 8, "an integer wider than 64 bits");
          uint64_t raw = n == 0 ? 0 : littleEndian(n);
          if (n > 0 && n < 8 && (raw >> (8 * n - 1)) != 0) raw |= ~uint64_t{0} << (8 * n);  // sign-extend
          pushInt(static_cast<int64_t>(raw));
          break;
        }
        case 'G': {                                // BINFLOAT: big-endian double
          uint64_t raw = 0;
          for (int i = 0; i < 8; ++i) raw = (raw << 8) | byte();
          auto value = make(Value::Kind::Float);
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
          auto value = make(Value::Kind::Global);
          value->text = line();
          value->text += "." + line();
          push(value);
          break;
        }
        case 0x93: {                                           // STACK_GLOBAL
          const auto name = pop(), module = pop();
          check(name->kind == Value::Kind::String && module->kind == Value::Kind::String, "a malformed global");
          auto value = make(Value::Kind::Global);
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
          auto tuple = make(Value::Kind::Tuple);
          tuple->items.resize(op - 0x84);
          for (size_t i = tuple->items.size(); i-- > 0;) tuple->items[i] = pop();
          push(tuple);
          break;
        }
        case 't': {                                            // TUPLE
          auto tuple = make(Value::Kind::Tuple);
          tuple->items = popToMark();
          push(tuple);
          break;
        }
        case ']': push(make(Value::Kind::List)); break;        // EMPTY_LIST
        case 'a': {                                            // APPEND
          auto item = pop();
          expect(top(), Value::Kind::List, "APPEND")->items.push_back(item);
          break;
        }
        case 'e': {                                            // APPENDS
          auto items = popToMark();
          auto& list = expect(top(), Value::Kind::List, "APPENDS")->items;
          list.insert(list.end(), items.begin(), items.end());
          break;
        }
        case '}': push(make(Value::Kind::Dict)); break;        // EMPTY_DICT
        case 's': {                                            // SETITEM
          auto value = pop(), key = pop();
          expect(top(), Value::Kind::Dict, "SETITEM")->entries.emplace_back(key, value);
          break;
        }
        case 'u': {                                            // SETITEMS
          auto items = popToMark();
          check(items.size() % 2 == 0, "SETITEMS with an odd number of items");
          auto& dict = expect(top(), Value::Kind::Dict, "SETITEMS")->entries;
          for (size_t i = 0; i < items.size(); i += 2) dict.emplace_back(items[i], items[i + 1]);
          break;
        }
        case 'b': {                                            // BUILD: a state dict's _metadata, ignored
          pop();
          expect(top(), Value::Kind::Dict, "BUILD");
          break;
        }
        case 'Q': push(persistent(pop())); break;              // BINPERSID: a storage of the archive
        case 'R': {                                            // REDUCE
          auto arguments = pop(), callable = pop();
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
  [[noreturn]] void fail(const std::string& what) const { GAN_FAIL(path_, ": ", what); }
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
  void push(ValuePtr value) {
    check(stack_.size() < 1000000, "the pickle's stack grows past a million values");
    stack_.push_back(std::move(value));
  }
  void pushInt(int64_t n) {
    auto value = make(Value::Kind::Int);
    value->integer = n;
    push(value);
  }
  void pushString(std::string text) {
    auto value = make(Value::Kind::String);
    value->text = std::move(text);
    push(value);
  }
  ValuePtr pop() {
    check(!stack_.empty() && (marks_.empty() || stack_.size() > marks_.back()), "a malformed pickle (empty stack)");
    auto value = stack_.back();
    stack_.pop_back();
    return value;
  }
  const ValuePtr& top() {
    check(!stack_.empty(), "a malformed pickle (empty stack)");
    return stack_.back();
  }
  std::vector<ValuePtr> popToMark() {
    check(!marks_.empty() && marks_.back() <= stack_.size(), "a malformed pickle (no mark)");
    std::vector<ValuePtr> items(stack_.begin() + marks_.back(), stack_.end());
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
  const ValuePtr& expect(const ValuePtr& value, Value::Kind kind, const char* where) const {
    check(value->kind == kind, std::string("a malformed pickle (unexpected value for ") + where + ")");
    return value;
  }
  int64_t integerOf(const ValuePtr& value, const char* what) const {
    check(value->kind == Value::Kind::Int || value->kind == Value::Kind::Bool, std::string(what) + " is not an integer");
    return value->integer;
  }
  std::vector<int64_t> integersOf(const ValuePtr& value, const char* what) const {
    check(value->kind == Value::Kind::Tuple || value->kind == Value::Kind::List, std::string(what) + " is not a tuple");
    std::vector<int64_t> numbers;
    for (const auto& item : value->items) numbers.push_back(integerOf(item, what));
    return numbers;
  }

  // ('storage', torch.FloatStorage, key, location, numel): a record data/<key> of the archive.
  ValuePtr persistent(const ValuePtr& id) {
    check(id->kind == Value::Kind::Tuple && id->items.size() == 5 && id->items[0]->kind == Value::Kind::String &&
              id->items[0]->text == "storage" && id->items[1]->kind == Value::Kind::Global &&
              id->items[2]->kind == Value::Kind::String,
          "a persistent reference that is not a tensor storage");
    const auto type = storageType(id->items[1]->text);
    check(type.has_value(), "a storage of unsupported type " + id->items[1]->text);
    auto storage = make(Value::Kind::Storage);
    storage->text = id->items[2]->text;
    storage->storage_type = *type;
    storage->storage_numel = integerOf(id->items[4], "a storage's size");
    check(storage->storage_numel >= 0, "a storage of negative size");
    return storage;
  }

  ValuePtr reduce(const std::string& callable, const std::vector<ValuePtr>& arguments) {
    if (callable == "collections.OrderedDict" && arguments.empty()) return make(Value::Kind::Dict);
    if (callable == "torch._utils._rebuild_tensor_v2" && arguments.size() >= 4) return rebuildTensor(arguments);
    if (callable == "torch._utils._rebuild_parameter" && !arguments.empty() &&
        arguments[0]->kind == Value::Kind::Tensor) {
      return arguments[0];
    }
    fail("holds an object of type " + callable + " (expected a dict of tensors, as torch.save(model.state_dict()) "
         "writes)");
  }

  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, ...): a view of the
  // storage, checked to lie inside it, copied out.
  ValuePtr rebuildTensor(const std::vector<ValuePtr>& arguments) {
    const auto& storage = arguments[0];
    check(storage->kind == Value::Kind::Storage, "a tensor without a storage");
    const int64_t offset = integerOf(arguments[1], "a tensor's offset");
    const auto size = integersOf(arguments[2], "a tensor's size");
    const auto stride = integersOf(arguments[3], "a tensor's stride");
    check(size.size() == stride.size() && size.size() <= 16, "a tensor whose size and stride disagree");
    int64_t last = offset;
    bool empty = false;
    for (size_t i = 0; i < size.size(); ++i) {
      check(size[i] >= 0 && stride[i] >= 0 && size[i] < (int64_t(1) << 40) && stride[i] < (int64_t(1) << 40),
            "a tensor of impossible size or stride");
      if (size[i] == 0) empty = true;
      last += (size[i] - 1) * stride[i];
    }
    check(offset >= 0 && (empty || last < storage->storage_numel), "a tensor that reaches past its storage");
    const std::string record = "data/" + storage->text;
    check(archive_.hasRecord(record), "the archive has no " + record + " (truncated or damaged file)");
    auto [data, bytes] = archive_.getRecord(record);
    const auto element = int64_t(c10::elementSize(storage->storage_type));
    check(int64_t(bytes) == storage->storage_numel * element,
          record + " holds " + std::to_string(bytes) + " bytes, its storage needs " +
              std::to_string(storage->storage_numel * element));
    auto whole = torch::from_blob(data.get(), {storage->storage_numel}, torch::TensorOptions(storage->storage_type));
    auto value = make(Value::Kind::Tensor);
    value->tensor = empty ? torch::empty(size, whole.options()) : whole.as_strided(size, stride, offset).clone();
    return value;
  }

  std::string path_;
  caffe2::serialize::PyTorchStreamReader& archive_;
  const uint8_t* at_;
  const uint8_t* begin_;
  const uint8_t* end_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
};

StateDict tensorsOf(const ValuePtr& dict, const std::string& path, const std::string& prefix) {
  StateDict tensors;
  for (const auto& [key, value] : dict->entries) {
    GAN_CHECK(key->kind == Value::Kind::String, path, ": a key of ", prefix.empty() ? "the dict" : "'" + prefix + "'",
              " is not a string");
    GAN_CHECK(value->kind == Value::Kind::Tensor, path, ": '", prefix + key->text, "' is not a tensor");
    tensors[key->text] = value->tensor;
  }
  return tensors;
}

}  // namespace

SavedStateDicts readSavedStateDicts(const std::string& path) {
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> archive;
  try {
    archive = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    GAN_FAIL(path, ": not a file torch.save wrote (", what.substr(0, what.find('\n')),
             "); save it with torch.save(model.state_dict(), path)");
  }
  at::DataPtr pickle;
  size_t size = 0;
  try {
    GAN_CHECK(archive->hasRecord("data.pkl"), path, ": the archive has no data.pkl (not a torch.save file)");
    std::tie(pickle, size) = archive->getRecord("data.pkl");
  } catch (const c10::Error& e) {
    const std::string what = e.what();
    GAN_FAIL(path, ": unreadable (", what.substr(0, what.find('\n')), ")");
  }
  ValuePtr top;
  try {
    top = StateDictUnpickler(path, *archive, static_cast<const uint8_t*>(pickle.get()), size).run();
  } catch (const c10::Error& e) {
    const std::string what = e.what();
    GAN_FAIL(path, ": unreadable (", what.substr(0, what.find('\n')), ")");
  }
  GAN_CHECK(top->kind == Value::Kind::Dict, path, ": holds no dict (expected torch.save(model.state_dict()))");
  SavedStateDicts saved;
  for (const auto& [key, value] : top->entries) {
    GAN_CHECK(key->kind == Value::Kind::String, path, ": a key of the dict is not a string");
    if (value->kind == Value::Kind::Dict) {
      saved.nested[key->text] = tensorsOf(value, path, key->text + ".");
    } else {
      GAN_CHECK(value->kind == Value::Kind::Tensor, path, ": '", key->text, "' is not a tensor");
      saved.tensors[key->text] = value->tensor;
    }
  }
  return saved;
}

checkpoint::NamedTensors stateDictOf(torch::nn::Module& network) {
  checkpoint::NamedTensors tensors;
  for (const auto& parameter : network.named_parameters(/*recurse=*/true)) {
    tensors.emplace_back(parameter.key(), parameter.value());
  }
  for (const auto& buffer : network.named_buffers(/*recurse=*/true)) tensors.emplace_back(buffer.key(), buffer.value());
  return tensors;
}

}  // namespace gan::interop
