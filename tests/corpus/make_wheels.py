"""Write the crafted wheels of the corpus (wheels.toml, manifests.toml) into OUTDIR, byte for byte the same
on every run and machine: stored (not deflated) members, fixed dates, fixed order, and ELF files built
here from nothing (a system library's bytes differ between machines).

    python tests/corpus/make_wheels.py tests/corpus/inputs

Consumers are ``wheel-1.0-<case>-...whl`` (distribution ``wheel``, package ``demo``), providers
``manifest-1.0-<case>-...whl`` (distribution ``manifest``, package ``manifest``): the case is the
build tag, so every file is a valid wheel name that only its contents make hostile.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import struct
import sys
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["record", "tiny_elf", "wheel_bytes"]

DATE = (1980, 1, 1, 0, 0, 0)
PLATFORM = "py3-none-linux_x86_64"


# --- ELF ----------------------------------------------------------------------------------------

_DT = {
    "NULL": 0,
    "NEEDED": 1,
    "STRSZ": 10,
    "SYMENT": 11,
    "STRTAB": 5,
    "SYMTAB": 6,
    "SONAME": 14,
    "RPATH": 15,
    "RUNPATH": 29,
    "FILTER": 0x7FFFFFFF,
}


def tiny_elf(
    *,
    soname: str = "",
    needed: tuple[str, ...] = (),
    runpath: str | None = None,
    rpath: str | None = None,
    init: str = "",
    filters: tuple[str, ...] = (),
) -> bytes:
    """A minimal x86-64 ELF shared object: a dynamic section with DT_NEEDED, DT_SONAME, DT_RUNPATH,
    DT_RPATH or DT_FILTER as given, and (INIT) an exported function PyInit_<INIT> that makes it an
    extension module to auditwheel. Section and program headers are complete enough for pyelftools and
    auditwheel; it is never loaded."""
    strings = b"\0"
    offsets: dict[str, int] = {}
    for text in [*needed, soname, runpath or "", rpath or "", f"PyInit_{init}" if init else "", *filters]:
        if text and text not in offsets:
            offsets[text] = len(strings)
            strings += text.encode() + b"\0"
    header, phdrs = 64, 2 * 56
    text_off = 0x100
    text_data = b"\xc3" + b"\0" * 15  # ret
    dynstr_off = text_off + len(text_data)
    dynsym_off = (dynstr_off + len(strings) + 7) & ~7
    symbols = b"\0" * 24
    if init:
        # st_name, st_info (GLOBAL FUNC), st_other, st_shndx (.text), st_value, st_size
        symbols += struct.pack("<IBBHQQ", offsets[f"PyInit_{init}"], 0x12, 0, 1, text_off, 1)
    dynamic_off = dynsym_off + len(symbols)
    tags = [("NEEDED", offsets[n]) for n in needed]
    tags += [("SONAME", offsets[soname])] if soname else []
    tags += [("RUNPATH", offsets[runpath])] if runpath is not None else []
    tags += [("RPATH", offsets[rpath])] if rpath is not None else []
    tags += [("FILTER", offsets[name]) for name in filters]
    tags += [("STRTAB", dynstr_off), ("STRSZ", len(strings)), ("SYMTAB", dynsym_off), ("SYMENT", 24), ("NULL", 0)]
    dynamic = b"".join(struct.pack("<qQ", _DT[tag], value) for tag, value in tags)
    shstrtab = b"\0.text\0.dynstr\0.dynsym\0.dynamic\0.shstrtab\0"
    shstrtab_off = dynamic_off + len(dynamic)
    shoff = (shstrtab_off + len(shstrtab) + 7) & ~7
    size = shoff + 6 * 64

    def section(name: str, kind: int, flags: int, offset: int, length: int, link: int = 0, entsize: int = 0) -> bytes:
        addr = offset if flags else 0
        return struct.pack("<IIQQQQIIQQ", shstrtab.index(name.encode()), kind, flags, addr, offset, length, link,
                           1 if kind == 11 else 0, 8, entsize)  # fmt: skip

    sections = b"\0" * 64
    sections += section(".text", 1, 0x6, text_off, len(text_data))
    sections += section(".dynstr", 3, 0x2, dynstr_off, len(strings))
    sections += section(".dynsym", 11, 0x2, dynsym_off, len(symbols), link=2, entsize=24)
    sections += section(".dynamic", 6, 0x3, dynamic_off, len(dynamic), link=2, entsize=16)
    sections += section(".shstrtab", 3, 0, shstrtab_off, len(shstrtab))
    ident = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    elf_header = ident + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, header, shoff, 0, 64, 56, 2, 64, 6, 5)
    load = struct.pack("<IIQQQQQQ", 1, 5, 0, 0, 0, size, size, 0x1000)
    dyn = struct.pack("<IIQQQQQQ", 2, 6, dynamic_off, dynamic_off, dynamic_off, len(dynamic), len(dynamic), 8)
    out = bytearray(size)
    for offset, data in (
        (0, elf_header),
        (header, load + dyn),
        (text_off, text_data),
        (dynstr_off, strings),
        (dynsym_off, symbols),
        (dynamic_off, dynamic),
        (shstrtab_off, shstrtab),
        (shoff, sections),
    ):
        out[offset : offset + len(data)] = data
    assert header + phdrs <= text_off
    return bytes(out)


# --- wheels -------------------------------------------------------------------------------------


def _digest(data: bytes, algorithm: str = "sha256") -> str:
    return base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()


def record(members: dict[str, bytes], dist_info: str) -> bytes:
    """The RECORD an honest build writes for MEMBERS: path, sha256, size; RECORD itself last, empty."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows((name, f"sha256={_digest(data)}", len(data)) for name, data in members.items())
    writer.writerow((f"{dist_info}/RECORD", "", ""))
    return text.getvalue().encode()


