#!/bin/sh
# Appends its start and exit times (ms since the epoch) to the file given as $1, runs 0.2 s, exits 1.
echo "start $(($(date +%s%N) / 1000000))" >> "$1"
sleep 0.2
echo "exit $(($(date +%s%N) / 1000000))" >> "$1"
exit 1
