#!/usr/bin/env bash
# Headscope past one process: N `streamlit run app.py` replicas on loopback behind Debian's nginx,
# with sticky sessions by a route cookie and passive failover. See deploy/README.md.
#
#   deploy/start.sh [REPLICAS]            # default 2 replicas; nginx on http://127.0.0.1:8080
#   deploy/start.sh -n 3 -p 9000 --replica-port 8601 --run-dir /tmp/hs
#
# Options (environment variable in brackets; a port of 0 means "any free port"):
#   -n, --replicas N        replicas to start [HEADSCOPE_REPLICAS, default 2]
#   -p, --port P            nginx's loopback port [HEADSCOPE_PORT, default 8080]
#   --replica-port P        first replica's port; the others follow [HEADSCOPE_REPLICA_PORT, 8501]
#   --run-dir DIR           pid files, logs, nginx config [HEADSCOPE_RUN_DIR, default a new temp
#                           dir, removed on exit; a given dir is kept]
#   --server-name NAMES     the host names browsers use to reach this server, space- or
#                           comma-separated (name.example.org, *.example.org, 10.0.0.5); nginx
#                           refuses any other Host header (421), and the replicas' websockets too
#                           (server.allowedHosts) [HEADSCOPE_SERVER_NAMES, default
#                           "localhost 127.0.0.1"]
#   [HEADSCOPE_COOKIE_SECRET]  Streamlit's server.cookieSecret, shared by every replica; without
#                           it one is generated and kept in <run dir>/cookie-secret (mode 600)
#   [HEADSCOPE_PYTHON]      python with the app's requirements [default .venv/bin/python]
#   [HEADSCOPE_NGINX]       nginx binary [default: nginx on PATH, then /usr/sbin/nginx]
#   [HEADSCOPE_HEALTH_TIMEOUT]  seconds to wait for every replica to be healthy [default 180]
#
# Run dir: replica-I.pid / replica-I.port / replica-I.log (I = 0..N-1), nginx/ (conf, pid, logs),
# url (the address to open, written once everything answers). Stops everything on SIGTERM/SIGINT.
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true  # '&' in a ${x//a/b} replacement is literal

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPLICAS=${HEADSCOPE_REPLICAS:-2}
PORT=${HEADSCOPE_PORT:-8080}
REPLICA_PORT=${HEADSCOPE_REPLICA_PORT:-8501}
RUN_DIR=${HEADSCOPE_RUN_DIR:-}
HEALTH_TIMEOUT=${HEADSCOPE_HEALTH_TIMEOUT:-180}
SERVER_NAMES=${HEADSCOPE_SERVER_NAMES:-localhost 127.0.0.1}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        -n|--replicas) REPLICAS=${2:?}; shift 2 ;;
        -p|--port) PORT=${2:?}; shift 2 ;;
        --replica-port) REPLICA_PORT=${2:?}; shift 2 ;;
        --run-dir) RUN_DIR=${2:?}; shift 2 ;;
        --server-name) SERVER_NAMES=${2:?}; shift 2 ;;
        -h|--help) usage ;;
        [0-9]*) REPLICAS=$1; shift ;;
        *) echo "start.sh: unknown argument '$1' (see deploy/start.sh --help)" >&2; exit 2 ;;
    esac
