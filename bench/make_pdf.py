#!/usr/bin/env python3
"""Writes a text PDF of PAGES pages (about 2 400 characters each, a fixed vocabulary and seed, so
every run extracts the same text) to OUT, for bench/pdf_bench.sh.
    bench/make_pdf.py OUT PAGES"""
import random
import sys

out, pages = sys.argv[1], int(sys.argv[2])
rng = random.Random(300)
vocab = ["w%x" % (i * 2654435761 % 1000003) for i in range(5000)]


def page_text():
    lines = []
    for _ in range(40):
        lines.append(" ".join(rng.choice(vocab) for _ in range(9)))
    return lines


objects = []  # bytes of objects 1..n
# 1 catalog, 2 pages, 3 font; then per page: page object, content stream.
kids = [4 + 2 * i for i in range(pages)]
objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
objects.append(("<< /Type /Pages /Kids [%s] /Count %d >>" %
                (" ".join("%d 0 R" % k for k in kids), pages)).encode())
objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
for i in range(pages):
    stream = ["BT /F1 10 Tf 14 TL 50 790 Td"]
    for line in page_text():
        stream.append("(%s) '" % line)
    stream.append("ET")
    data = "\n".join(stream).encode()
    objects.append(("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] "
                    "/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)).encode())
    objects.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")

body = bytearray(b"%PDF-1.4\n")
offsets = []
for n, obj in enumerate(objects, start=1):
    offsets.append(len(body))
    body += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
xref = len(body)
body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
for off in offsets:
    body += b"%010d 00000 n \n" % off
body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
with open(out, "wb") as f:
    f.write(body)
