"""Which pickle imports are known to be dangerous, and which are known to be harmless.

The scanner is our own (`auditor.weights.pickles`); its lists are data copied from the two
scanners the Hub and the industry use, so a file either of them flags is flagged here too:

- picklescan 1.0.5 `src/picklescan/scanner.py` `_unsafe_globals` / `_safe_globals`
  (github.com/mmaitre314/picklescan, the scanner behind the Hub's Pickle Import scan);
- modelscan 0.8 `modelscan/settings.py` `unsafe_globals` CRITICAL and HIGH
  (github.com/protectai/modelscan);
- PyTorch's `torch/_weights_only_unpickler.py` `_get_allowed_globals` (what `torch.load`
  accepts by default since 2.6) for the harmless tensor-rebuild helpers.

`"*"` covers the module and all its submodules (picklescan's rule). Anything on neither list
is an *unknown import*: the pickle calls code we cannot vouch for (`medium`).
"""

from __future__ import annotations

ALL = "*"

DANGEROUS: dict[str, str | frozenset[str]] = {
    # picklescan 1.0.5 _unsafe_globals
    "__builtin__": frozenset(
        {"eval", "compile", "getattr", "apply", "exec", "open", "breakpoint", "__import__"}
    ),
    "builtins": frozenset(
        {"eval", "compile", "getattr", "apply", "exec", "open", "breakpoint", "__import__"}
    ),
    "aiohttp": ALL,
    "asyncio": ALL,
    "bdb": ALL,
    "commands": ALL,
    "ctypes": ALL,
    "functools": frozenset({"partial"}),
    "httplib": ALL,
    "numpy.f2py": ALL,
    "numpy.testing._private.utils": ALL,
    "nt": ALL,
    "posix": ALL,
    "operator": frozenset({"attrgetter", "itemgetter", "methodcaller"}),
    "_operator": frozenset({"attrgetter", "itemgetter", "methodcaller"}),
    "os": ALL,
    "requests.api": ALL,
    "runpy": ALL,
    "shutil": ALL,
    "socket": ALL,
    "ssl": ALL,
    "subprocess": ALL,
    "sys": ALL,
    "code": frozenset({"InteractiveInterpreter.runcode"}),
    "cProfile": frozenset({"runctx", "run"}),
    "distutils.file_util": ALL,
    "doctest": frozenset({"debug_script"}),
    "ensurepip": frozenset({"_run_pip"}),
    "idlelib.autocomplete": frozenset(
        {"AutoComplete.get_entity", "AutoComplete.fetch_completions"}
    ),
    "idlelib.calltip": frozenset({"Calltip.fetch_tip", "get_entity"}),
    "idlelib.debugobj": frozenset({"ObjectTreeItem.SetText"}),
    "idlelib.pyshell": frozenset({"ModifiedInterpreter.runcode", "ModifiedInterpreter.runcommand"}),
    "idlelib.run": frozenset({"Executive.runcode"}),
    "lib2to3.pgen2.grammar": frozenset({"Grammar.loads"}),
    "lib2to3.pgen2.pgen": frozenset({"ParserGenerator.make_label"}),
    "pdb": ALL,
    "pickle": ALL,
    "_pickle": ALL,
    "pip": ALL,
    "pty": ALL,
    "profile": frozenset({"Profile.run", "Profile.runctx"}),
    "pydoc": ALL,
    "timeit": ALL,
    "torch._dynamo.guards": frozenset({"GuardBuilder.get"}),
    "torch._inductor.codecache": frozenset({"compile_file"}),
    "torch.fx.experimental.symbolic_shapes": frozenset({"ShapeEnv.evaluate_guards_expression"}),
    "torch.jit.unsupported_tensor_ops": frozenset({"execWrapper"}),
    "torch.serialization": frozenset({"load"}),
    "torch.utils._config_module": frozenset({"ConfigModule.load_config"}),
    "torch.utils.bottleneck.__main__": frozenset({"run_cprofile", "run_autograd_prof"}),
    "torch.utils.collect_env": frozenset({"run"}),
    "torch.utils.data.datapipes.utils.decoder": frozenset({"basichandlers"}),
    "trace": frozenset({"Trace.run", "Trace.runctx"}),
    "venv": ALL,
    "webbrowser": ALL,
    # modelscan 0.8 settings.py, HIGH (its CRITICAL entries are all above)
    "aiohttp.client": ALL,
    # picklescan's list names `pickle` whole; `_io.FileIO` and `logging.FileHandler` open
    # files, `pkgutil.resolve_name` imports anything (GHSA universal bypass), `importlib`
    # and `marshal`/`types.CodeType` rebuild code (fickling's UnsafeImports list).
    "_io": frozenset({"FileIO", "open"}),
    "io": frozenset({"FileIO", "open"}),
    "logging": frozenset({"FileHandler"}),
    "pkgutil": frozenset({"resolve_name", "get_importer"}),
    "importlib": ALL,
    "marshal": ALL,
    "types": frozenset({"CodeType", "FunctionType"}),
    "multiprocessing": ALL,
    "codeop": ALL,
    "urllib.request": ALL,
    "uuid": ALL,
    "_osx_support": ALL,
    "_aix_support": ALL,
    "_pyrepl": ALL,
    "_posixsubprocess": ALL,
    "torch.hub": ALL,
    "torch.jit": frozenset({"load"}),
    "numpy": frozenset({"load", "loads"}),
    "joblib": frozenset({"load"}),
    "dill": ALL,
    "cloudpickle": ALL,
}

