#!/usr/bin/env python3
"""Writes the document-privacy benchmark inputs (issue 18), with the identifying metadata of
the fixtures (fixtures/documents.py):

* OUT_DIR/scan50.pdf: a 50-page scanned document of about 20 MB (one greyscale JPEG page
  image each, as a scanner writes them), with document information, XMP and an incremental
  update;
* OUT_DIR/photo12mp.heic: a 12-megapixel (4000 x 3000) iPhone-like HEIC with Exif (GPS,
  camera, dates, serial) and XMP, stored sideways with a rotation.

Needs Pillow, pillow-heif, reportlab and pikepdf.

usage: make-documents.py OUT_DIR
"""
import io
import os
import random
import sys

from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import documents  # noqa: E402  (the fixtures' own identifying values)

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)
random.seed(7)


def scan_page(n):
    """An A4 page at 200 dpi (1654 x 2339), grey paper with noise: about 400 KB as JPEG."""
    w, h = 1654, 2339
    noise = Image.effect_noise((w, h), 14 + n % 5).convert("L")
    grad = Image.linear_gradient("L").resize((w, h))
    page = Image.blend(noise, grad, 0.6)
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=78)
    return buffer.getvalue()


def pdf(out):
    import pikepdf
    from reportlab import rl_config
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    rl_config.useA85 = 0
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for n in range(50):
        doc.drawImage(ImageReader(io.BytesIO(scan_page(n))), 0, 0, width=A4[0], height=A4[1])
        doc.showPage()
    doc.save()
    with pikepdf.open(io.BytesIO(buffer.getvalue())) as pdf_doc:
        pdf_doc.docinfo["/Author"] = "Jane Source"
        pdf_doc.docinfo["/Creator"] = "FixtureScanner 2.0"
        with pdf_doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:creator"] = ["Jane Source"]
        pdf_doc.save(out, deterministic_id=True)
    print(out, os.path.getsize(out), "bytes")


def heic(out):
    import pillow_heif
    pillow_heif.register_heif_opener()
    w, h = 4000, 3000
    noise = Image.effect_noise((w, h), 12).convert("L")
    grad = Image.linear_gradient("L").resize((w, h))
    photo = Image.merge("RGB", (noise, grad, Image.blend(noise, grad, 0.5)))
    photo.save(out, format="HEIF", exif=documents.identifying_exif(6), xmp=documents.XMP, quality=70)
    print(out, os.path.getsize(out), "bytes")


pdf(os.path.join(out_dir, "scan50.pdf"))
heic(os.path.join(out_dir, "photo12mp.heic"))
