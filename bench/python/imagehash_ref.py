#!/usr/bin/python3
"""Reference perceptual hashes written from Python imagehash's definitions (not its code), as the baseline
edgewise's hashes are compared against.

Definitions followed (imagehash 4.x):
  average_hash: image.convert("L").resize((8, 8), LANCZOS); bit = pixel > mean of the 64 pixels.
  dhash:        image.convert("L").resize((9, 8), LANCZOS); bit = pixel[row][col+1] > pixel[row][col].
  phash:        image.convert("L").resize((32, 32), LANCZOS); 2-D DCT-II (scipy.fftpack.dct along axis 0,
                then axis 1, unnormalised); keep the top-left 8x8 (DC included); bit = coeff > median of the 64.
Hex: the 64 bits row-major, first bit most significant, as 16 lowercase hex digits.
EXIF orientation is NOT applied (imagehash does not apply it).

Usage: imagehash_ref.py FILE...|-          prints "<phash> <ahash> <dhash> <path>" per file
       imagehash_ref.py --time FILE...|-   phash only, prints {"n":..,"seconds":..,"cpu_seconds":..} as JSON
("-" reads the paths from stdin, one per line)
"""
import json
import sys
import time

import numpy
import scipy.fftpack
from PIL import Image

LANCZOS = Image.LANCZOS if hasattr(Image, "LANCZOS") else Image.Resampling.LANCZOS


def bits_to_hex(bits):
    value = 0
    for b in bits.flatten():
        value = (value << 1) | int(bool(b))
    return "{:016x}".format(value)


def phash(image):
    pixels = numpy.asarray(image.convert("L").resize((32, 32), LANCZOS), dtype=numpy.float64)
    dct = scipy.fftpack.dct(scipy.fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:8, :8]
    return bits_to_hex(low > numpy.median(low))


def average_hash(image):
    pixels = numpy.asarray(image.convert("L").resize((8, 8), LANCZOS), dtype=numpy.float64)
    return bits_to_hex(pixels > pixels.mean())


def dhash(image):
    pixels = numpy.asarray(image.convert("L").resize((9, 8), LANCZOS), dtype=numpy.float64)
    return bits_to_hex(pixels[:, 1:] > pixels[:, :-1])


def read_files(args):
    # "-" reads one path per line from stdin (paths may contain spaces).
    if args == ["-"]:
        return [line.rstrip("\n") for line in sys.stdin if line.strip()]
    return args


def main(argv):
    if argv and argv[0] == "--time":
        files = read_files(argv[1:])
        start = time.perf_counter()
        cpu = time.process_time()
        for f in files:
            with Image.open(f) as im:
                phash(im)
        print(json.dumps({"n": len(files), "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}))
        return 0
    for f in read_files(argv):
        with Image.open(f) as im:
            im.load()
            print(phash(im), average_hash(im), dhash(im), f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