HARMLESS: dict[str, str | frozenset[str]] = {
    # picklescan 1.0.5 _safe_globals
    "collections": frozenset({"OrderedDict", "Counter", "defaultdict", "deque"}),
    "torch": frozenset(
        {
            "LongStorage",
            "FloatStorage",
            "HalfStorage",
            "QUInt2x4Storage",
            "QUInt4x2Storage",
            "QInt32Storage",
            "QInt8Storage",
            "QUInt8Storage",
            "ComplexFloatStorage",
            "ComplexDoubleStorage",
            "DoubleStorage",
            "BFloat16Storage",
            "BoolStorage",
            "CharStorage",
            "ShortStorage",
            "IntStorage",
            "ByteStorage",
            # torch/_weights_only_unpickler.py allowed globals
            "Size",
            "Tensor",
            "device",
            "float32",
            "float16",
            "bfloat16",
            "float64",
            "int64",
            "int32",
            "int8",
            "uint8",
            "bool",
            "UntypedStorage",
        }
    ),
    "numpy": frozenset({"dtype", "ndarray"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    # ndarray.__reduce_ex__ at protocol 5 rebuilds contiguous arrays from their bytes
    # (numpy/_core/numeric.py `_frombuffer`).
    "numpy._core.numeric": frozenset({"_frombuffer"}),
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    "numpy.dtypes": ALL,
    "torch._utils": frozenset(
        {
            "_rebuild_tensor",
            "_rebuild_tensor_v2",
            "_rebuild_tensor_v3",
            "_rebuild_parameter",
            "_rebuild_parameter_with_state",
            "_rebuild_qtensor",
            "_rebuild_sparse_tensor",
            "_rebuild_meta_tensor_no_storage",
            "_rebuild_nested_tensor",
        }
    ),
    "torch.nn.parameter": frozenset({"Parameter"}),
    "torch.serialization": frozenset({"_get_layout"}),
    "torch._tensor": frozenset({"_rebuild_from_type_v2"}),
    # Protocol 2 pickles bytes through _codecs.encode; torch's allowlist has it too.
    "_codecs": frozenset({"encode"}),
    "__builtin__": frozenset({"set", "frozenset", "bytearray", "complex", "slice", "range"}),
    "builtins": frozenset({"set", "frozenset", "bytearray", "complex", "slice", "range"}),
    "copyreg": frozenset({"_reconstructor"}),
    "copy_reg": frozenset({"_reconstructor"}),
    # joblib's wrapper for arrays stored after the pickle (joblib/numpy_pickle.py)
    "joblib.numpy_pickle": frozenset({"NumpyArrayWrapper"}),
    "sklearn.utils._bunch": frozenset({"Bunch"}),
}


def _listed(table: dict[str, str | frozenset[str]], module: str, name: str) -> bool:
    names = table.get(module)
    if names is not None and (names == ALL or name in names):
        return True
    parts = module.split(".")
    return any(table.get(".".join(parts[:i])) == ALL for i in range(1, len(parts)))


def is_dangerous(module: str, name: str) -> bool:
    """A callable that can run commands, open files, import modules or load more pickles."""
    return _listed(DANGEROUS, module, name)


def is_harmless(module: str, name: str) -> bool:
    """A constructor of plain data (tensors, arrays, ordered dicts)."""
    return _listed(HARMLESS, module, name) and not is_dangerous(module, name)
