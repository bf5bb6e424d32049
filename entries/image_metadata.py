"""Where and with what a photo was taken stays out of the files the site serves.

Cameras and phones write the GPS position, the device (make, model, serial numbers, lens,
software) and times into a photo's metadata; readers who download the original would get them
all, which can expose a source or a photographer. `without_private_metadata()` rewrites a
JPEG, PNG, WebP or GIF file's metadata blocks, never its pixels (no re-encoding, no loss), and
keeps only what shows the photo right or credits it:

- the orientation, the colour profile (ICC) and the blocks a decoder needs (JFIF, Adobe);
- the EXIF Artist and Copyright fields, the IPTC by-line, credit, source and copyright
  notice, and PNG's Author and Copyright texts;
- JPEG comments and GIF comments (free text an editor's tools write, no device fields).

Everything else goes: GPS, device and time EXIF fields, the EXIF thumbnail (it can show the
photo before cropping), XMP, the other IPTC fields (city, country, keywords, times) and
Photoshop resources, maker notes, MPF preview images, other applications' blocks and anything
after the end of the image. A file with nothing to remove
comes back as the very same bytes, so its stored size does not change.
"""

import io
import struct
import zlib

from PIL import Image as PILImage

ORIENTATION, ARTIST, COPYRIGHT = 0x0112, 0x013B, 0x8298
KEPT_EXIF_TAGS = (ORIENTATION, ARTIST, COPYRIGHT)
EXIF_HEADER = b"Exif\x00\x00"


class UnreadableStructure(ValueError):
    """The file's block structure is not what its format says; it is re-encoded instead."""


def without_private_metadata(data, fmt):
    """`data` (an image file of Pillow format `fmt`) without location and device metadata.

    Returns `data` itself when there is nothing to remove.
    """
    rewrite = {"JPEG": _jpeg, "PNG": _png, "WEBP": _webp, "GIF": _gif}[fmt]
    try:
        cleaned = rewrite(data)
    except (ValueError, struct.error, IndexError):  # UnreadableStructure is a ValueError
        # Pillow decoded the file, but its blocks do not parse: write the pixels anew.
        cleaned = _reencoded(data, fmt)
    return data if cleaned == data else cleaned


# TIFF field types and their sizes in bytes (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE,
# UNDEFINED, SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE).
_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}


def _ifd0(tiff):
    """(byte order, [(tag, type, count, value bytes)], next IFD offset) of a TIFF block."""
    order = tiff[:2]
    if order not in (b"II", b"MM"):
        raise UnreadableStructure("no TIFF byte order")
    endian = "<" if order == b"II" else ">"
    magic, first = struct.unpack(endian + "HI", tiff[2:8])
    if magic != 42:
        raise UnreadableStructure("no TIFF header")
    (count,) = struct.unpack(endian + "H", tiff[first : first + 2])
    fields = []
    for number in range(count):
        at = first + 2 + 12 * number
        tag, kind, values = struct.unpack(endian + "HHI", tiff[at : at + 8])
        size = _TIFF_TYPE_SIZES.get(kind, 0) * values
        if size <= 4:
            value = tiff[at + 8 : at + 12]  # inline, as written (padded to 4 bytes)
        else:
            (offset,) = struct.unpack(endian + "I", tiff[at + 8 : at + 12])
            value = tiff[offset : offset + size]
        complete = len(value) == max(size, 4)
        fields.append((tag, kind, values, value if complete and kind in _TIFF_TYPE_SIZES else None))
    end = first + 2 + 12 * count
    (next_ifd,) = struct.unpack(endian + "I", tiff[end : end + 4])
    return order, fields, next_ifd