def wheel_bytes(
    name: str,
    tag: str,
    members: dict[str, bytes],
    *,
    requires: tuple[str, ...] = (),
    version: str = "1.0",
    dist_info: str = "",
    metadata: bytes = b"",
    record_text: bytes | Callable[[bytes], bytes] | None = b"",
    after: dict[str, bytes | None] | None = None,
    extra: list[tuple[str, bytes]] | None = None,
) -> bytes:
    """A wheel NAME-VERSION with MEMBERS, its METADATA (or METADATA) and WHEEL in DIST_INFO (default
    NAME-VERSION.dist-info), and RECORD: honest (b""), rewritten by RECORD_TEXT (a callable on the honest
    text, or bytes), or left out (None). AFTER changes members once RECORD is written (None removes one);
    EXTRA entries are written as they are, duplicates included."""
    dist_info = dist_info or f"{name}-{version}.dist-info"
    headers = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    files = {
        **members,
        f"{dist_info}/METADATA": metadata or headers.encode(),
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n".encode(),
    }
    honest = record(files, dist_info)
    if record_text is not None:
        text = record_text(honest) if callable(record_text) else record_text or honest
        files[f"{dist_info}/RECORD"] = text
    for member, data in (after or {}).items():
        if data is None:
            files.pop(member, None)
        else:
            files[member] = data
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate names some cases need
        for member, data in [*files.items(), *(extra or [])]:
            info = zipfile.ZipInfo(member, date_time=DATE)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, data)
    return out.getvalue()


# --- the corpus ---------------------------------------------------------------------------------

GOOD_INIT = b'"""demo: a consumer of the manifest provider."""\n\nfrom . import _distributor_init  # noqa: F401\nfrom ._core import f\n'
LOADER = b'"""Loads the provider first."""\n\nimport manifest  # noqa: F401\n'
CORE = "demo/_core.cpython-311-x86_64-linux-gnu.so"
PROVIDES = "libmanifest.so.1"
REQUIRES = ("manifest>=1.0,<2",)
MANIFEST = {
    "schema": 1,
    "name": "manifest",
    "version": "1.0",
    "requirement": "manifest>=1.0,<2",
    "preload": "manifest",
    "sonames": [PROVIDES],
    "requires": [],
    "pkgconfig": ["manifest"],
    "cmake_package": "manifest",
}


def core(**kwargs: object) -> bytes:
    return tiny_elf(needed=(PROVIDES, "libc.so.6"), init="_core", **kwargs)  # type: ignore[arg-type]


def consumer(init: bytes = GOOD_INIT, files: dict[str, bytes | None] | None = None) -> dict[str, bytes]:
    """demo's members: __init__.py, the loader and an extension that needs libmanifest.so.1; FILES
    replace or add members, None removes one."""
    members: dict[str, bytes | None] = {"demo/__init__.py": init, "demo/_distributor_init.py": LOADER, CORE: core()}
    members.update(files or {})
    return {k: v for k, v in members.items() if v is not None}


