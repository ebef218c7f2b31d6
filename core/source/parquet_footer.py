"""A Parquet file's row count, read from its footer without pyarrow.

Landing records every Parquet file's row count in the ledger; importing pyarrow for that alone
costs a landing-only run about a tenth of a second. The footer is small: the file ends with the
FileMetaData struct (Thrift compact protocol), its length (4 bytes, little-endian) and `PAR1`;
FileMetaData's field 3 is `num_rows` (i64). Anything unexpected (an encrypted footer, a type this
reader does not know) raises FooterError, and the caller asks pyarrow instead.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

MAGIC = b"PAR1"
_NUM_ROWS = 3  # FileMetaData: 1 version, 2 schema, 3 num_rows, 4 row_groups, ...
_MAX_FOOTER = 64 * 1024 * 1024  # a bigger footer is not one this reader should trust
_MAX_DEPTH = 64

# Thrift compact protocol type ids
_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT, _UUID = range(14)


class FooterError(ValueError):
    """The file's footer is not one this reader can read (the caller falls back to pyarrow)."""


def footer_bytes(path: Path | str) -> bytes:
    """The serialized FileMetaData at the end of a Parquet file."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < 12:
            raise FooterError("too short for a Parquet file")
        fh.seek(size - 8)
        tail = fh.read(8)
        if tail[4:] != MAGIC:
            raise FooterError("no PAR1 at the end (not Parquet, or an encrypted footer)")
        length = struct.unpack("<I", tail[:4])[0]
        if length == 0 or length > min(size - 12, _MAX_FOOTER):
            raise FooterError(f"footer length {length} does not fit the file")
        fh.seek(size - 8 - length)
        data = fh.read(length)
    if len(data) != length:
        raise FooterError("footer cut short")
    return data


def parquet_num_rows(path: Path | str) -> int:
    """FileMetaData.num_rows of a Parquet file (the sum of its row groups' rows)."""
    return _Reader(footer_bytes(path)).num_rows()


class _Reader:
    """Just enough of the Thrift compact protocol to walk a struct and skip what it does not need."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise FooterError("footer ends inside a value")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise FooterError("varint too long")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def skip_bytes(self, count: int) -> None:
        if count < 0 or self.pos + count > len(self.data):
            raise FooterError("footer ends inside a value")
        self.pos += count

    def field_header(self, last: int) -> tuple[int, int]:
        """The next field of a struct, after field `last`: (field id, type); type _STOP ends the struct."""
        header = self.byte()
        kind = header & 0x0F
        if kind == _STOP:
            return last, _STOP
        delta = header >> 4
        return (last + delta if delta else self.zigzag()), kind

    def skip(self, kind: int, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            raise FooterError("footer nested too deep")
        if kind in (_TRUE, _FALSE):
            return  # a struct field's boolean lives in its header
        if kind == _BYTE:
            self.skip_bytes(1)
        elif kind in (_I16, _I32, _I64):
            self.varint()
        elif kind == _DOUBLE:
            self.skip_bytes(8)
        elif kind == _UUID:
            self.skip_bytes(16)
        elif kind == _BINARY:
            self.skip_bytes(self.varint())
        elif kind in (_LIST, _SET):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            for _ in range(size):
                if element in (_TRUE, _FALSE):
                    self.skip_bytes(1)  # in a list a boolean is one byte
                else:
                    self.skip(element, depth + 1)
        elif kind == _MAP:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    for element in (types >> 4, types & 0x0F):
                        if element in (_TRUE, _FALSE):
                            self.skip_bytes(1)
                        else:
                            self.skip(element, depth + 1)
        elif kind == _STRUCT:
            self.skip_struct(depth + 1)
        else:
            raise FooterError(f"unknown Thrift compact type {kind}")

    def skip_struct(self, depth: int) -> None:
        field = 0
        while True:
            field, kind = self.field_header(field)
            if kind == _STOP:
                return
            self.skip(kind, depth)

    def num_rows(self) -> int:
        """Walk FileMetaData's top-level fields until num_rows."""
        field = 0
        while True:
            field, kind = self.field_header(field)
            if kind == _STOP:
                raise FooterError("FileMetaData has no num_rows")
            if field == _NUM_ROWS:
                if kind != _I64:
                    raise FooterError(f"num_rows has Thrift type {kind}, not i64")
                rows = self.zigzag()
                if rows < 0:
                    raise FooterError(f"num_rows is negative ({rows})")
                return rows
            self.skip(kind)
