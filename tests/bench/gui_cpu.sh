#!/bin/bash
# How much CPU the IPC Lab window uses to show a scenario live.
#
# Starts `ipclab --run SCENARIO` (the scenario's length raised to 10 minutes, so it runs for the whole measurement)
# under Xvfb, a real X server, so Qt draws as it does on a desktop; waits WARMUP seconds; then reads the window
# process's user+system time from /proc/PID/stat over SECONDS and prints it as a share of one core. Only the window
# process is counted, not its workers (they are other processes). A figure, not a test: the machine's load shows in it.
#
# Usage: tests/bench/gui_cpu.sh [--bin DIR] [--seconds N] [--warmup N] [--timeline] [--size WxH] [SCENARIO]
#   --bin       where ipclab and ipclab-worker are (default: build/dev/bin)
#   --seconds   how long to measure (default: 60)
#   --warmup    seconds to let the window settle first (default: 5)
#   --timeline  open on the Timeline tab instead of the Live view
#   --size      the window's size (default: 1280x720)
#   SCENARIO    a bundled scenario's name (default: bounded-buffer-3x2), or a scenario file's path, such as
#               tests/bench/gui-64-workers.json (64 workers: the window at scale)
# Needs xvfb-run (Debian: xvfb xauth) when no X display is set.
set -euo pipefail

bin=build/dev/bin
seconds=60
warmup=5
size=1280x720
extra=()
scenario=bounded-buffer-3x2
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) bin=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --timeline) extra+=(--timeline); shift ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gui_cpu.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) scenario=$1; shift ;;
    esac
done

here=$(cd "$(dirname "$0")/../.." && pwd)
case "$scenario" in
*/* | *.json) source_file=$scenario ;;
*) source_file="$here/resources/scenarios/$scenario.json" ;;
esac
if [ ! -x "$bin/ipclab" ]; then
    echo "gui_cpu.sh: no ipclab in $bin: build first (cmake --preset dev && cmake --build --preset dev) or give --bin" >&2
    exit 2
fi
if [ ! -f "$source_file" ]; then
    echo "gui_cpu.sh: no bundled scenario or file '$scenario' (see resources/scenarios/)" >&2
    exit 2
fi
source_file=$(cd "$(dirname "$source_file")" && pwd)/$(basename "$source_file")
if [ -z "${DISPLAY:-}" ]; then
    if ! command -v xvfb-run > /dev/null; then
        echo "gui_cpu.sh: no X display and no xvfb-run: install xvfb and xauth (apt-get install xvfb xauth)" >&2
        exit 2
    fi
    args=(--bin "$bin" --seconds "$seconds" --warmup "$warmup" --size "$size" "${extra[@]}" "$source_file")
    exec xvfb-run -a -s "-screen 0 1920x1080x24" "$0" "${args[@]}"
fi

work=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || { kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null; }; rm -rf "$work"' EXIT
name=$(basename "$source_file" .json)
sed -E 's/"duration_s": *[0-9.]+/"duration_s": 600/' "$source_file" > "$work/$name.json"

# The window keeps its settings in $HOME: a home of its own keeps the user's zoom and theme out of the figure.
HOME=$work QT_QPA_PLATFORM=xcb "$bin/ipclab" --run "$work/$name.json" --size "$size" --zoom 100 --theme light \
    "${extra[@]}" > "$work/ipclab.log" 2>&1 &
pid=$!
sleep "$warmup"
if ! kill -0 "$pid" 2> /dev/null; then
    echo "gui_cpu.sh: ipclab exited during the warm-up:" >&2
    cat "$work/ipclab.log" >&2
    exit 1
fi

ticks() { # utime + stime of the process, in clock ticks (fields 14 and 15 after the command's parenthesis)
    sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
hz=$(getconf CLK_TCK)
t0=$(date +%s.%N)
c0=$(ticks "$pid")
sleep "$seconds"
c1=$(ticks "$pid")
t1=$(date +%s.%N)
awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v s="$name" -v size="$size" \
    -v view="${extra[*]:-live view}" 'BEGIN {
    cpu = (c1 - c0) / hz; wall = t1 - t0
    printf "ipclab window, %s, %s, %s: %.1f%% of one core (%.2f s CPU in %.1f s)\n", s, view, size, 100 * cpu / wall, cpu, wall
}'