def provider(manifest: bytes | None = None, lib: bytes | None = None) -> dict[str, bytes]:
    files = {"manifest/__init__.py": b"", "manifest/lib/libmanifest.so.1": lib or tiny_elf(soname=PROVIDES)}
    if manifest is not None:
        files["manifest/libwrap.json"] = manifest
    return files


#: A libwrap provider that passes every check of a provider wheel: what a libwrap build ships, in small.
PC = b"""prefix=${pcfiledir}/../..
libdir=${prefix}/lib
includedir=${prefix}/include

Name: manifest
Description: libmanifest.so.1
Version: 1.0
Libs: -L${libdir} -lmanifest
Cflags: -I${includedir}
"""
CMAKE_CONFIG = b"""get_filename_component(PACKAGE_PREFIX_DIR "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
add_library(manifest::manifest SHARED IMPORTED)
set_target_properties(manifest::manifest PROPERTIES IMPORTED_LOCATION "${PACKAGE_PREFIX_DIR}/lib/libmanifest.so.1")
"""
COMPLETE = {
    **MANIFEST,
    "library": PROVIDES,
    "versioned_symbols": False,
    "link_name": "manifest",
    "dependencies": [],
    "upstream_soname": PROVIDES,
    "system_filter": "",
}
LICENSED = b"Metadata-Version: 2.4\nName: manifest\nVersion: 1.0\nLicense-File: LICENSE\n"


def complete_provider(
    changes: Mapping[str, object] | None = None, files: Mapping[str, bytes | None] | None = None
) -> dict[str, bytes]:
    """The members of the provider that passes every check, with libwrap.json's CHANGES (... removes a
    key) and FILES replaced, added or (None) removed; its METADATA is LICENSED."""
    data = dict(COMPLETE)
    for key, value in (changes or {}).items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    members: dict[str, bytes | None] = {
        "manifest/__init__.py": b"",
        "manifest/_init.abi3.so": tiny_elf(needed=(PROVIDES, "libc.so.6"), runpath="$ORIGIN/lib", init="_init"),
        "manifest/include/manifest.h": b'#define MANIFEST_CONFIG "/etc/manifest.conf"  /* a system path: fine */\n',
        f"manifest/lib/{PROVIDES}": tiny_elf(soname=PROVIDES, needed=("libc.so.6",)),
        "manifest/lib/libmanifest.a": f"INPUT({PROVIDES})\n".encode(),
        "manifest/lib/pkgconfig/manifest.pc": PC,
        "manifest/lib/cmake/manifest/manifestConfig.cmake": CMAKE_CONFIG,
        "manifest/libwrap.json": json.dumps(data, indent=2).encode(),
        "manifest-1.0.dist-info/licenses/LICENSE": b"Permission is granted.\n",
    }
    members.update(files or {})
    return {k: v for k, v in members.items() if v is not None}


def complete_wheel(
    case: str, members: dict[str, bytes], metadata: bytes = LICENSED, **kwargs: object
) -> tuple[str, bytes]:
    return provider_wheel(case, members, metadata=metadata, **kwargs)


def manifest(**changes: object) -> bytes:
    data = dict(MANIFEST)
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    return json.dumps(data, indent=2).encode()


def _edit_row(path: str, field: int, value: str) -> Callable[[bytes], bytes]:
    def edit(text: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(text.decode())))
        for row in rows:
            if row[0] == path:
                row[field] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode()

    return edit


def _patch(data: bytes, old: bytes, new: bytes, count: int = 2) -> bytes:
    assert len(old) == len(new)
    assert data.count(old) == count, (old, data.count(old))
    return data.replace(old, new)


def _flags(data: bytes, name: bytes, *, flags: int = 0, method: int | None = None) -> bytes:
    """DATA with the local and central headers of member NAME given more flag bits, or another method."""
    out = bytearray(data)
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (start := out.find(signature, start)) != -1:
            name_len = struct.unpack_from("<H", out, start + (26 if signature == b"PK\x03\x04" else 28))[0]
            head = 30 if signature == b"PK\x03\x04" else 46
            if bytes(out[start + head : start + head + name_len]) == name:
                struct.pack_into("<H", out, start + flag_at, struct.unpack_from("<H", out, start + flag_at)[0] | flags)
                if method is not None:
                    struct.pack_into("<H", out, start + method_at, method)
            start += 4
    return bytes(out)


