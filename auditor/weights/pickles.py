"""A static pickle scanner: every import a pickle stream would make, without unpickling it.

Why our own scanner over picklescan, fickling or modelscan: all three walk the opcodes with
`pickletools` too, but (a) picklescan and modelscan only take file paths or whole byte
strings, while we read streams from any Tree (image layers, zip members) with bounded memory;
(b) none follows joblib's arrays, which joblib writes as raw bytes *inside* the pickle stream,
so they stop at the first numeric array and miss every import after it (and the nested
pickle of an object array); (c) fickling's symbolic interpreter is LGPL and slower. The
dangerous/harmless lists are theirs, cited in `pickle_lists.py`, and the benchmark checks
that whatever either flags is flagged here.

The loop below is a small symbolic stack machine over `pickletools`' opcode table: literals,
containers (capped), `GLOBAL`/`INST`/`STACK_GLOBAL` imports, calls and memo references. It
never calls anything it reads. Long arguments are skipped, not read, and every count is
bounded, so a hostile stream costs bounded memory and time.
"""

from __future__ import annotations

import math
import pickletools
import re
from dataclasses import dataclass, field
from typing import IO, BinaryIO, cast

MAX_KEPT_STRING = 256
"""Strings longer than this are never module names; they are replaced by an opaque marker."""
MAX_INLINE_ARG = 1 << 20
"""Arguments larger than this (tensor bytes in plain pickles) are skipped, not read."""
MAX_CONTAINER = 256
"""Containers keep their first items only: enough for joblib's array headers."""
MAX_STACK = 2_000_000
MAX_MEMO = 2_000_000
MAX_IMPORTS = 50_000
"""Imports recorded per scanned stream (each is evidence: memory must not follow the file)."""
MAX_NESTING = 8
"""Nested pickles (joblib object arrays) followed this deep."""
MAX_LINE = 64 * 1024
_CHUNK = 1 << 20

_OPCODES = {op.code: op for op in pickletools.opcodes}
_MARK = pickletools.markobject
_STACKSLICE = pickletools.stackslice
_LENGTH_BYTES = {
    pickletools.TAKEN_FROM_ARGUMENT1: (1, False),
    pickletools.TAKEN_FROM_ARGUMENT4: (4, True),
    pickletools.TAKEN_FROM_ARGUMENT4U: (4, False),
    pickletools.TAKEN_FROM_ARGUMENT8U: (8, False),
}


class PickleScanError(Exception):
    """The stream is not a pickle, is truncated, or exceeds a bound."""


@dataclass(frozen=True, slots=True)
class PickleImport:
    """One callable or class a pickle would import when loaded."""

    module: str
    name: str
    offset: int
    """Byte offset of the importing opcode within the scanned stream."""

    @property
    def qualified(self) -> str:
        """`module.name`, as users write it."""
        return f"{self.module}.{self.name}"


@dataclass(frozen=True, slots=True)
class PickleScan:
    """What one stream (possibly several consecutive pickles) imports."""

    imports: tuple[PickleImport, ...]
    pickles: int
    """How many complete pickles were read."""
    error: str | None = None
    """Why reading stopped before the end of the first pickle; None when it did not."""


class _Opaque:
    """A value we do not track (too long, or produced by a call)."""


OPAQUE = _Opaque()


@dataclass(slots=True, eq=False)
class _Global:
    module: str
    name: str


@dataclass(slots=True, eq=False)
class _Call:
    func: object
    args: object
    state: object = None


