#!/usr/bin/python3
"""An independent reader of TensorBoard event files, sharing no code with gan_dist: TFRecord
framing checked with the crc32c module, and the Event / Summary protobuf messages decoded
straight from the wire format with TensorBoard's field numbers. Prints what it found as JSON.
Exits 77 (skip) when the crc32c module is missing."""
import json
import struct
import sys

try:
    import crc32c
except ImportError:
    print("python3-crc32c is not installed")
    sys.exit(77)


def masked(data):
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    data = open(path, "rb").read()
    offset = 0
    while offset < len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        (length_crc,) = struct.unpack_from("<I", data, offset + 8)
        assert length_crc == masked(data[offset:offset + 8]), "length CRC at %d" % offset
        payload = data[offset + 12:offset + 12 + length]
        (data_crc,) = struct.unpack_from("<I", data, offset + 12 + length)
        assert data_crc == masked(payload), "data CRC at %d" % offset
        yield payload
        offset += 12 + length + 4


def fields(message):
    """(field number, wire type, value) of a protobuf message."""
    i = 0
    while i < len(message):
        key, i = varint(message, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(message, i)
        elif wire == 1:
            value, i = message[i:i + 8], i + 8
        elif wire == 2:
            length, i = varint(message, i)
            value, i = message[i:i + length], i + length
        elif wire == 5:
            value, i = message[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        yield number, wire, value


def varint(data, i):
    result = shift = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, i
        shift += 7


def main(path):
    found = {"file_version": None, "scalars": {}, "images": {}}
    for record in records(path):
        step, summary = 0, None
        for number, wire, value in fields(record):
            if number == 2:
                step = value
            elif number == 3:
                found["file_version"] = value.decode()
            elif number == 5:
                summary = value
        if summary is None:
            continue
        for number, _, value in fields(summary):
            if number != 1:
                continue
            tag, scalar, image = None, None, None
            for n, _, v in fields(value):
                if n == 1:
                    tag = v.decode()
                elif n == 2:
                    (scalar,) = struct.unpack("<f", v)
                elif n == 4:
                    image = {k: x for k, _, x in fields(v)}
            if scalar is not None:
                found["scalars"].setdefault(tag, []).append([step, scalar])
            if image is not None:
                found["images"].setdefault(tag, []).append(
                    [step, image.get(2, 0), image.get(1, 0), image.get(4, b"")[:8] == b"\x89PNG\r\n\x1a\n"])
    print(json.dumps(found))


if __name__ == "__main__":
    main(sys.argv[1])
