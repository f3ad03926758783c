"""The one way templates are loaded: the package's templates folder, HTML escaping, and
compiled templates kept between runs."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader
from jinja2.bccache import Bucket

from .cache import cache_dir
from .paths import TEMPLATES_DIR


class _OptionalBytecodeCache(FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, as Python keeps .pyc files: each entry is keyed by
    its template's source checksum, in the per-user cache folder. It saves each kernel about
    0.2 s of compiling the section templates before its sections. A cache that cannot be
    written (a full disk) only makes the next run slower."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


@functools.cache
def _bytecode_cache() -> FileSystemBytecodeCache | None:
    folder = cache_dir("templates")
    return None if folder is None else _OptionalBytecodeCache(str(folder))


def template_environment(**options: Any) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(),
        **options,
    )