@dataclass(slots=True)
class _Reader:
    """Counts position itself so any forward-only stream works (zip members, gzip)."""

    stream: BinaryIO
    pos: int = 0

    def read(self, n: int) -> bytes:
        if n > MAX_INLINE_ARG:
            raise PickleScanError(f"offset {self.pos}: argument of {n} bytes")
        data = self.stream.read(n)
        self.pos += len(data)
        if len(data) < n:
            raise PickleScanError(f"offset {self.pos}: truncated")
        return data

    def readline(self) -> bytes:
        line = self.stream.readline(MAX_LINE)
        self.pos += len(line)
        if not line.endswith(b"\n"):
            raise PickleScanError(f"offset {self.pos}: line argument without newline")
        return line

    def skip(self, n: int) -> None:
        while n > 0:
            data = self.stream.read(min(n, _CHUNK))
            if not data:
                raise PickleScanError(f"offset {self.pos}: truncated")
            self.pos += len(data)
            n -= len(data)

    def peek1(self) -> bytes:
        data = self.stream.read(1)
        self.pos += len(data)
        return data


@dataclass(slots=True)
class _Machine:
    reader: _Reader
    imports: list[PickleImport]
    depth: int = 0
    stack: list[object] = field(default_factory=list)
    memo: dict[object, object] = field(default_factory=dict)

    def run(self, first: bytes | None = None) -> None:
        """Execute symbolically up to and including STOP."""
        while True:
            offset = self.reader.pos - (1 if first else 0)
            code = first if first is not None else self.reader.read(1)
            first = None
            op = _OPCODES.get(code.decode("latin-1"))
            if op is None:
                raise PickleScanError(f"offset {offset}: not a pickle opcode {code!r}")
            arg = self._arg(op)
            if op.name == "STOP":
                return
            wrapper = self._step(op, arg, offset)
            if wrapper is not None:
                self._skip_joblib_array(wrapper)
            if len(self.stack) > MAX_STACK or len(self.memo) > MAX_MEMO:
                raise PickleScanError(f"offset {offset}: more than {MAX_STACK} values")

    def _arg(self, op: pickletools.OpcodeInfo) -> object:
        if op.arg is None:
            return None
        sizing = _LENGTH_BYTES.get(op.arg.n)
        if sizing is None:
            return op.arg.reader(
                cast("IO[bytes]", self.reader)
            )  # fixed size or newline-terminated (bounded)
        width, signed = sizing
        raw = self.reader.read(width)
        length = int.from_bytes(raw, "little", signed=signed)
        if length < 0:
            raise PickleScanError(f"offset {self.reader.pos}: negative length")
        if length > MAX_KEPT_STRING and op.name not in ("LONG1", "LONG4"):
            self.reader.skip(length)  # tensor bytes, long docstrings: never needed
            return OPAQUE
        if length > MAX_INLINE_ARG:
            self.reader.skip(length)
            return OPAQUE
        return op.arg.reader(cast("IO[bytes]", _Replay(raw + self.reader.read(length))))

    def _pop(self) -> object:
        if not self.stack:
            raise PickleScanError(f"offset {self.reader.pos}: stack underflow")
        return self.stack.pop()

    def _pop_mark(self) -> list[object]:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i] is _MARK:
                items = self.stack[i + 1 :]
                del self.stack[i:]
                return items
        raise PickleScanError(f"offset {self.reader.pos}: no MARK on the stack")

    def _record(self, imported: PickleImport) -> None:
        """Keep an import; past MAX_IMPORTS, one marker instead (flagged like a dynamic
        import): real pickles memoise their globals, so only a crafted one has this many."""
        if len(self.imports) < MAX_IMPORTS:
            self.imports.append(imported)
        elif len(self.imports) == MAX_IMPORTS:
            self.imports.append(
                PickleImport("<too-many-imports>", str(MAX_IMPORTS), imported.offset)
            )

    def _import(self, module: object, name: object, offset: int) -> _Global | _Opaque:
        if isinstance(module, str) and isinstance(name, str):
            self._record(PickleImport(module, name, offset))
            return _Global(module, name)
        # A computed module or name hides what is imported: report it as such.
        self._record(PickleImport("<dynamic>", "<dynamic>", offset))
        return OPAQUE

    def _step(self, op: pickletools.OpcodeInfo, arg: object, offset: int) -> _Call | None:
        name = op.name
        push = self.stack.append
        if name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            imported = self._import(module, attr, offset)
            if name == "INST":
                push(_Call(imported, tuple(self._pop_mark())))
            else:
                push(imported)
        elif name == "STACK_GLOBAL":
            popped_name, popped_module = self._pop(), self._pop()
            push(self._import(popped_module, popped_name, offset))
        elif name.startswith("EXT"):
            # copyreg's extension registry is empty in practice: an unknown callable.
            self._record(PickleImport("<extension>", str(arg), offset))
            push(OPAQUE)
        elif name in ("REDUCE", "NEWOBJ"):
            args, func = self._pop(), self._pop()
            push(_Call(func, args))
        elif name == "NEWOBJ_EX":
            _kwargs, args, func = self._pop(), self._pop(), self._pop()
            push(_Call(func, args))
        elif name == "OBJ":
            items = self._pop_mark()
            push(_Call(items[0] if items else OPAQUE, tuple(items[1:])))
        elif name == "BUILD":
            state, obj = self._pop(), self._pop()
            if isinstance(obj, _Call):
                obj.state = state
                if _is_joblib_wrapper(obj):
                    push(obj)
                    return obj
            push(obj)
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[arg] = self.stack[-1] if self.stack else OPAQUE
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = self.stack[-1] if self.stack else OPAQUE
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            push(self.memo.get(arg, OPAQUE))
        else:
            self._generic(op, arg)
        return None

    def _generic(self, op: pickletools.OpcodeInfo, arg: object) -> None:
        """Containers and literals keep their values; anything else is opaque."""
        name = op.name
        before = op.stack_before
        items: list[object] = []
        if _MARK in before:
            items = self._pop_mark()
            below = before[: before.index(_MARK)]
        else:
            below = [s for s in before if s is not _STACKSLICE]
            items = [self._pop() for _ in below][::-1]
            below = []
        owners = [self._pop() for _ in below][::-1]
        if name in ("TUPLE", "TUPLE1", "TUPLE2", "TUPLE3"):
            self.stack.append(tuple(items[:MAX_CONTAINER]))
        elif name == "LIST":
            self.stack.append(items[:MAX_CONTAINER])
        elif name == "DICT":
            self.stack.append(_pairs(items))
        elif name in ("APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS"):
            owner = owners[0] if owners else items.pop(0)
            if isinstance(owner, list) and len(owner) < MAX_CONTAINER:
                owner.extend(items[: MAX_CONTAINER - len(owner)])
            elif isinstance(owner, dict) and len(owner) < MAX_CONTAINER:
                owner.update(_pairs(items))
            self.stack.append(owner)
        elif name == "EMPTY_LIST":
            self.stack.append([])
        elif name == "EMPTY_DICT":
            self.stack.append({})
        elif name == "EMPTY_TUPLE":
            self.stack.append(())
        elif name in ("NONE", "NEWTRUE", "NEWFALSE"):
            self.stack.append({"NONE": None, "NEWTRUE": True, "NEWFALSE": False}[name])
        elif name == "DUP":
            self.stack.extend(items * 2)
        elif name == "MARK":
            self.stack.append(_MARK)
        elif not op.stack_before and len(op.stack_after) == 1 and op.arg is not None:
            self.stack.append(_literal(arg))
        else:
            self.stack.extend(OPAQUE for _ in op.stack_after)

    def _skip_joblib_array(self, wrapper: _Call) -> None:
        """joblib writes each array's bytes right after its wrapper (joblib/numpy_pickle.py
        `NumpyArrayWrapper.write_array`): object arrays as a nested pickle, others raw, after
        one padding-length byte and that much padding when `numpy_array_alignment_bytes`."""
        state = wrapper.state if isinstance(wrapper.state, dict) else {}
        itemsize = _itemsize(state.get("dtype"))
        if itemsize == 0:
            if self.depth >= MAX_NESTING:
                raise PickleScanError(f"offset {self.reader.pos}: pickles nested too deep")
            nested = _Machine(self.reader, self.imports, self.depth + 1)
            nested.run()
            return
        shape = state.get("shape")
        if (
            itemsize is None
            or not isinstance(shape, tuple)
            or not all(isinstance(n, int) and n >= 0 for n in shape)
        ):
            raise PickleScanError(f"offset {self.reader.pos}: joblib array of unknown size")
        if state.get("numpy_array_alignment_bytes") is not None:
            self.reader.skip(self.reader.read(1)[0])
        self.reader.skip(math.prod(shape) * itemsize)


