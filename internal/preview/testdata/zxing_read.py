# Decodes the barcode in a raw 8-bit RGB image with zxing-cpp (Debian's
# python3-zxing-cpp) and prints {"format", "text"} JSON for the symbol it finds.
# Used by the preview tests as a second, independent decoder: gozxing has no
# PDF417 reader. Usage: zxing_read.py FILE WIDTH HEIGHT
import json
import sys

import numpy
import zxingcpp

path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "rb") as f:
    pixels = numpy.frombuffer(f.read(), dtype=numpy.uint8).reshape((h, w, 3))
# read_barcode (one symbol) rather than read_barcodes: version 1.4 trips an
# assertion when it merges the scan lines of a linear code.
r = zxingcpp.read_barcode(pixels)
if r is not None and r.valid:
    print(json.dumps({"format": str(r.format).split(".")[-1], "text": r.text}))
