#!/usr/bin/env bash
# Benchmarks cpcall against curl on loopback TLS: `bench/run.sh` (one command; ~5 minutes).
# Builds release, starts the emulator three times (a 50 MB listaccts, a 500 MB one, one
# answering after 100 ms), and measures with hyperfine and /usr/bin/time -v. Writes
# bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }

cargo build --release --quiet --bin cpcall --example emulator
bin=$PWD/target/release/cpcall
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start() { # NAME ARGS… : starts an emulator, sources its ports as NAME_*
  local name=$1; shift
  target/release/examples/emulator --ca "$work/$name-ca.pem" "$@" >"$work/$name.env" 2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 600); do grep -q READY "$work/$name.env" 2>/dev/null && break; sleep 0.1; done
  grep -q READY "$work/$name.env" || { echo "emulator $name did not start" >&2; cat "$work/$name.log" >&2; exit 1; }
}
start big --listaccts-mb 50
start huge --listaccts-mb 500
start slow --delay-ms 100
big_port=$(sed -n 's/^WHM_PORT=//p' "$work/big.env")
huge_port=$(sed -n 's/^WHM_PORT=//p' "$work/huge.env")
slow_port=$(sed -n 's/^WHM_PORT=//p' "$work/slow.env")
token=RT7Q2K9M4X1V8B3N6C5Z0L2J7H4G1F9D   # the emulator's root token (crates/cpanel-emulator/src/accounts.rs)

config=$work/config.toml
{
  printf '[profiles.bench]\nhost = "127.0.0.1"\nport = %s\nca_file = "%s"\ntoken = "%s"\n\n' "$big_port" "$work/big-ca.pem" "$token"
  printf '[profiles.huge]\nhost = "127.0.0.1"\nport = %s\nca_file = "%s"\ntoken = "%s"\n\n' "$huge_port" "$work/huge-ca.pem" "$token"
  names=()
  for i in $(seq -w 1 100); do
    printf '[profiles.slow%s]\nhost = "127.0.0.1"\nport = %s\nca_file = "%s"\ntoken = "%s"\n\n' "$i" "$slow_port" "$work/slow-ca.pem" "$token"
    names+=("\"slow$i\"")
  done
  printf '[groups]\nslow = [%s]\n' "$(IFS=,; echo "${names[*]}")"
} >"$config"
chmod 600 "$config"
export CPCALL_CONFIG=$config

curl_call="curl -sS --cacert $work/big-ca.pem -H 'Authorization: whm root:$token' --data '' https://127.0.0.1:$big_port/json-api"
curl_huge="curl -sS --cacert $work/huge-ca.pem -H 'Authorization: whm root:$token' --data '' https://127.0.0.1:$huge_port/json-api/listaccts?api.version=1"
for _ in $(seq 500); do echo "whm version"; done >"$work/calls.txt"
{ echo "for i in \$(seq 500); do $curl_call/version?api.version=1 >/dev/null; done"; } >"$work/curl-loop.sh"

"$bin" -p bench whm version >/dev/null   # a working setup, or stop here
echo "1/7 one call" >&2
hyperfine -N --warmup 10 --runs 100 --export-json "$work/s1.json" \
  "$bin -p bench whm version" \
  "$curl_call/version?api.version=1" >&2
echo "2/7 500 calls" >&2
hyperfine --warmup 1 --runs 5 --export-json "$work/s2.json" \
  "$bin -p bench batch $work/calls.txt >/dev/null" \
  "bash $work/curl-loop.sh" >&2
echo "3/7 50 MB listaccts" >&2
hyperfine --warmup 2 --runs 10 --export-json "$work/s3.json" \
  "$bin -p bench whm listaccts >$work/out-cpcall.json" \
  "$curl_call/listaccts?api.version=1 >$work/out-curl.json" >&2