def kept_exif(tiff):
    """The TIFF bytes of an EXIF block with only the kept fields, copied byte for byte (an
    artist's name in UTF-8 stays as written); b"" when none is left or it cannot be read."""
    try:
        order, fields, _next = _ifd0(tiff)
    except (UnreadableStructure, struct.error):
        return b""
    kept = [field for field in fields if field[0] in KEPT_EXIF_TAGS and field[3] is not None]
    if not kept:
        return b""
    endian = "<" if order == b"II" else ">"
    data_at = 8 + 2 + 12 * len(kept) + 4
    entries, data = [], b""
    for tag, kind, values, value in sorted(kept):
        if _TIFF_TYPE_SIZES[kind] * values <= 4:
            field = value
        else:
            field = struct.pack(endian + "I", data_at + len(data))
            data += value + b"\x00" * (len(value) % 2)  # values start on a word boundary
        entries.append(struct.pack(endian + "HHI", tag, kind, values) + field)
    header = order + struct.pack(endian + "HIH", 42, 8, len(kept))
    return header + b"".join(entries) + struct.pack(endian + "I", 0) + data


def _exif_unchanged(tiff):
    """True when the EXIF block holds only kept fields (no sub-IFD pointer, no thumbnail)."""
    try:
        _order, fields, next_ifd = _ifd0(tiff)
    except (UnreadableStructure, struct.error):
        return False
    return next_ifd == 0 and all(field[0] in KEPT_EXIF_TAGS for field in fields)


# JPEG ---------------------------------------------------------------------------------------

# Markers without a length: SOI, EOI, RSTn, TEM.
_STANDALONE = {0xD8, 0xD9, 0x01, *range(0xD0, 0xD8)}
_APP0, _APP1, _APP2, _APP13, _APP14 = 0xE0, 0xE1, 0xE2, 0xED, 0xEE
_COM, _SOS, _EOI = 0xFE, 0xDA, 0xD9