done
case $REPLICAS in ''|*[!0-9]*|0) echo "start.sh: replicas must be a number >= 1, got '$REPLICAS'" >&2; exit 2 ;; esac
# numbers only: these go into $(( )) and into nginx.conf
for setting in "port=$PORT" "replica port=$REPLICA_PORT" "health timeout=$HEALTH_TIMEOUT"; do
    case ${setting#*=} in ''|*[!0-9]*) echo "start.sh: the ${setting%%=*} must be a number, got '${setting#*=}'" >&2; exit 2 ;; esac
done
# host names: plain names, IP addresses or *.suffix only (they go into nginx.conf)
read -r -a NAMES <<< "${SERVER_NAMES//,/ }"
[ "${#NAMES[@]}" -gt 0 ] || { echo "start.sh: give at least one server name (--server-name)" >&2; exit 2; }
for name in "${NAMES[@]}"; do
    [[ $name =~ ^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$ ]] \
        || { echo "start.sh: '$name' is not a host name (give names like headscope.example.org, *.example.org or 10.0.0.5)" >&2; exit 2; }
done
if [ "$PORT" != 0 ] && [ "$PORT" -ge "$REPLICA_PORT" ] && [ "$PORT" -lt $((REPLICA_PORT + REPLICAS)) ] && [ "$REPLICA_PORT" != 0 ]; then
    echo "start.sh: nginx's port $PORT is one of the replicas' ($REPLICA_PORT-$((REPLICA_PORT + REPLICAS - 1)))" >&2; exit 2
fi

PY=${HEADSCOPE_PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=$(command -v python3 || true)
"${PY:-false}" -c 'import streamlit' 2>/dev/null \
    || { echo "start.sh: no python with streamlit (tried '${PY:-python3}'); run 'make setup' or set HEADSCOPE_PYTHON" >&2; exit 2; }
NGINX=${HEADSCOPE_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || { echo "start.sh: nginx not found; install Debian's: apt-get install -y --no-install-recommends nginx" >&2; exit 2; }

OWN_RUN_DIR=0
if [ -z "$RUN_DIR" ]; then
    RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/headscope-run.XXXXXX")
    OWN_RUN_DIR=1
fi
mkdir -p "$RUN_DIR/nginx/tmp"
RUN_DIR=$(cd "$RUN_DIR" && pwd)
NGINX_DIR=$RUN_DIR/nginx
rm -f "$RUN_DIR"/url "$RUN_DIR"/replica-*.pid "$RUN_DIR"/replica-*.port

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

healthy() {  # healthy URL [HOST]: true when Streamlit's health endpoint answers 200 "ok"
    local host=${2:-}
    if command -v curl >/dev/null; then
        curl -fsS -m 2 -o /dev/null ${host:+-H "Host: $host"} "$1/_stcore/health" 2>/dev/null
    else
        "$PY" -c 'import sys, urllib.request
headers = {"Host": sys.argv[2]} if sys.argv[2] else {}
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_stcore/health", headers=headers), timeout=2)' "$1" "$host" 2>/dev/null
    fi
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# --- stopping: on exit for any reason, and on SIGTERM / SIGINT -------------------------------
PIDS=()
NGINX_PID=
STOPPING=0
cleanup() {
    [ "$STOPPING" = 1 ] && return
    STOPPING=1
    trap '' TERM INT
    alive "$NGINX_PID" && kill -TERM "$NGINX_PID" 2>/dev/null || true
    local pid
    for pid in "${PIDS[@]}"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null || true; done
    local waited=0
    for pid in "$NGINX_PID" "${PIDS[@]}"; do
        while alive "$pid" && [ "$waited" -lt 150 ]; do sleep 0.1; waited=$((waited + 1)); done
        alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [ "$OWN_RUN_DIR" = 1 ]; then
        rm -rf "$RUN_DIR"
    else
        rm -f "$RUN_DIR"/url "$RUN_DIR"/replica-*.pid "$NGINX_DIR/nginx.pid"
    fi
    echo "start.sh: stopped" >&2
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# --- one cookie secret for every replica (Streamlit signs its XSRF cookie with it) -----------
if [ -n "${HEADSCOPE_COOKIE_SECRET:-}" ]; then
    SECRET=$HEADSCOPE_COOKIE_SECRET
else
    if [ ! -s "$RUN_DIR/cookie-secret" ]; then
        (umask 077; "$PY" -c 'import secrets; print(secrets.token_hex(32))' > "$RUN_DIR/cookie-secret")
    fi
    SECRET=$(cat "$RUN_DIR/cookie-secret")
fi

# --- the replicas --------------------------------------------------------------------------
[ "$PORT" = 0 ] && PORT=$(free_port)
PORTS=()
for ((i = 0; i < REPLICAS; i++)); do
    if [ "$REPLICA_PORT" = 0 ]; then PORTS+=("$(free_port)"); else PORTS+=($((REPLICA_PORT + i))); fi
done

cd "$ROOT"
for ((i = 0; i < REPLICAS; i++)); do
    # The secret goes by environment (STREAMLIT_SERVER_COOKIE_SECRET is --server.cookieSecret),
    # so it does not show in `ps`. `cmd &` execs python in the child: $! is the replica's pid.
    HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1} PYTHONUNBUFFERED=1 STREAMLIT_SERVER_COOKIE_SECRET=$SECRET \
        STREAMLIT_SERVER_ALLOWED_HOSTS="${NAMES[*]}" \
        "$PY" -m streamlit run "$ROOT/app.py" \
        --server.port "${PORTS[$i]}" --server.address 127.0.0.1 \
        --server.headless true --browser.gatherUsageStats false \
        > "$RUN_DIR/replica-$i.log" 2>&1 < /dev/null &
    PIDS+=($!)
    echo "$!" > "$RUN_DIR/replica-$i.pid"
    echo "${PORTS[$i]}" > "$RUN_DIR/replica-$i.port"
    echo "start.sh: replica $i pid $! on http://127.0.0.1:${PORTS[$i]}" >&2
done

deadline=$((SECONDS + HEALTH_TIMEOUT))
for ((i = 0; i < REPLICAS; i++)); do
    until healthy "http://127.0.0.1:${PORTS[$i]}"; do
        if ! alive "${PIDS[$i]}"; then
            echo "start.sh: replica $i exited; the end of $RUN_DIR/replica-$i.log:" >&2
            tail -n 20 "$RUN_DIR/replica-$i.log" >&2
            exit 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "start.sh: replica $i not healthy after ${HEALTH_TIMEOUT}s (see $RUN_DIR/replica-$i.log)" >&2
            exit 1
        fi
        sleep 0.25
    done
done

# --- nginx -----------------------------------------------------------------------------------
SERVERS=
for ((i = 0; i < REPLICAS; i++)); do
    SERVERS+="        server 127.0.0.1:${PORTS[$i]} max_fails=1 fail_timeout=10s;"$'\n'
done
USER_LINE="# not root: nginx's workers run as $(id -un)"
if [ "$(id -u)" = 0 ]; then
    # as root the workers drop to nobody; they only need to reach the temp dirs nginx makes
    USER_LINE="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
    chmod 711 "$RUN_DIR" "$NGINX_DIR"
fi
NAME_LINES=
for name in "${NAMES[@]}"; do NAME_LINES+="        $name 1;"$'\n'; done
CONF=$(< "$ROOT/deploy/nginx.conf.template")
CONF=${CONF//@USER_LINE@/$USER_LINE}
CONF=${CONF//@NGINX_DIR@/$NGINX_DIR}
CONF=${CONF//@LISTEN@/127.0.0.1:$PORT}
CONF=${CONF//@SERVERS@/${SERVERS%$'\n'}}
CONF=${CONF//@SERVER_NAMES@/${NAME_LINES%$'\n'}}
printf '%s\n' "$CONF" > "$NGINX_DIR/nginx.conf"

NGINX_ARGS=(-p "$NGINX_DIR/" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log")
"$NGINX" -t -q "${NGINX_ARGS[@]}" || { echo "start.sh: nginx rejected $NGINX_DIR/nginx.conf" >&2; exit 1; }
"$NGINX" "${NGINX_ARGS[@]}" < /dev/null &  # `daemon off;` in the config: $! is the master
NGINX_PID=$!
URL=http://127.0.0.1:$PORT
HEALTH_HOST=${NAMES[0]}
[[ $HEALTH_HOST == '*.'* ]] && HEALTH_HOST=health.${HEALTH_HOST#\*.}  # a name the wildcard matches
until healthy "$URL" "$HEALTH_HOST:$PORT"; do
    if ! alive "$NGINX_PID"; then
        echo "start.sh: nginx exited; the end of $NGINX_DIR/error.log:" >&2
        tail -n 20 "$NGINX_DIR/error.log" >&2
        exit 1
    fi
    [ "$SECONDS" -ge "$deadline" ] && { echo "start.sh: nginx not answering on $URL" >&2; exit 1; }
    sleep 0.1
done
echo "$URL" > "$RUN_DIR/url"
echo "start.sh: nginx pid $NGINX_PID; run dir $RUN_DIR" >&2
echo "Headscope: $URL ($REPLICAS replicas behind nginx; Ctrl+C stops everything)"

# --- run until stopped; a dead replica is reported (its users fail over), not restarted ------
declare -A REPORTED=()
while alive "$NGINX_PID"; do
    any=0
    for ((i = 0; i < REPLICAS; i++)); do
        if alive "${PIDS[$i]}"; then
            any=1
        elif [ -z "${REPORTED[$i]:-}" ]; then
            REPORTED[$i]=1
            echo "start.sh: replica $i (pid ${PIDS[$i]}) is gone; nginx sends its users to the others" >&2
        fi
    done
    [ "$any" = 1 ] || { echo "start.sh: every replica is gone" >&2; exit 1; }
    sleep 1 &
    wait $! || true
done
echo "start.sh: nginx exited; the end of $NGINX_DIR/error.log:" >&2
tail -n 20 "$NGINX_DIR/error.log" >&2
exit 1