def consumer_wheel(case: str, members: dict[str, bytes] | None = None, **kwargs: object) -> tuple[str, bytes]:
    kwargs.setdefault("requires", REQUIRES)
    name = f"wheel-1.0-1_{case}-{PLATFORM}.whl"
    return name, wheel_bytes("wheel", PLATFORM, consumer() if members is None else members, **kwargs)  # type: ignore[arg-type]


def provider_wheel(case: str, members: dict[str, bytes], **kwargs: object) -> tuple[str, bytes]:
    name = f"manifest-1.0-1_{case}-{PLATFORM}.whl"
    return name, wheel_bytes("manifest", PLATFORM, members, **kwargs)  # type: ignore[arg-type]


INIT = "demo/__init__.py"
DIST = "wheel-1.0.dist-info"
# __init__.py bodies that really load the extension before the providers, or may: check must fail on each
PATTERNS = {
    "import_module": b"import importlib\n\nimportlib.import_module('demo._core')\nfrom . import _distributor_init\n",
    "dunder_import": b"__import__('demo._core')\nfrom . import _distributor_init\n",
    "importlib_dunder_import": b"import importlib\n\nimportlib.__import__('demo._core')\nfrom . import _distributor_init\n",
    "lazy_getattr": (
        b"def __getattr__(name):\n    import importlib\n\n    return importlib.import_module('demo._' + name)\n\n\n"
        b"from . import core\nfrom . import _distributor_init\n"
    ),
    "if_branch": b"import os\n\nif os.environ.get('DEMO_PRELOAD'):\n    from . import _distributor_init\nfrom ._core import f\n",
    "try_pass": (
        b"try:\n    import demo_missing_module\n    from . import _distributor_init\nexcept ImportError:\n    pass\n"
        b"from ._core import f\n"
    ),
    "in_function": b"def preload():\n    from . import _distributor_init\n\n\nfrom ._core import f\n",
    "exec": b"exec('from demo import _core')\nfrom . import _distributor_init\n",
    "eval": b"eval(\"__import__('demo._core')\")\nfrom . import _distributor_init\n",
    "getattr_helper": (
        b"import importlib\n\nload = getattr(importlib, 'import_module')\nload('demo._core')\nfrom . import _distributor_init\n"
    ),
    "importlib_util": (
        b"import importlib.util\n\nspec = importlib.util.find_spec('demo._core')\nfrom . import _distributor_init\n"
    ),
    "ctypes_cdll": b"import ctypes\nimport os\n\nctypes.CDLL(os.path.join(os.path.dirname(__file__), 'x.so'))\n"
    b"from . import _distributor_init\n",
    "for_loop": b"for _ in range(1):\n    from . import _distributor_init\nfrom ._core import f\n",
    "while_loop": b"while True:\n    from . import _distributor_init\n    break\nfrom ._core import f\n",
    "class_body": b"class Loader:\n    from . import _distributor_init\n\n\nfrom ._core import f\n",
    "shadowed": b"_distributor_init = None\nfrom . import _distributor_init\nfrom ._core import f\n",
    "suppress": (
        b"import contextlib\n\nwith contextlib.suppress(ImportError):\n    from . import _distributor_init\nfrom ._core import f\n"
    ),
    "own_function": b"def load():\n    import importlib\n\n    importlib.import_module('demo._core')\n\n\nload()\n"
    b"from . import _distributor_init\n",
    "extension_first": b"from ._core import f\nfrom . import _distributor_init\n",
    "never": b'"""Mentions _distributor_init, and imports it nowhere."""\n\nfrom ._core import f\n',
    "dead_branch": b"if False:\n    from . import _distributor_init\nfrom ._core import f\n",
    "sys_modules": b"import sys\n\nsys.modules['demo._distributor_init'] = sys\nfrom . import _distributor_init\n",
    "star_own_package": b"from .sub import *\nfrom . import _distributor_init\n",
    "own_module_imports_extension": b"from . import helpers\nfrom . import _distributor_init\n",
    "own_module_calls_import_module": b"from . import lazy\nfrom . import _distributor_init\n",
    "own_module_getattr": b"from .lazymod import thing\nfrom . import _distributor_init\n",
    "top_level_extension": b"import _demo_backend\nfrom . import _distributor_init\n",
    "not_python": b"from . import _distributor_init\nfrom ._core import (\n",
}
EXTRA_FILES = {
    "star_own_package": {"demo/sub/__init__.py": b"__all__ = ['_ext']\n", "demo/sub/_ext.abi3.so": core()},
    "own_module_imports_extension": {"demo/helpers.py": b"from ._core import f\n"},
    "own_module_calls_import_module": {
        "demo/lazy.py": b"import importlib\n\ncore = importlib.import_module('demo._core')\n"
    },
    "own_module_getattr": {"demo/lazymod.py": b"def __getattr__(name):\n    return name\n"},
    "top_level_extension": {"_demo_backend.abi3.so": tiny_elf(needed=("libc.so.6",), init="_demo_backend")},
}


