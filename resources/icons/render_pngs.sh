#!/bin/sh
# Renders ipclab.svg into the hicolor PNG sizes committed beside it. Run it after editing the SVG; the build does
# not, so building needs no SVG renderer. Needs rsvg-convert (Debian package librsvg2-bin): it renders each size
# directly from the vectors, which keeps the 16 px icon sharper than rendering large and scaling down.
set -eu
cd "$(dirname "$0")"
for size in 16 22 24 32 48 64 128 256; do
    rsvg-convert --width "$size" --height "$size" ipclab.svg --output "ipclab-$size.png"
done