cmp "$work/out-cpcall.json" <(cat "$work/out-curl.json"; echo) >/dev/null && echo "same bytes as curl (plus a final newline)" >&2
rss() { /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
rss_cpcall=$(rss "$bin -p bench whm listaccts >$work/out-cpcall.json")
rss_curl=$(rss "$curl_call/listaccts?api.version=1 >$work/out-curl.json")
body=$(stat -c %s "$work/out-curl.json")
echo "4/7 100 slow profiles" >&2
hyperfine --warmup 1 --runs 5 --export-json "$work/s4.json" \
  "$bin --group slow -j 100 whm version >/dev/null" >&2

echo "5/7 a TAB press" >&2
# What bash runs on each TAB: cpcall in completion mode, listing WHM functions (the longest list).
hyperfine -N --warmup 10 --runs 200 --export-json "$work/s5.json" \
  "env COMPLETE=bash _CLAP_COMPLETE_INDEX=2 _CLAP_IFS=, $bin -- cpcall whm ''" \
  "env COMPLETE=bash _CLAP_COMPLETE_INDEX=3 _CLAP_IFS=, $bin -- cpcall whm createacct ''" >&2

echo "6/7 500 MB listaccts: to a file in each style, through a pipe" >&2
huge="$bin --max-size 1G -p huge whm listaccts"
hyperfine --warmup 1 --runs 5 --export-json "$work/s6.json" \
  "$huge >$work/out-huge" \
  "$huge --compact >$work/out-huge" \
  "$huge --pretty >$work/out-huge" \
  "$huge -d >$work/out-huge" \
  "$curl_huge >$work/out-huge-curl" \
  "$huge | cat >$work/out-huge" \
  "$curl_huge | cat >$work/out-huge-curl" >&2
cmp "$work/out-huge" <(cat "$work/out-huge-curl"; echo) >/dev/null && echo "500 MB: same bytes as curl" >&2
rss_huge=0
for style in "" --compact --pretty -d; do
  r=$(rss "$huge $style >$work/out-huge")
  [ "$r" -gt "$rss_huge" ] && rss_huge=$r
done
rss_huge_pipe=$(rss "$huge | cat >/dev/null")
huge_body=$(stat -c %s "$work/out-huge-curl")
echo "7/7 --jq on the 50 MB answer" >&2
hyperfine --warmup 1 --runs 5 --export-json "$work/s7.json" \
  "$bin -p bench whm listaccts --jq '.data.acct | length'" >&2
rss_jq=$(rss "$bin -p bench whm listaccts --jq '.data.acct | length'")

python3 - "$work" "$rss_cpcall" "$rss_curl" "$body" "$rss_huge" "$rss_huge_pipe" "$huge_body" "$rss_jq" <<'PY' | tee bench/results.md
import json, os, platform, subprocess, sys
work, rss_cpcall, rss_curl, body = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rss_huge, rss_huge_pipe, huge_body, rss_jq = (int(a) for a in sys.argv[5:9])
def med(name, i):
    return json.load(open(f"{work}/{name}.json"))["results"][i]["median"]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
s1c, s1u = med("s1", 0), med("s1", 1)
s2c, s2u = med("s2", 0), med("s2", 1)
s3c, s3u = med("s3", 0), med("s3", 1)
s4 = med("s4", 0)
s5 = max(med("s5", 0), med("s5", 1))
plain6, compact6, pretty6, data6, curl6, pipe6, curlpipe6 = (med("s6", i) for i in range(7))
s7 = med("s7", 0)
mb = body / 1e6
print(f"Machine: {os.cpu_count()} cores, {cpu}; loopback TLS to the emulator (crates/cpanel-emulator), release build.\n")
print("| scenario | cpcall | curl | result | target |")
print("|---|---|---|---|---|")
print(f"| 1. one call, `whm version` (median of 100) | {s1c*1000:.1f} ms | {s1u*1000:.1f} ms | {s1c/s1u:.2f}x curl | <= 1.1x |")
print(f"| 2. 500 calls: `cpcall batch` vs a bash loop of 500 curl | {s2c:.2f} s | {s2u:.2f} s | {s2u/s2c:.1f}x faster | >= 10x |")
print(f"| 3. {mb:.0f} MB `listaccts` to a file: time (median of 10) | {s3c*1000:.0f} ms | {s3u*1000:.0f} ms | {s3c/s3u:.2f}x curl | <= 1.1x |")
print(f"| 3. same: peak RSS | {rss_cpcall/1024:.0f} MiB | {rss_curl/1024:.0f} MiB | {rss_cpcall*1024/body:.2f}x the body | <= 32 MiB |")
print(f"| 4. 100 profiles answering after 100 ms, `--group slow -j 100` | {s4*1000:.0f} ms | | | <= 1 s |")
gb = huge_body / 1e6
for name, t in [("as received", plain6), ("`--compact`", compact6), ("`--pretty`", pretty6), ("`-d`", data6)]:
    print(f"| 6. {gb:.0f} MB `listaccts` to a file, {name} (median of 5) | {t:.2f} s | {curl6:.2f} s | {t/curl6:.2f}x curl | <= 1.1x |")
print(f"| 6. same, through a pipe (`\\| cat`: the answer waits in a temporary file) | {pipe6:.2f} s | {curlpipe6:.2f} s | {pipe6/curlpipe6:.2f}x curl | |")
print(f"| 6. peak RSS, the worst of the four styles / through a pipe | {rss_huge/1024:.0f} / {rss_huge_pipe/1024:.0f} MiB | | | <= 32 MiB |")
print(f"| 7. `--jq '.data.acct \\| length'` on the {mb:.0f} MB answer | {s7:.2f} s, {rss_jq/1024:.0f} MiB | | | <= 330 MB |")
print(f"| 5. a TAB press: `cpcall whm <TAB>` (625 names), `cpcall whm createacct <TAB>` (slower of the two) | {s5*1000:.1f} ms | | | < 50 ms |")
PY
