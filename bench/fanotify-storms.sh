#!/usr/bin/env bash
# fanotify-storms.sh — what a file-write monitor costs under attack.
#
# Runs each storm (flood T=2, flood T=100, path scan) three times, interleaved,
# with no monitor, with estally (--source=fanotify), with fnotifystat and with
# fatrace, and reports per storm and monitor (median of the runs):
#   writer writes/s      the monitored workload's throughput (its slowdown)
#   monitor CPU s / %    utime+stime of the monitor over the storm (/proc/PID/stat),
#                        and as a share of one core
#   events, us/event     events the monitor received (estally: estally_events_total
#                        delta; peers: lines printed) and CPU per event
#   peak RSS MiB         VmHWM of the monitor
#
# Needs root (fanotify), Go, curl, and the Debian packages fatrace and
# fnotifystat (installed with apt-get when missing). Storms write on tmpfs
# (/dev/shm) so that they measure the monitors, not the disk; estally and
# fatrace watch that filesystem only, fnotifystat (which cannot be told to)
# every mount.
#
#   sudo bench/fanotify-storms.sh            # ~6 minutes
#   RUNS=1 SECONDS_PER_RUN=3 bench/fanotify-storms.sh   # quick look
set -euo pipefail

RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-5}
STORM_ROOT=${STORM_ROOT:-/dev/shm}
PORT=${PORT:-19187}

cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "fanotify-storms: needs root" >&2; exit 1; }
for pkg in fatrace fnotifystat; do
	command -v "$pkg" >/dev/null || command -v "/usr/sbin/$pkg" >/dev/null ||
		{ apt-get install -y "$pkg" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$pkg" >/dev/null; }; }
done
export PATH=$PATH:/usr/sbin

work=$(mktemp -d)
storms=$(mktemp -d "$STORM_ROOT/estally-storms.XXXXXX")
mon_pid=
cleanup() {
	[ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null || true
	rm -rf "$work" "$storms"
}
trap cleanup EXIT
go build -o "$work/estally" ./cmd/estally
go build -o "$work/writer" ./bench/cmd/writer
tck=$(getconf CLK_TCK)
# estally and fatrace watch the storms' filesystem only; fnotifystat cannot be
# told to, and marks every mount.
storm_mount=$(df --output=target "$STORM_ROOT" | tail -1)

cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; } # utime+stime
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
estally_events() {
	curl -sf "http://127.0.0.1:$PORT/metrics" |
		awk '/^estally_events_total\{/ { s += $NF } END { printf "%.0f\n", s }'
}

# start_monitor NAME: starts the monitor, sets mon_pid; peers print one line
# per event into a pipe to wc, which writes the count to $work/NAME.count.
start_monitor() {
	case $1 in
	none) mon_pid= ;;
	estally)
		"$work/estally" run --source=fanotify --fanotify.include-mount="$storm_mount" \
			--web.listen-address="127.0.0.1:$PORT" --summary.socket= --log.level=warn 2>"$work/estally.log" &
		mon_pid=$!
		for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/metrics" >/dev/null && break; sleep 0.1; done
		;;
	fatrace)
		# -f W: modifications only, the closest to what estally folds; -c:
		# the mount of the current directory (by default fatrace skips
		# filesystems without a block device, such as tmpfs).
		( cd "$storm_mount" && fatrace -c -f W | wc -l >"$work/fatrace.count" ) &
		sleep 0.5
		mon_pid=$(pgrep -n -x fatrace)
		;;
	fnotifystat)
		# -n -v: every event (it cannot filter by type), no per-second table.
		( fnotifystat -n -v | wc -l >"$work/fnotifystat.count" ) &
		sleep 0.5
		mon_pid=$(pgrep -n -x fnotifystat)
		;;
	esac
}

stop_monitor() {
	[ -z "$mon_pid" ] && return
	kill "$mon_pid" 2>/dev/null || true
	while kill -0 "$mon_pid" 2>/dev/null; do sleep 0.05; done
	mon_pid=
	sleep 0.2 # let wc write its count
}

printf 'run\tstorm\tmonitor\twrites_per_s\tcpu_s\tevents\thwm_kib\n' >"$work/results.tsv"
for run in $(seq "$RUNS"); do
	for storm in flood-2 flood-100 scan; do
		case $storm in
		flood-2) args=(-mode=flood -threads=2) ;;
		flood-100) args=(-mode=flood -threads=100) ;;
		scan) args=(-mode=scan -threads=2 -every=10 -remove) ;;
		esac
		for mon in none estally fnotifystat fatrace; do
			start_monitor "$mon"
			sleep 1
			dir=$(mktemp -d "$storms/$storm.XXXX")
			c0=0 e0=0
			if [ -n "$mon_pid" ]; then c0=$(cpu_ticks "$mon_pid"); fi
			if [ "$mon" = estally ]; then e0=$(estally_events); fi
			out=$("$work/writer" "${args[@]}" -dir="$dir" -duration="${SECS}s")
			sleep 0.3 # the last batches
			cpu=0 events=0 hwm=0
			if [ -n "$mon_pid" ]; then
				cpu=$(( $(cpu_ticks "$mon_pid") - c0 ))
				hwm=$(hwm_kib "$mon_pid")
			fi
			if [ "$mon" = estally ]; then events=$(( $(estally_events) - e0 )); fi
			stop_monitor
			case $mon in fatrace | fnotifystat) events=$(cat "$work/$mon.count") ;; esac
			rate=$(sed -n 's/.*rate=\([0-9]*\).*/\1/p' <<<"$out")
			cpu_s=$(awk -v t="$cpu" -v h="$tck" 'BEGIN { printf "%.2f", t / h }')
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$storm" "$mon" "$rate" "$cpu_s" "$events" "$hwm" | tee -a "$work/results.tsv" >&2
			rm -rf "$dir"
		done
	done
done

echo
echo "median of $RUNS runs of ${SECS}s per storm and monitor; CPU % is of one core over the storm"
awk -F'\t' -v secs="$SECS" '
NR == 1 { next }
{
	k = $2 SUBSEP $3; n[k]++
	w[k, n[k]] = $4; c[k, n[k]] = $5; e[k, n[k]] = $6; h[k, n[k]] = $7
}
function med(a, k, cnt,   i, j, t, v) {
	for (i = 1; i <= cnt; i++) v[i] = a[k, i]
	for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
	return v[int((cnt + 1) / 2)]
}
END {
	printf "%-10s %-12s %14s %8s %7s %12s %10s %9s\n", "storm", "monitor", "writes/s", "cpu s", "cpu %", "events", "us/event", "RSS MiB"
	split("flood-2 flood-100 scan", storms, " "); split("none estally fnotifystat fatrace", mons, " ")
	for (i = 1; i <= 3; i++) for (j = 1; j <= 4; j++) {
		k = storms[i] SUBSEP mons[j]; if (!(k in n)) continue
		cpu = med(c, k, n[k]); ev = med(e, k, n[k])
		printf "%-10s %-12s %14.0f %8.2f %7.1f %12.0f %10s %9.1f\n", storms[i], mons[j], med(w, k, n[k]), cpu,
			100 * cpu / secs, ev, (ev > 0 ? sprintf("%.2f", 1e6 * cpu / ev) : "-"), med(h, k, n[k]) / 1024
	}
}' "$work/results.tsv"
echo
echo "raw runs:"
cat "$work/results.tsv"