@dataclass(slots=True)
class _Replay:
    """A length-prefixed argument, re-read by pickletools' own reader."""

    data: bytes
    pos: int = 0

    def read(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk


def _literal(value: object) -> object:
    if isinstance(value, str | bytes) and len(value) > MAX_KEPT_STRING:
        return OPAQUE
    return value


_SCALAR_KEYS = (str, bytes, int, float, bool, type(None))


def _pairs(items: list[object]) -> dict[object, object]:
    """Keys are kept only when they are scalars (joblib's are strings): hashing a tuple
    hashes what it holds, recursively in C, so a key nested 300,000 tuples deep crashed the
    interpreter; a container key, or an unhashable one, is data we do not need."""
    pairs = zip(items[0 : MAX_CONTAINER * 2 : 2], items[1 : MAX_CONTAINER * 2 : 2], strict=False)
    return {key: value for key, value in pairs if isinstance(key, _SCALAR_KEYS)}


def _is_joblib_wrapper(call: _Call) -> bool:
    func = call.func
    return (
        isinstance(func, _Global)
        and func.module == "joblib.numpy_pickle"
        and func.name == "NumpyArrayWrapper"
    )


_DTYPE = re.compile(r"[<>|=]?([a-zA-Z])(\d*)")


def _itemsize(dtype: object) -> int | None:
    """Bytes per element of a pickled `numpy.dtype(...)`; 0 for object arrays; None unknown."""
    if not isinstance(dtype, _Call) or not isinstance(dtype.args, tuple) or not dtype.args:
        return None
    code = dtype.args[0]
    if not isinstance(code, str):
        return None
    match = _DTYPE.fullmatch(code)
    if match is None:
        return None
    kind, digits = match.groups()
    if kind == "O":
        return 0
    state = dtype.state
    # numpy's dtype state: (version, byteorder, subarray, names, fields, elsize, align, flags)
    if isinstance(state, tuple) and len(state) > 5 and isinstance(state[5], int) and state[5] > 0:
        if len(state) > 4 and state[4] is not None:
            return None  # structured: may hold objects; not followed
        return int(state[5])
    return int(digits) if digits else (1 if kind in "b?" else None)


def scan_pickles(stream: BinaryIO, *, several: bool = False) -> PickleScan:
    """Every import in the pickle at the start of `stream` (and, with `several`, in the
    pickles that follow it, as PyTorch's legacy format stacks them; bytes after the last
    one are data). Never raises for bad input: the scan says where it stopped."""
    imports: list[PickleImport] = []
    reader = _Reader(stream)
    count = 0
    while True:
        start = reader.pos
        first = reader.peek1()
        if not first or (count and first != b"\x80"):
            break
        machine = _Machine(reader, imports)
        try:
            machine.run(first)
        except PickleScanError as exc:
            return PickleScan(tuple(imports), count, None if count else str(exc))
        except (ValueError, UnicodeDecodeError) as exc:  # pickletools' own readers
            message = f"offset {start}: {exc}"
            return PickleScan(tuple(imports), count, None if count else message)
        count += 1
        if not several:
            break
    if count == 0:
        return PickleScan(tuple(imports), 0, "empty stream")
    return PickleScan(tuple(imports), count)
