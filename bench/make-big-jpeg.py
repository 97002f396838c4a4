#!/usr/bin/env python3
"""Writes a 24-megapixel (6000x4000) JPEG of about 10 MB carrying the identifying metadata of
fixtures/images/gps-camera.jpg, for the cleaning benchmark. Needs Pillow and exiftool.

usage: make-big-jpeg.py OUT.jpg
"""
import os, random, subprocess, sys
from PIL import Image

out = sys.argv[1]
random.seed(7)
# Smooth gradients plus noise: compresses like a photo, to roughly 10 MB at quality 84.
w, h = 6000, 4000
noise = Image.effect_noise((w, h), 48).convert("L")
grad = Image.linear_gradient("L").resize((w, h))
img = Image.merge("RGB", (noise, grad, Image.blend(noise, grad, 0.5)))
img.save(out, "JPEG", quality=84)
src = os.path.join(os.path.dirname(__file__), "../fixtures/images/gps-camera.jpg")
subprocess.run(["exiftool", "-q", "-overwrite_original", "-TagsFromFile", src, "-all:all", out], check=True)
print(out, os.path.getsize(out), "bytes")
