#!/bin/sh
# The cheapest crashing app: exits 1 at once (BENCH_STORM_APP=sh).
exit 1