def _jpeg(data):
    if data[:2] != b"\xff\xd8":
        raise UnreadableStructure("no SOI")
    out = [b"\xff\xd8"]
    pos = 2
    while True:
        if data[pos] != 0xFF:
            raise UnreadableStructure("marker expected")
        while data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
        marker = data[pos + 1]
        if marker == _EOI:
            out.append(b"\xff\xd9")  # anything after the end (MPF previews, appended files) goes
            return b"".join(out)
        if marker in _STANDALONE:
            out.append(data[pos : pos + 2])
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2:
            raise UnreadableStructure("bad segment length")
        end = pos + 2 + length
        if end > len(data):
            raise UnreadableStructure("segment past the end")
        segment, payload = data[pos:end], data[pos + 4 : end]
        out.append(_jpeg_segment(marker, segment, payload))
        pos = end
        if marker == _SOS:
            # Entropy-coded data up to the next marker that is not a stuffed 0xFF or a restart.
            scan = pos
            while True:
                scan = data.index(b"\xff", scan)
                following = data[scan + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    scan += 1 if following == 0xFF else 2
                    continue
                break
            out.append(data[pos:scan])
            pos = scan


def _jpeg_segment(marker, segment, payload):
    """The segment as it is kept: unchanged, rewritten (EXIF) or b"" (dropped)."""
    if 0xE0 <= marker <= 0xEF:
        if marker == _APP0 and payload[:5] in (b"JFIF\x00", b"JFXX\x00"):
            return segment
        if marker == _APP1 and payload.startswith(EXIF_HEADER):
            tiff = payload[len(EXIF_HEADER) :]
            if _exif_unchanged(tiff):
                return segment
            kept = kept_exif(tiff)
            if not kept:
                return b""
            block = EXIF_HEADER + kept
            return b"\xff\xe1" + struct.pack(">H", len(block) + 2) + block
        if marker == _APP2 and payload.startswith(b"ICC_PROFILE\x00"):
            return segment
        if marker == _APP14 and payload.startswith(b"Adobe"):
            return segment  # colour transform: CMYK/YCCK files decode wrong without it
        if marker == _APP13 and payload.startswith(_PHOTOSHOP):
            block = _photoshop_credits(payload)
            if block == payload:
                return segment
            return b"\xff\xed" + struct.pack(">H", len(block) + 2) + block if block else b""
        return b""  # XMP, MPF, maker blocks
    return segment  # tables, frame and scan headers, restart interval, comments


# IPTC, in a JPEG's Photoshop block: only its credit fields are kept. The other Photoshop
# resources (thumbnails, copies of EXIF and XMP, layer and print data) and the IPTC location,
# keyword and time fields go.
_PHOTOSHOP = b"Photoshop 3.0\x00"
_IPTC_RESOURCE = 0x0404
_IPTC_KEPT = {
    (1, 90),  # coded character set (UTF-8 or not), needed to read the others
    (2, 0),  # record version
    (2, 80),  # by-line (the photographer)
    (2, 85),  # by-line title
    (2, 110),  # credit
    (2, 115),  # source
    (2, 116),  # copyright notice
}


def _photoshop_credits(payload):
    """The Photoshop block with only the IPTC credit fields; b"" when none are left."""
    pos, kept_iptc, unchanged = len(_PHOTOSHOP), b"", True
    while pos < len(payload):
        if payload[pos : pos + 4] != b"8BIM":
            raise UnreadableStructure("Photoshop resource expected")
        (resource,) = struct.unpack(">H", payload[pos + 4 : pos + 6])
        name_length = payload[pos + 6]
        pos += 6 + name_length + 1 + ((name_length + 1) % 2)  # Pascal name, padded to even
        (size,) = struct.unpack(">I", payload[pos : pos + 4])
        data = payload[pos + 4 : pos + 4 + size]
        pos += 4 + size + size % 2
        if resource != _IPTC_RESOURCE:
            unchanged = False
            continue
        iptc = _iptc_credits(data)
        unchanged = unchanged and iptc == data
        kept_iptc += iptc
    if unchanged:
        return payload
    if not kept_iptc:
        return b""
    pad = b"\x00" if len(kept_iptc) % 2 else b""
    resource = b"8BIM" + struct.pack(">H", _IPTC_RESOURCE) + b"\x00\x00"
    return _PHOTOSHOP + resource + struct.pack(">I", len(kept_iptc)) + kept_iptc + pad


def _iptc_credits(data):
    kept, pos = [], 0
    while pos + 5 <= len(data) and data[pos] == 0x1C:
        record, dataset = data[pos + 1], data[pos + 2]
        (length,) = struct.unpack(">H", data[pos + 3 : pos + 5])
        if length & 0x8000:
            raise UnreadableStructure("extended IPTC dataset")
        end = pos + 5 + length
        if (record, dataset) in _IPTC_KEPT:
            kept.append(data[pos:end])
        pos = end
    return b"".join(kept)


# PNG ----------------------------------------------------------------------------------------

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks that hold pixels or say how to show them (APNG's frames too); tEXt-like chunks are
# kept only for the keywords below, eXIf is filtered, everything else goes.
_PNG_KEPT = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB",
    b"cICP", b"mDCV", b"cLLI", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip
_PNG_TEXT = {b"tEXt", b"zTXt", b"iTXt"}
_PNG_KEPT_KEYWORDS = {b"Author", b"Copyright"}


def _png_chunk(kind, payload):
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _png(data):
    if not data.startswith(_PNG_SIGNATURE):
        raise UnreadableStructure("no PNG signature")
    out = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while True:
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise UnreadableStructure("chunk past the end")
        payload = data[pos + 8 : pos + 8 + length]
        if kind in _PNG_KEPT:
            out.append(data[pos:end])
        elif kind in _PNG_TEXT and payload.split(b"\x00", 1)[0] in _PNG_KEPT_KEYWORDS:
            out.append(data[pos:end])
        elif kind == b"eXIf":
            if _exif_unchanged(payload):
                out.append(data[pos:end])
            elif kept := kept_exif(payload):
                out.append(_png_chunk(b"eXIf", kept))
        pos = end
        if kind == b"IEND":
            return b"".join(out)


# WebP ---------------------------------------------------------------------------------------

_WEBP_KEPT = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _webp_chunk(kind, payload):
    pad = b"\x00" if len(payload) % 2 else b""
    return kind + struct.pack("<I", len(payload)) + payload + pad


def _webp(data):
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise UnreadableStructure("no RIFF WEBP header")
    (riff_size,) = struct.unpack("<I", data[4:8])
    end_of_riff = min(len(data), 8 + riff_size)
    chunks = []
    has_exif = False
    pos = 12
    while pos + 8 <= end_of_riff:
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        payload = data[pos + 8 : pos + 8 + length]
        if len(payload) != length:
            raise UnreadableStructure("chunk past the end")
        if kind in _WEBP_KEPT:
            chunks.append([kind, payload])
        elif kind == b"EXIF":
            # Some writers put the JPEG-style "Exif\0\0" header before the TIFF data.
            tiff = payload.removeprefix(EXIF_HEADER)
            kept = tiff if _exif_unchanged(tiff) else kept_exif(tiff)
            if kept:
                chunks.append([kind, kept])
                has_exif = True
        pos += 8 + length + (length % 2)
    for chunk in chunks:
        if chunk[0] == b"VP8X":
            flags = chunk[1][0] & ~_VP8X_XMP & ~_VP8X_EXIF
            flags |= _VP8X_EXIF if has_exif else 0
            chunk[1] = bytes([flags]) + chunk[1][1:]
    body = b"WEBP" + b"".join(_webp_chunk(kind, payload) for kind, payload in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# GIF ----------------------------------------------------------------------------------------

_GIF_KEPT_APPLICATIONS = {b"NETSCAPE2.0", b"ANIMEXTS1.0"}  # looping; XMP and others go


def _gif_sub_blocks(data, pos):
    """The position after the sub-blocks starting at `pos` (their terminator included)."""
    while data[pos]:
        pos += 1 + data[pos]
    return pos + 1


def _gif(data):
    if data[:3] != b"GIF":
        raise UnreadableStructure("no GIF header")
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    out = [data[:pos]]
    while True:
        introducer = data[pos]
        if introducer == 0x3B:  # trailer: anything after it goes
            out.append(b"\x3b")
            return b"".join(out)
        if introducer == 0x2C:  # image: descriptor, local colour table, LZW data
            local = data[pos + 9]
            start = pos
            pos += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            pos = _gif_sub_blocks(data, pos + 1)  # after the LZW minimum code size
            out.append(data[start:pos])
        elif introducer == 0x21:
            label, start = data[pos + 1], pos
            pos = _gif_sub_blocks(data, pos + 2)
            block = data[start:pos]
            if label != 0xFF or block[3:14] in _GIF_KEPT_APPLICATIONS:
                out.append(block)  # graphic control, comments, plain text, looping
        else:
            raise UnreadableStructure("unknown GIF block")


# Fallback -----------------------------------------------------------------------------------


def _reencoded(data, fmt):
    """The pixels written anew with only the kept metadata (lossless except for JPEG)."""
    with PILImage.open(io.BytesIO(data)) as picture:
        options = {}
        if icc := picture.info.get("icc_profile"):
            options["icc_profile"] = icc
        raw_exif = picture.info.get("exif", b"")
        kept = kept_exif(raw_exif.removeprefix(EXIF_HEADER)) if raw_exif else b""
        if kept and fmt != "GIF":
            options["exif"] = EXIF_HEADER + kept
        if fmt == "JPEG":
            options.update(quality=95, subsampling="keep")
        if fmt in {"GIF", "WEBP", "PNG"} and getattr(picture, "n_frames", 1) > 1:
            options["save_all"] = True
        if fmt == "WEBP":
            options["lossless"] = True
        buffer = io.BytesIO()
        picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def strip_field_file(field_file):
    """Replace an uploaded, not yet stored file's content by its cleaned bytes (if needed)."""
    from django.core.files.base import ContentFile

    upload = field_file.file
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    try:
        with PILImage.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP", "GIF"]) as picture:
            fmt = picture.format
    except (OSError, ValueError):
        return  # not an image these formats know: the form refuses it
    cleaned = without_private_metadata(data, fmt)
    if cleaned is not data:
        field_file.file = ContentFile(cleaned, name=getattr(upload, "name", None))