def corpus() -> dict[str, bytes]:
    out: dict[str, bytes] = {}

    def add(item: tuple[str, bytes]) -> None:
        assert item[0] not in out, item[0]
        out[item[0]] = item[1]

    good = consumer()
    add(consumer_wheel("good"))
    # RECORD that disagrees with the members
    add(consumer_wheel("record_missing", record_text=None))
    add(consumer_wheel("record_fields", record_text=lambda t: t.replace(b",sha256=", b";sha256=", 1)))
    add(consumer_wheel("record_not_utf8", record_text=lambda t: t.replace(b"demo/", b"d\xffmo/", 1)))
    add(consumer_wheel("init_changed", after={INIT: GOOD_INIT.replace(b"from . import _distributor_init", b"pass")}))
    so = bytearray(good[CORE])
    so[0x101] = 0x90  # a byte of the function's padding: still valid ELF, another hash
    add(consumer_wheel("so_changed", after={CORE: bytes(so)}))
    add(consumer_wheel("unlisted_member", after={"demo/extra.py": b"import os\n"}))
    add(
        consumer_wheel(
            "listed_missing", record_text=lambda t: t + b"demo/gone.py,sha256=" + _digest(b"").encode() + b",0\n"
        )
    )
    add(consumer_wheel("size_wrong", record_text=_edit_row(INIT, 2, str(len(GOOD_INIT) + 1))))
    add(consumer_wheel("hash_md5", record_text=_edit_row(INIT, 1, f"md5={_digest(GOOD_INIT, 'md5')}")))
    add(consumer_wheel("hash_sha1", record_text=_edit_row(INIT, 1, f"sha1={_digest(GOOD_INIT, 'sha1')}")))
    add(consumer_wheel("hash_unknown", record_text=_edit_row(INIT, 1, "crc32=AAAAAA")))
    add(consumer_wheel("hash_empty", record_text=_edit_row(INIT, 1, "")))
    add(consumer_wheel("hash_garbage", record_text=_edit_row(INIT, 1, "sha256=!!not-base64!!")))
    add(consumer_wheel("size_empty", record_text=_edit_row(INIT, 2, "")))
    add(consumer_wheel("size_not_number", record_text=_edit_row(INIT, 2, "0x10")))
    add(consumer_wheel("listed_twice", record_text=lambda t: t + t.split(b"\n")[0] + b"\n"))
    add(consumer_wheel("record_hashes_itself", record_text=_edit_row(f"{DIST}/RECORD", 1, "sha256=" + _digest(b""))))
    evil = GOOD_INIT.replace(b"from . import _distributor_init", b"import os; os.system('true')")
    add(consumer_wheel("duplicate_member", extra=[(INIT, evil)]))
    # a second __init__.py hidden behind a NUL byte in its name: zipfile reads names up to the NUL
    name, data = consumer_wheel("nul_name", extra=[("demo/__init__.pyX", evil)])
    add((name, _patch(data, b"demo/__init__.pyX", b"demo/__init__.py\0")))
    # the zip itself
    add(("wheel-1.0-1_not_zip-" + PLATFORM + ".whl", b"PK\x03\x04 this is not a zip archive\n"))
    name, data = consumer_wheel("truncated")
    add((name, data[: len(data) // 2]))
    name, data = consumer_wheel("bad_crc")
    add((name, _patch(data, b"from ._core import f", b"from ._core import g", count=1)))
    name, data = consumer_wheel("encrypted")
    add((name, _flags(data, INIT.encode(), flags=0x1)))
    name, data = consumer_wheel("unknown_compression")
    add((name, _flags(data, INIT.encode(), method=99)))
    name, data = consumer_wheel("name_not_utf8", extra=[("demo/nameX.py", b"")])
    add((name, _flags(_patch(data, b"demo/nameX.py", b"demo/name\xff.py"), b"demo/name\xff.py", flags=0x800)))
    # the .dist-info directory
    add(consumer_wheel("no_dist_info", record_text=None, after={f"{DIST}/METADATA": None, f"{DIST}/WHEEL": None}))
    add(consumer_wheel("two_dist_infos", members={**good, "other-1.0.dist-info/METADATA": b"Name: other\n"}))
    add(consumer_wheel("dist_info_other_name", dist_info="other-1.0.dist-info"))
    add(consumer_wheel("dist_info_other_version", dist_info="wheel-2.0.dist-info"))
    add(
        consumer_wheel(
            "no_wheel_file", after={f"{DIST}/WHEEL": None}, record_text=lambda t: _drop_row(t, f"{DIST}/WHEEL")
        )
    )
    add(
        consumer_wheel(
            "no_metadata", after={f"{DIST}/METADATA": None}, record_text=lambda t: _drop_row(t, f"{DIST}/METADATA")
        )
    )
    latin = b"Metadata-Version: 2.1\nName: wheel\nVersion: 1.0\nSummary: caf\xe9\n"
    add(consumer_wheel("metadata_not_utf8", metadata=latin))
    add(consumer_wheel("metadata_no_name", metadata=b"Metadata-Version: 2.1\nVersion: 1.0\n"))
    add(consumer_wheel("metadata_other_name", metadata=b"Metadata-Version: 2.1\nName: other\nVersion: 1.0\n"))
    # member names that leave the install directory
    for case, member in (
        ("traversal", "demo/../../evil.py"),
        ("absolute", "/etc/evil.py"),
        ("backslash", "demo\\..\\evil.py"),
        ("drive", "C:/evil.py"),
    ):
        add(consumer_wheel(case, members={**good, member: b"import os\n"}))
    # ELF members that are not ELF, or broken
    add(consumer_wheel("so_only_corrupt", members=consumer(files={CORE: b"\x7fELF\x02\x01\x01" + b"\xff" * 57})))
    add(consumer_wheel("corrupt_beside_good", members={**good, "demo/_extra.abi3.so": b"\x7fELF" + b"\0" * 60}))
    add(consumer_wheel("so_not_elf", members=consumer(files={CORE: b"this is a text file\n"})))
    add(consumer_wheel("pyd_not_elf", members={**good, "demo/_core.cp311-win_amd64.pyd": b"MZ\x90\0 a Windows DLL"}))
    add(consumer_wheel("library_not_elf", members={**good, "demo/lib/libfoo.so.1.2": b"INPUT(libfoo.so.1)\n"}))
    add(consumer_wheel("elf_magic_in_data", members={**good, "demo/data.bin": b"\x7fELF garbage that is no ELF file"}))
    add(consumer_wheel("elf_truncated", members={**good, "demo/_extra.abi3.so": core()[:300]}))
    broken = bytearray(core())
    struct.pack_into("<Q", broken, 40, 1 << 40)  # e_shoff far past the end
    add(consumer_wheel("elf_section_table_past_end", members={**good, "demo/_extra.abi3.so": bytes(broken)}))
    add(consumer_wheel("pure", members={"demo/__init__.py": b""}, requires=()))
    # text Python cannot read
    add(consumer_wheel("init_not_utf8", members=consumer(init=b"# caf\xe9\nfrom . import _distributor_init\n")))
    add(
        consumer_wheel(
            "init_unknown_coding",
            members=consumer(init=b"# -*- coding: klingon -*-\nfrom . import _distributor_init\n"),
        )
    )
    add(
        consumer_wheel(
            "loader_not_utf8", members=consumer(files={"demo/_distributor_init.py": b"import manifest  # caf\xe9\n"})
        )
    )
    add(consumer_wheel("no_init", members=consumer(files={INIT: None})))
    # search paths that find libraries outside the wheel
    for case, kwargs in (
        ("runpath_absolute", {"runpath": "/tmp/build-env/site-packages/manifest/lib"}),
        ("rpath_absolute", {"rpath": "/opt/build/lib"}),
        ("runpath_escapes", {"runpath": "$ORIGIN/../../../lib"}),
        ("runpath_into_provider", {"runpath": "$ORIGIN/../manifest/lib"}),
        ("runpath_empty_entry", {"runpath": "$ORIGIN:"}),
        ("runpath_relative", {"runpath": "lib"}),
        ("runpath_outside", {"runpath": "${ORIGIN}/../other.libs"}),
    ):
        add(consumer_wheel(case, members=consumer(files={CORE: core(**kwargs)})))
    # __init__.py that loads an extension before its providers, or may
    for case, init in PATTERNS.items():
        add(consumer_wheel(f"init_{case}", members={**consumer(init=init), **EXTRA_FILES.get(case, {})}))
    add(
        consumer_wheel(
            "loader_without_provider", members=consumer(files={"demo/_distributor_init.py": b"# import manifest\n"})
        )
    )
    add(consumer_wheel("undeclared", requires=()))
    add(
        consumer_wheel(
            "needs_missing_library",
            members=consumer(files={CORE: tiny_elf(needed=("libnowhere.so.7", "libc.so.6"), init="_core")}),
            requires=(),
        )
    )
    # no libc among its needs and a name that says none: auditwheel cannot tell which libc
    add(
        consumer_wheel(
            "no_libc",
            members=consumer(files={CORE: None, "demo/_core.abi3.so": tiny_elf(needed=(PROVIDES,), init="_core")}),
        )
    )

    # providers: manifests that lie, or do not parse
    add(provider_wheel("good", provider(manifest())))
    lib = f"manifest/lib/{PROVIDES}"
    add(
        complete_wheel(
            "runpath_absolute", complete_provider(files={lib: tiny_elf(soname=PROVIDES, runpath="/usr/local/lib")})
        )
    )
    # provider wheels whose files fail the builds and loaders of those that link to them: one flaw each
    pc = "manifest/lib/pkgconfig/manifest.pc"
    for case, files in (
        ("pc_build_prefix", {pc: PC.replace(b"${pcfiledir}/../..", b"/__w/manifest-wheels/build/manifest")}),
        (
            "pc_absolute_includedir",
            {pc: PC.replace(b"includedir=${prefix}/include", b"includedir=/usr/include/manifest")},
        ),
        (
            "cmake_absolute",
            {
                "manifest/lib/cmake/manifest/manifestConfig.cmake": CMAKE_CONFIG.replace(
                    b"${PACKAGE_PREFIX_DIR}/lib", b"/tmp/build/manifest/lib"
                )
            },
        ),
        (
            "la_file",
            {
                "manifest/lib/libmanifest.la": b"# libmanifest.la - a libtool library file\ndlname='libmanifest.so.1'\nlibdir='/usr/local/lib'\n"
            },
        ),
        (
            "header_build_path",
            {"manifest/include/manifest_paths.h": b'#define MANIFEST_DATADIR "/home/runner/work/manifest/share"\n'},
        ),
        (
            "config_script",
            {"manifest/bin/manifest-config": b"#!/bin/sh\nprefix=/opt/manifest\necho -I$prefix/include\n"},
        ),
        ("two_copies", {"manifest/lib/libmanifest.so": tiny_elf(soname=PROVIDES, needed=("libc.so.6",))}),
        ("license_unnamed", {"manifest-1.0.dist-info/licenses/NOTICE": b"Notice.\n"}),
        ("library_unlisted", {"manifest/lib/libextra.so.3": tiny_elf(soname="libextra.so.3", needed=("libc.so.6",))}),
        ("init_missing", {"manifest/_init.abi3.so": None}),
        (
            "init_misses_library",
            {"manifest/_init.abi3.so": tiny_elf(needed=("libc.so.6",), runpath="$ORIGIN/lib", init="_init")},
        ),
    ):
        add(complete_wheel(f"provider_{case}", complete_provider(files=files)))
    unlicensed = complete_provider(files={"manifest-1.0.dist-info/licenses/LICENSE": None})
    add(complete_wheel("provider_no_license", unlicensed, metadata=LICENSED.replace(b"License-File: LICENSE\n", b"")))
    add(complete_wheel("provider_license_missing", complete_provider(), metadata=LICENSED + b"License-File: COPYING\n"))
    for case, changes in (
        ("soname_not_shipped", {"sonames": [PROVIDES, "libother.so.2"]}),
        ("versioned_symbols_wrong", {"versioned_symbols": True}),
        ("library_not_listed", {"library": "libother.so.2"}),
        ("filter_missing", {"upstream_soname": "libupstream.so.1", "system_filter": f"lib/system/{PROVIDES}"}),
        ("pkgconfig_missing", {"pkgconfig": ["manifest", "manifest-extra"]}),
        ("requires_undeclared", {"requires": ["libzlib"], "dependencies": ["libzlib>=1.3.1,<2"]}),
        ("manifest_marker", {"requirement": "manifest>=1.0,<2; python_version < '3'"}),
    ):
        add(complete_wheel(f"provider_{case}", complete_provider(changes)))
    wrong_filter = tiny_elf(soname=PROVIDES, needed=("libc.so.6",), filters=("libwrong.so.1",))
    add(
        complete_wheel(
            "provider_filter_wrong",
            complete_provider(
                {"upstream_soname": "libupstream.so.1", "system_filter": f"lib/system/{PROVIDES}"},
                {f"manifest/lib/system/{PROVIDES}": wrong_filter},
            ),
        )
    )
    # a library wheel libwrap did not build: RAPIDS' libucx ships each library three times, and a .pc
    # with its CI prefix
    foreign = {
        f"manifest/lib/{name}": tiny_elf(soname=PROVIDES, needed=("libc.so.6",))
        for name in ("libmanifest.so", PROVIDES, "libmanifest.so.1.0.0")
    }
    add(complete_wheel("foreign_three_copies", {**foreign, "manifest-1.0.dist-info/licenses/LICENSE": b"x\n"}))
    add(
        complete_wheel(
            "foreign_misnamed",
            {
                "manifest/lib/libmanifest.so.1.0.0": tiny_elf(soname=PROVIDES),
                "manifest-1.0.dist-info/licenses/LICENSE": b"x\n",
            },
        )
    )
    for case, text in (
        ("marker", manifest(requirement="manifest>=1.0,<2; python_version < '3'")),
        ("other_distribution", manifest(requirement="numpy>=1.0")),
        ("unparsable", manifest(requirement="manifest >= = 1.0")),
        ("url", manifest(requirement="manifest @ https://example.invalid/manifest-1.0.whl")),
        ("extras", manifest(requirement="manifest[evil]>=1.0,<2")),
        ("unsatisfiable", manifest(requirement="manifest>=2,<3")),
        ("requirement_not_string", manifest(requirement=["manifest>=1.0"])),
        ("name_other", manifest(name="numpy", requirement="numpy>=1.0,<2")),
        ("name_invalid", manifest(name="../manifest")),
        ("name_missing", manifest(name=...)),
        ("version_invalid", manifest(version="one point oh")),
        ("version_other", manifest(version="2.0", requirement="manifest>=2.0,<3")),
        ("version_number", manifest(version=1.0)),
        ("sonames_not_list", manifest(sonames=PROVIDES)),
        ("sonames_empty", manifest(sonames=[])),
        ("soname_slash", manifest(sonames=["../../lib/libmanifest.so.1"])),
        ("soname_nul", manifest(sonames=["libmanifest.so.1\u0000.txt"])),
        ("soname_empty", manifest(sonames=[""])),
        ("soname_dotdot", manifest(sonames=[".."])),
        ("soname_not_string", manifest(sonames=[7])),
        ("preload_outside", manifest(preload="os")),
        ("preload_prefix", manifest(preload="manifestx")),
        ("preload_not_dotted", manifest(preload="manifest/../os")),
        ("preload_keyword", manifest(preload="manifest.import")),
        ("preload_not_string", manifest(preload={"module": "manifest"})),
        ("requires_not_list", manifest(requires="libz")),
        ("requires_bad_name", manifest(requires=["libz; rm -rf /"])),
        ("pkgconfig_bad", manifest(pkgconfig=["manifest --libs-only-L /etc"])),
        ("cmake_package_injection", manifest(cmake_package="manifest]==] message(FATAL_ERROR x) #")),
        ("not_json", b"{'name': 'manifest'}"),
        ("json_array", b"[]"),
        ("not_utf8", manifest().replace(b'"schema"', b'"sch\xe9ma"')),
        ("deep_nesting", b'{"name": ' + b"[" * 100000 + b"]" * 100000 + b"}"),
        ("nan_version", manifest().replace(b'"version": "1.0"', b'"version": NaN')),
    ):
        add(provider_wheel(f"manifest_{case}", provider(text)))
    add(
        provider_wheel(
            "record_tampered", provider(manifest()), after={"manifest/libwrap.json": manifest(sonames=["libc.so.6"])}
        )
    )
    add(provider_wheel("corrupt_library", provider(None, b"\x7fELF\x02\x01\x01" + b"\xff" * 57)))
    return out


def _drop_row(text: bytes, path: str) -> bytes:
    return b"".join(line for line in text.splitlines(keepends=True) if not line.startswith(path.encode() + b","))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: make_wheels.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, data in corpus().items():
        (out / name).write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
